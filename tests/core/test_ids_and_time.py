from datetime import UTC, datetime, timedelta, timezone

import pytest

from faynosync.core import gotime
from faynosync.core.ids import ZERO_ID, InvalidId, new_id, parse_id


def test_new_ids_look_like_object_ids():
    ids = {new_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 24 and parse_id(i) == i for i in ids)
    assert parse_id(ZERO_ID) == ZERO_ID


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the provided hex string is not a valid ObjectID"),
        ("653a", "the provided hex string is not a valid ObjectID"),
        ("0" * 25, "the provided hex string is not a valid ObjectID"),
        ("65a3g" + "0" * 19, "encoding/hex: invalid byte: U+0067 'g'"),
        ("0" * 23 + " ", "encoding/hex: invalid byte: U+0020 ' '"),
        ("0" * 23 + "\n", "encoding/hex: invalid byte: U+000A"),
        ("é" + "0" * 22, "encoding/hex: invalid byte: U+00C3 'Ã'"),
    ],
)
def test_invalid_ids_carry_go_messages(text, message):
    with pytest.raises(InvalidId) as error:
        parse_id(text)
    assert str(error.value) == message


def test_uppercase_hex_is_accepted_and_lowered():
    assert parse_id("65A3" * 6) == "65a3" * 6


def test_timestamps_trim_the_fraction_like_go():
    moment = datetime(2024, 8, 3, 11, 46, 42, 361000, tzinfo=UTC)
    assert gotime.format_utc(moment) == "2024-08-03T11:46:42.361Z"
    assert gotime.format_utc(moment.replace(microsecond=500000)) == "2024-08-03T11:46:42.5Z"
    assert gotime.format_utc(moment.replace(microsecond=0)) == "2024-08-03T11:46:42Z"
    plus3 = moment.astimezone(timezone(timedelta(hours=3)))
    assert gotime.format_utc(plus3) == "2024-08-03T11:46:42.361Z"


def test_local_format_carries_the_offset(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Kyiv")
    import time

    time.tzset()
    try:
        moment = datetime(2023, 10, 26, 11, 58, 4, 258000, tzinfo=UTC)
        assert gotime.format_local(moment) == "2023-10-26T14:58:04.258+03:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert gotime.format_local(moment).endswith("Z")


def test_millisecond_round_trip():
    now = gotime.now()
    assert now.microsecond % 1000 == 0
    assert gotime.from_millis(gotime.to_millis(now)) == now
    assert gotime.to_millis(datetime(1970, 1, 1, tzinfo=UTC)) == 0
