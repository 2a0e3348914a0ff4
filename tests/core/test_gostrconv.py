import pytest

from faynosync.core.gostrconv import parse_bool, parse_int


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("+5", 5),
        ("-5", -5),
        ("007", 7),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        ("9223372036854775808", None),
        (" 1", None),
        ("1_0", None),
        ("1.0", None),
        ("", None),
        ("+", None),
        ("9" * 5000, None),  # int() would raise past 4300 digits
        ("0" * 5000 + "1", 1),
    ],
)
def test_parse_int(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("True", True), ("F", False), ("false", False), ("yes", None), ("", None)],
)
def test_parse_bool(text, value):
    assert parse_bool(text) is value
