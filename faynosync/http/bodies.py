"""Reading JSON request bodies the way Gin binds them (spec section 0.2)."""

from __future__ import annotations

from typing import TypeVar

from starlette.requests import Request

from faynosync.core import gojson
from faynosync.errors import APIError

T = TypeVar("T")

MAX_JSON_BODY = 1024 * 1024


async def read_limited(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (JSON bodies are small)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise APIError(413, f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def bind_json(request: Request, cls: type[T], *, error: str, plain: bool = False) -> T:
    """Decode the body's first JSON value into ``cls``; any failure is a 400 with ``error``."""
    raw = await read_limited(request)
    try:
        return gojson.bind(gojson.first_value(raw), cls)
    except gojson.DecodeError:
        raise APIError(400, error, plain=plain) from None
