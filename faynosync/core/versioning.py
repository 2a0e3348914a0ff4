"""Version strings: FaynoSync's database ordering (spec section 6.2).

The original sorts versions in MongoDB by the first four dot-separated parts converted with
``$toInt``: a missing part is null and sorts below any number, parts past the fourth are
ignored, and a part that is empty or does not fit in 32 bits makes the query fail.
"""

from __future__ import annotations

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
    value = int(part)
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
