"""Go's encoding/json as FaynoSync's clients see it: encoding and Gin-style binding."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faynosync.core import gojson
from faynosync.core.gojson import DecodeError, GoStruct, required

# --- encoding ---------------------------------------------------------------------------------


def test_maps_are_sorted_and_structs_keep_their_order():
    body = GoStruct(items=None, total=4, page=1, nested={"update_url_dmg": "x", "critical": True})
    assert gojson.dumps(body) == (
        '{"items":null,"total":4,"page":1,"nested":{"critical":true,"update_url_dmg":"x"}}'
    )
    assert gojson.dumps({"error": "e", "details": "d"}) == '{"details":"d","error":"e"}'


def test_html_characters_and_line_separators_are_escaped_like_go():
    url = "https://s3/x?a=1&b=<2>\u2028\u2029"
    assert gojson.dumps({"download_url": url}) == (
        '{"download_url":"https://s3/x?a=1\\u0026b=\\u003c2\\u003e\\u2028\\u2029"}'
    )


def test_non_ascii_is_written_as_utf8_and_control_characters_escaped():
    assert gojson.dumps(["пароль", "a\nb\x01\t"]) == '["пароль","a\\nb\\u0001\\t"]'


def test_lone_surrogates_become_replacement_characters():
    assert gojson.dumps("a\ud800b") == '"a\ufffdb"'


def test_lists_in_structs_and_empty_values():
    assert gojson.dumps(GoStruct(apps=None)) == '{"apps":null}'
    assert gojson.dumps([]) == "[]"
    assert gojson.dumps(GoStruct(b=[GoStruct(z=1, a=2)], a={})) == '{"b":[{"z":1,"a":2}],"a":{}}'


# --- decoding ---------------------------------------------------------------------------------


@dataclass
class Login:
    username: str = ""
    password: str = ""


@dataclass
class Inner:
    create: bool = False
    allowed: list[str] | None = None


@dataclass
class Outer:
    id: str = required(default="")
    name: str = ""
    count: int = 0
    inner: Inner = field(default_factory=Inner)
    tags: list[str] | None = required(default=None)


def bind(text: str | bytes, cls=Login):
    return gojson.bind(gojson.first_value(text), cls)


def test_first_value_ignores_trailing_bytes():
    assert bind('{"username":"a"} xyz') == Login(username="a")
    assert bind('  {"username":"a"}{"username":"b"}') == Login(username="a")


@pytest.mark.parametrize("text", ["", "   ", "{", '{"username":', "nope", "NaN", "[1,2"])
def test_undecodable_bodies(text):
    with pytest.raises(DecodeError):
        bind(text)


def test_whole_document_refuses_trailing_bytes():
    assert gojson.plain(gojson.whole_document(' {"a":"b"} \n')) == {"a": "b"}
    with pytest.raises(DecodeError):
        gojson.whole_document('{"a":"b"} x')


def test_field_names_match_case_insensitively_and_last_duplicate_wins():
    assert bind('{"UserName":"a","PASSWORD":"p","password":"q"}') == Login("a", "q")

    # The Kelvin sign folds to K, the long s to S, as in Go.
    @dataclass
    class K:
        key: str = ""
        s: str = ""

    assert gojson.bind(gojson.first_value('{"\u212aey":"k","\u017f":"s"}'), K) == K("k", "s")


def test_unknown_keys_are_ignored():
    assert bind('{"username":"a","extra":{"deep":[1,2]}}') == Login(username="a")


@pytest.mark.parametrize(
    "text",
    [
        '{"username":1}',
        '{"username":true}',
        '{"password":["x"]}',
        '{"username":{"a":1}}',
        "[]",
        '"text"',
        "12",
    ],
)
def test_type_mismatches_fail(text):
    with pytest.raises(DecodeError):
        bind(text)


def test_null_leaves_the_zero_value():
    assert bind("null") == Login()
    assert bind('{"username":null}') == Login()
    assert bind('{"username":"a","username":null}') == Login(username="a")


def test_nested_structs_lists_and_ints():
    value = gojson.first_value(
        '{"id":"x","count":3,"inner":{"Create":true,"allowed":["a",null]},"tags":[]}'
    )
    assert gojson.bind(value, Outer) == Outer(
        id="x", count=3, inner=Inner(create=True, allowed=["a", ""]), tags=[]
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"tags":[]}',  # id missing
        '{"id":"","tags":[]}',  # id empty
        '{"id":"x"}',  # tags missing
        '{"id":"x","tags":null}',  # tags null
        '{"id":"x","tags":[],"count":1.5}',  # not an int
        '{"id":"x","tags":[],"count":"1"}',
        '{"id":"x","tags":[],"count":9223372036854775808}',  # overflows int64
        '{"id":"x","tags":[1]}',
        '{"id":"x","tags":[],"inner":{"create":"true"}}',
    ],
)
def test_required_fields_and_strict_types(text):
    with pytest.raises(DecodeError):
        gojson.bind(gojson.first_value(text), Outer)


def test_an_empty_list_satisfies_required():
    assert gojson.bind(gojson.first_value('{"id":"x","tags":[]}'), Outer).tags == []


def test_string_map():
    assert gojson.string_map(gojson.whole_document('{"app":"x","private":"true"}')) == {
        "app": "x",
        "private": "true",
    }
    assert gojson.string_map(gojson.whole_document("null")) == {}
    for bad in ('{"app":"x","private":true}', '["x"]', '{"a":1}'):
        with pytest.raises(DecodeError):
            gojson.string_map(gojson.whole_document(bad))


def test_invalid_utf8_becomes_replacement_characters():
    assert bind(b'{"username":"a\xffb"}') == Login(username="a\ufffdb")


# --- hostile values ---------------------------------------------------------------------------

HUGE = "1" + "0" * 5000  # past Python's int conversion limit (4,300 digits)


@pytest.mark.parametrize(
    "text",
    [
        f'{{"username":{HUGE}}}',
        f'{{"username":-{HUGE}}}',
        f'{{"username":"a","password":[{HUGE}]}}',
        f'{{"id":"x","tags":[],"count":{HUGE}}}',
        '{"id":"x","tags":[],"count":1e999}',
    ],
)
def test_numbers_too_big_for_a_field_are_type_errors(text):
    cls = Outer if '"id"' in text else Login
    with pytest.raises(DecodeError):
        gojson.bind(gojson.first_value(text), cls)


def test_numbers_too_big_under_unknown_keys_are_skipped_like_go():
    assert bind(f'{{"username":"a","junk":{HUGE},"more":[{HUGE}]}}') == Login(username="a")


def test_numbers_too_big_in_string_maps_and_plain_values():
    with pytest.raises(DecodeError):
        gojson.string_map(gojson.whole_document(f'{{"app":{HUGE}}}'))
    with pytest.raises(DecodeError):
        gojson.plain(gojson.whole_document(f"[{HUGE}]"))


def test_lone_surrogate_escapes_are_read_as_replacement_characters():
    assert bind('{"username":"a\\ud800b","password":"\\uDFFF"}') == Login("a\ufffdb", "\ufffd")
    # A valid pair is one character; a high half followed by something else is not a pair.
    assert bind('{"username":"\\ud83d\\ude00","password":"\\ud83d\\u0041"}') == Login(
        "\U0001f600", "\ufffdA"
    )
    assert gojson.string_map(gojson.whole_document('{"a\\udc00":"\\ud800"}')) == {
        "a\ufffd": "\ufffd"
    }
    assert gojson.plain(gojson.whole_document('[["\\ud800"]]')) == [["\ufffd"]]


def _reference_dumps(value):
    """The general path alone: keys ordered by hand, every answer escaped."""
    text = json.dumps(
        gojson._go_order(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return gojson._SURROGATE.sub("\ufffd", text).translate(gojson._HTML_SAFE)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(alphabet=st.sampled_from('ab<>&\u2028é\ud800"\\')),
)


@given(st.dictionaries(st.text(max_size=4), SCALARS, max_size=8))
def test_flat_maps_encode_as_the_general_path(value):
    assert gojson.dumps(value) == _reference_dumps(value)


@given(
    st.recursive(
        SCALARS, lambda inner: st.lists(inner) | st.dictionaries(st.text(max_size=3), inner)
    )
)
def test_nested_values_encode_as_the_general_path(value):
    assert gojson.dumps(value) == _reference_dumps(value)
