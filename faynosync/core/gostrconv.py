"""Go's ``strconv`` parsers, as FaynoSync reads numbers and booleans from strings."""

from __future__ import annotations

import re

_INT = re.compile(r"[+-]?[0-9]+")
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)`` (and ``Atoi``); None where Go fails.

    Optional sign and decimal digits only (no spaces, underscores or dots, unlike ``int()``),
    within int64; a huge digit string is refused without converting it.
    """
    if not _INT.fullmatch(text):
        return None
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:
        return None
    value = -int(digits) if text.startswith("-") else int(digits)
    return value if INT64_MIN <= value <= INT64_MAX else None


def parse_bool(text: str) -> bool | None:
    """``strconv.ParseBool``; None where Go fails."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None
