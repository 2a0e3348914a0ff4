"""Update checks read their query string by hand (faynosync.checks.requests.first_values): the
same values as Starlette's QueryParams, which the routes use, for any bytes a client sends."""

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from faynosync.checks.requests import first_values

PIECES = st.sampled_from(
    [
        b"a",
        b"app_name",
        b"owner",
        b"=",
        b"&",
        b"&&",
        b"%",
        b"%2",
        b"%41",
        b"%e2%82",
        b"+",
        b"\xff",
        b"\xc3\xa9",
        b";",
        b" ",
        b"1.0.0",
        b"%ED%A0%80",
        b"",
    ]
)


def starlette_first(raw: bytes) -> dict[str, str]:
    params = QueryParams(raw)
    return {name: params.getlist(name)[0] for name in params}


@settings(max_examples=2000)
@given(st.lists(PIECES, max_size=12).map(b"".join))
def test_the_same_first_values_as_starlette(raw):
    assert first_values(raw) == starlette_first(raw)


def test_examples():
    assert first_values(b"") == {}
    assert first_values(b"a=1&a=2&b&c=") == {"a": "1", "b": "", "c": ""}
    assert first_values(b"a=x%20y+z&=v") == {"a": "x y z", "": "v"}
    assert first_values(b"a=%ED%A0%80") == {"a": "\ufffd\ufffd\ufffd"}
