"""go-version's parsing and comparison, ported (spec section 6.2)."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from faynosync.core.versioning import (
    CACHED_LONGEST,
    MalformedVersion,
    _parse_cached,
    order_key,
    parse,
)

# go-version v1.6.0's own pattern: the hand-written parser must make the same choices.
REFERENCE = re.compile(
    r"v?([0-9]+(\.[0-9]+)*?)"
    r"(-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)"
    r"|(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?"
    r"(\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))??"
)


def compare(a: str, b: str) -> int:
    return parse(a).compare(parse(b))


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        # Spec 6.2 examples.
        ("1.0.0.0", "1.0", 0),
        ("1.0.0.1", "1.0", 1),
        ("1.2.3-4", "1.2.3", -1),
        ("1.2.3-4", "1.2.3.0", 0),
        ("1.2.3-4", "1.2.3.4", -1),
        ("0.0.2-137", "0.0.2.137", -1),
        # Plain numeric order, padding, leading zeros, more than three segments.
        ("0.0.2.137", "0.0.3.137", -1),
        ("0.0.10.138", "0.0.9.137", 1),
        ("1.10", "1.9.9", 1),
        ("01.002", "1.2", 0),
        ("1", "1.0.0", 0),
        ("2", "1.999.999.999", 1),
        ("1.2.3.4.5", "1.2.3.4", 1),
        ("1.2.3.4.0", "1.2.3.4", 0),
        ("1.2.3.4.0.0.1", "1.2.3.4", 1),
        ("0.0.0", "0", 0),
        # Prereleases: only when the padded segments are identical.
        ("1-2-3", "1", -1),
        ("1-2-3", "1.0.0-2-3", 0),
        ("1.2.3-", "1.2.3", -1),
        ("1.0.0-2", "1.0.0-10", -1),
        ("1.0.0-1.2", "1.0.0-1.10", -1),
        ("1.0.0-1", "1.0.0-1.1", -1),
        ("1.0.0-9", "1.0.0-1.0", 1),
        ("9223372036854775807", "9223372036854775806", 1),
    ],
)
def test_comparison(a, b, result):
    assert compare(a, b) == result
    assert compare(b, a) == -result


@pytest.mark.parametrize("text", ["", ".", "1.", ".1", "1..2", "-1", "1.2.", "..", "-", "1.-2"])
def test_malformed(text):
    with pytest.raises(MalformedVersion) as error:
        parse(text)
    assert str(error.value) == f"Malformed version: {text}"


def test_segment_overflow():
    with pytest.raises(MalformedVersion) as error:
        parse("1.9223372036854775808")
    assert str(error.value) == (
        'Error parsing version: strconv.ParseInt: parsing "9223372036854775808": value out of range'
    )
    assert parse("1.09223372036854775807").segments == (1, 9223372036854775807, 0)


def test_named_prereleases_and_metadata():
    assert (parse("1.0beta").pre, parse("v1.2.3-rc.1+build.5").pre) == ("beta", "rc.1")
    assert parse("v1.2.3-rc.1+build.5").metadata == "build.5"
    assert compare("1.0.0+a", "1.0.0+b") == 0
    assert str(parse("1.2-3")) == "1.2.0-3"


def reference(text: str):
    match = REFERENCE.fullmatch(text)
    if match is None:
        return None
    segments = [int(x) for x in match.group(1).split(".")]
    segments += [0] * (3 - len(segments))
    return tuple(segments), match.group(7) or match.group(4) or "", match.group(10) or ""


def mine(text: str):
    try:
        version = parse(text)
    except MalformedVersion:
        return None
    return version.segments, version.pre, version.metadata


def test_the_parser_agrees_with_go_versions_pattern():
    alphabet = "01.-+a~vZ_"
    samples = ["".join(c) for n in range(6) for c in itertools.product(alphabet, repeat=n)]
    rng = random.Random(1)
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(6, 14))) for _ in range(20000)
    ]
    for text in samples:
        assert mine(text) == reference(text), text


def test_hostile_inputs_do_not_backtrack():
    """A backtracking regex takes minutes on the first of these; the parser is linear."""
    for text in ["1-" + "a-" * 20000 + ".", "1." * 20000 + "x", "1" * 100000]:
        with pytest.raises(MalformedVersion):
            parse(text)


def test_leading_zeros_of_any_length():
    padded = "0" * 5000 + "7"
    assert parse(f"1.{padded}").segments == (1, 7, 0)
    assert order_key(f"1.{padded}") == (1, 7, None, None)


def test_only_short_texts_are_cached():
    """A client sends any version: crafted long ones must not fill the cache."""
    long = "1." * CACHED_LONGEST + "1"
    before = _parse_cached.cache_info().currsize
    assert parse(long).segments == (1,) * (CACHED_LONGEST + 1)
    assert _parse_cached.cache_info().currsize == before
    parse("1.2.3-only-short-texts")
    assert _parse_cached.cache_info().currsize == before + 1
