"""A report's details: ``gzip+base64`` JSON, checked within FaynoSync's limits.

The payload is decoded and decompressed only as far as the limits allow: a gzip bomb stops
one byte past ``REPORTS_MAX_DETAILS_DECOMPRESSED_BYTES``, never inflated whole.
"""

from __future__ import annotations

import binascii
import zlib
from dataclasses import dataclass

from faynosync.errors import APIError

ENCODING = "gzip+base64"
CONTENT_TYPE = "application/json"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Decoded:
    compressed: bytes
    decompressed_size: int


def _too_large(message: str) -> APIError:
    return APIError(413, message)


def decode(
    *, encoding: str, content_type: str, payload: str, max_compressed: int, max_decompressed: int
) -> Decoded:
    """The gzip bytes and their decompressed size, or FaynoSync's refusal (400 or 413)."""
    if encoding != ENCODING:
        raise APIError(400, "unsupported details encoding")
    if content_type != CONTENT_TYPE:
        raise APIError(400, "unsupported details content_type")
    raw = payload.encode("utf-8", "replace")
    if len(raw) > -(-max_compressed // 3) * 4:
        raise _too_large("compressed details too large")
    try:
        # Go's base64.StdEncoding: padding required, line breaks ignored.
        compressed = binascii.a2b_base64(
            raw.replace(b"\r", b"").replace(b"\n", b""), strict_mode=True
        )
    except binascii.Error:
        raise APIError(400, "invalid details payload encoding") from None
    if len(compressed) > max_compressed:
        raise _too_large("compressed details too large")
    return Decoded(compressed, gunzipped_size(compressed, max_decompressed))


def gunzipped_size(data: bytes, limit: int) -> int:
    """The decompressed size of gzip ``data`` (every member, as Go's reader reads them);
    413 past ``limit`` bytes, 400 when it is not gzip."""
    invalid = APIError(400, "invalid details payload")
    total = 0
    rest = data
    first = True
    while first or rest:
        if not rest.startswith(_GZIP_MAGIC):
            raise invalid
        first = False
        inflater = zlib.decompressobj(wbits=31)
        pending = rest
        try:
            while not inflater.eof:
                out = inflater.decompress(pending, limit + 1 - total)
                total += len(out)
                if total > limit:
                    raise _too_large("decompressed details too large")
                pending = inflater.unconsumed_tail
                if not out and not pending:
                    raise invalid  # truncated
        except zlib.error:
            raise invalid from None
        rest = inflater.unused_data
    return total
