"""Version strings: FaynoSync's database ordering and go-version's comparison.

See docs/behaviour.md#version-ordering.

The original sorts versions in MongoDB by the first four dot-separated parts converted with
``$toInt``: a missing part is null and sorts below any number, parts past the fourth are
ignored, and a part that is empty or does not fit in 32 bits makes the query fail.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from faynosync.core.gostrconv import INT64_MAX, parse_int

INT32_MAX = 2**31 - 1

OrderKey = tuple[int | None, int | None, int | None, int | None]


class OrderingError(ValueError):
    """A version the database ordering cannot convert; the message is MongoDB's."""


def normalise(version: str) -> str:
    """Uploads store dashes as dots (``0.0.2-137`` -> ``0.0.2.137``)."""
    return version.replace("-", ".")


def _to_int(part: str) -> int:
    # MongoDB's $toInt on a string: optional sign, decimal digits, 32-bit range.
    digits = part[1:] if part[:1] in ("-", "+") else part
    if not digits.isdigit() or not digits.isascii():
        reason = "No digits" if not digits else "Did not consume whole string."
        raise OrderingError(
            f"Failed to parse number '{part}' in $convert with no onError value: {reason}"
        )
    # Past ten digits (leading zeros aside) it overflows anyway; int() refuses 4300 digits.
    significant = digits.lstrip("0") or "0"
    value = int(significant) if len(significant) <= 10 else 10**10
    if part.startswith("-"):
        value = -value
    if not -INT32_MAX - 1 <= value <= INT32_MAX:
        raise OrderingError(
            f"Failed to parse number '{part}' in $convert with no onError value: Overflow"
        )
    return value


def order_key(version: str) -> OrderKey:
    """The four parts the database sorts by (descending: the highest version first).

    Raises :class:`OrderingError` for a version the original's query cannot convert.
    """
    parts = version.split(".")
    values = [_to_int(parts[i]) if i < len(parts) else None for i in range(4)]
    return (values[0], values[1], values[2], values[3])


# --- comparison: a port of hashicorp/go-version v1.6.0 ----------------------------------------

# go-version's pattern, for reference (its tests compare the parser below against it):
#   ^v?([0-9]+(\.[0-9]+)*?)
#    (-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)
#     |(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?
#    (\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))??$
# Go's RE2 matches it in linear time; Python's backtracking engine can take minutes on inputs
# such as "1-a-a-a-...", so the same leftmost-first choices are made here by hand.
_PART_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-~")
_LEADS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-~")


class MalformedVersion(ValueError):
    """Not a version to go-version; the message is the one /checkVersion answers with."""


@dataclass(frozen=True)
class GoVersion:
    """A parsed version: numeric segments (padded to three), prerelease and metadata."""

    segments: tuple[int, ...]
    pre: str
    metadata: str
    canonical: str = field(default="", compare=False)
    # The segments without trailing zeros: go-version pads the shorter side with zeros, so
    # without prereleases comparing these tuples gives its answer.
    significant: tuple[int, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        text = ".".join(str(s) for s in self.segments)
        if self.pre:
            text += f"-{self.pre}"
        if self.metadata:
            text += f"+{self.metadata}"
        object.__setattr__(self, "canonical", text)
        significant = list(self.segments)
        while significant and significant[-1] == 0:
            significant.pop()
        object.__setattr__(self, "significant", tuple(significant))

    def __str__(self) -> str:
        return self.canonical

    def compare(self, other: GoVersion) -> int:
        """-1, 0 or 1, as go-version's ``Compare``."""
        if self.canonical == other.canonical:
            return 0
        if not self.pre and not other.pre:
            a, b = self.significant, other.significant
            return (a > b) - (a < b)
        mine, theirs = self.segments, other.segments
        if mine == theirs:
            return _compare_same_segments(self.pre, other.pre)
        for i in range(max(len(mine), len(theirs))):
            if i >= len(mine):
                return -1 if any(theirs[i:]) else 0
            if i >= len(theirs):
                return 1 if any(mine[i:]) else 0
            if mine[i] != theirs[i]:
                return -1 if mine[i] < theirs[i] else 1
        return 0

    def __lt__(self, other: GoVersion) -> bool:
        return self.compare(other) < 0


def _compare_same_segments(mine: str, theirs: str) -> int:
    """Equal segments: a release is above its prereleases, which compare part by part."""
    if not mine and not theirs:
        return 0
    if not mine:
        return 1
    if not theirs:
        return -1
    return _compare_prereleases(mine, theirs)


def _dotted(text: str) -> bool:
    r"""``C+(\.C+)*`` over the part characters: no empty part between, before or after dots."""
    return bool(text) and all(part and set(part) <= _PART_CHARS for part in text.split("."))


def _prerelease(rest: str) -> str | None:
    """The prerelease ``rest`` (up to any ``+``) is, or None if it is none."""
    if rest.startswith("-"):
        body = rest[1:]
        if body[:1].isdigit() and body[:1].isascii() and _dotted(body):
            return body  # the numeric branch: -([0-9]+...)
        if body[:1] in _LEADS and _dotted(body):
            return body  # the named branch, its optional dash taken
        return rest if _dotted(rest) else None  # the named branch, the dash kept
    return rest if rest[:1] in _LEADS and _dotted(rest) else None


CACHED_LONGEST = 64  # characters: longer texts (crafted ones) are parsed, never cached


def parse(text: str) -> GoVersion:
    """go-version's ``NewVersion``; raises :class:`MalformedVersion` with its message.

    Pure, so cached: update checks parse the same stored versions again and again. A client
    sends any text, so the cache keeps short ones only.
    """
    return _parse(text) if len(text) > CACHED_LONGEST else _parse_cached(text)


def _parse(text: str) -> GoVersion:
    malformed = MalformedVersion(f"Malformed version: {text}")
    body = text[1:] if text.startswith("v") else text
    end = 0
    while end < len(body) and (
        body[end] in "0123456789"
        or (body[end] == "." and end + 1 < len(body) and body[end + 1] in "0123456789" and end > 0)
    ):
        end += 1
    numbers, rest = body[:end], body[end:]
    if not numbers or not numbers[0].isdigit():
        raise malformed
    rest, plus, metadata = rest.partition("+")
    if plus and not _dotted(metadata):
        raise malformed
    pre = ""
    if rest:
        found = _prerelease(rest)
        if found is None:
            raise malformed
        pre = found
    segments = []
    for part in numbers.split("."):
        significant = part.lstrip("0") or "0"
        value = int(significant) if len(significant) <= 19 else INT64_MAX + 1
        if value > INT64_MAX:
            raise MalformedVersion(
                f'Error parsing version: strconv.ParseInt: parsing "{part}": value out of range'
            )
        segments.append(value)
    while len(segments) < 3:
        segments.append(0)
    return GoVersion(segments=tuple(segments), pre=pre, metadata=metadata)


_parse_cached = functools.lru_cache(maxsize=65536)(_parse)


def _compare_part(mine: str, theirs: str) -> int:
    if mine == theirs:
        return 0
    mine_int, theirs_int = parse_int(mine), parse_int(theirs)
    if mine == "":
        return -1 if theirs_int is not None else 1
    if theirs == "":
        return 1 if mine_int is not None else -1
    if mine_int is not None and theirs_int is None:
        return -1
    if mine_int is None and theirs_int is not None:
        return 1
    if mine_int is None and theirs_int is None and mine > theirs:
        return 1
    if (mine_int or 0) > (theirs_int or 0):
        return 1
    return -1


def _compare_prereleases(mine: str, theirs: str) -> int:
    if mine == theirs:
        return 0
    mine_parts, theirs_parts = mine.split("."), theirs.split(".")
    for i in range(max(len(mine_parts), len(theirs_parts))):
        result = _compare_part(
            mine_parts[i] if i < len(mine_parts) else "",
            theirs_parts[i] if i < len(theirs_parts) else "",
        )
        if result != 0:
            return result
    return 0


def step_key(version: str) -> str | None:
    """A string that sorts as go-version compares versions without a prerelease.

    Stored versions are digits and dots, so this orders them exactly: the segments without
    trailing zeros, 20 digits each. None when go-version cannot parse the version or it has a
    prerelease; such versions must be compared one by one.
    """
    try:
        parsed = parse(version)
    except MalformedVersion:
        return None
    return None if parsed.pre else significant_key(parsed)


def significant_key(version: GoVersion) -> str:
    """The segments without trailing zeros, 20 digits each (ignoring any prerelease)."""
    return _key_of(version.significant)


@functools.lru_cache(maxsize=4096)
def _key_of(significant: tuple[int, ...]) -> str:
    # Update checks ask the keys of the same few versions again and again.
    return "".join(f"{segment:020d}" for segment in significant)
