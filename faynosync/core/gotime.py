"""Timestamps as FaynoSync stores and prints them.

BSON datetimes have millisecond precision; Go prints them in RFC 3339 with the fraction trimmed of
trailing zeros (``.500`` -> ``.5``, ``.000`` -> nothing).
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now() -> datetime:
    """The current UTC time truncated to milliseconds, as a BSON datetime would hold it."""
    # timedelta's arguments by position: days, seconds, microseconds, milliseconds (half the
    # cost of naming them; every update check asks the time).
    return _EPOCH + timedelta(0, 0, 0, time.time_ns() // 1_000_000)


def to_millis(value: datetime) -> int:
    """Milliseconds since the Unix epoch (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(milliseconds=1)


@functools.lru_cache(maxsize=4096)
def from_millis(millis: int) -> datetime:
    """The instant ``millis`` milliseconds after the epoch (UTC); the values of rows read
    again and again (an update check's versions) are made once (a datetime is immutable)."""
    return _EPOCH + timedelta(0, 0, 0, millis)


def _fraction(value: datetime) -> str:
    digits = f"{value.microsecond // 1000:03d}".rstrip("0")
    return f".{digits}" if digits else ""


def format_utc(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix (the BSON datetimes of lists and ``/search``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + _fraction(value) + "Z"


def format_local(value: datetime) -> str:
    """RFC 3339 in the server's local zone (Go's ``time.Time`` JSON, e.g. ``/users/list``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone()
    offset = local.utcoffset()
    if not offset:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + _fraction(local) + "Z"
    text = local.strftime("%z")
    return local.strftime("%Y-%m-%dT%H:%M:%S") + _fraction(local) + f"{text[:3]}:{text[3:]}"


def truncate_millis(value: datetime) -> datetime:
    """``value`` as a BSON datetime holds it: milliseconds."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_nano(value: datetime) -> str:
    """Go's ``time.RFC3339Nano`` of an aware time in its own zone (``Z`` for UTC), the
    fraction without trailing zeros."""
    digits = f"{value.microsecond:06d}".rstrip("0")
    fraction = f".{digits}" if digits else ""
    offset = value.utcoffset()
    if not offset:
        return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
    text = value.strftime("%z")
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + f"{text[:3]}:{text[3:]}"
