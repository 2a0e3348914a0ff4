"""Object ids: 24 lowercase hex characters, as MongoDB's ObjectId prints them."""

from __future__ import annotations

import secrets

from bson import ObjectId

ZERO_ID = "000000000000000000000000"
_HEX = frozenset("0123456789abcdefABCDEF")


class InvalidId(ValueError):
    """Not an ObjectId; the message is the one Go's ``primitive.ObjectIDFromHex`` gives."""


def new_id() -> str:
    """A fresh ObjectId in hex (timestamp, random and counter, as MongoDB drivers make them)."""
    return str(ObjectId())


def parse_id(text: str) -> str:
    """Validate ``text`` as an ObjectId hex string and return it lowercased.

    Raises :class:`InvalidId` with Go's messages: ``the provided hex string is not a valid
    ObjectID`` for a wrong length, ``encoding/hex: invalid byte: U+0067 'g'`` for a bad character.
    """
    raw = text.encode()
    if len(raw) != 24:
        raise InvalidId("the provided hex string is not a valid ObjectID")
    for byte in raw:
        if chr(byte) not in _HEX:
            # Go reports the offending byte (not the character) with %#U.
            char = chr(byte)
            shown = f" '{char}'" if char.isprintable() else ""
            raise InvalidId(f"encoding/hex: invalid byte: U+{byte:04X}{shown}")
    return text.lower()


REPORT_KEY_PREFIX = "rpk_"


def new_report_key() -> str:
    """A report key: ``rpk_`` and 64 lowercase hex digits (32 random bytes)."""
    return REPORT_KEY_PREFIX + secrets.token_hex(32)
