"""The response cache of ``/checkVersion``, the RELEASES route and ``/apps/latest``.

On when PERFORMANCE_MODE is true. Keys hold the route, the owner and every parameter (the
original's keys lack the owner). Any write request clears the cache, before it runs and again
when it has answered, and an answer computed while a write ran is not kept: within one process
an answer is never stale. Other processes' writes are seen within ``FAYNOSYNC_CACHE_TTL``
seconds, the lifetime of an entry.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CacheKey = tuple[str, ...]


@dataclass(frozen=True)
class CachedResponse:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    facts: object = None  # what telemetry records of the answer, for hits too


class ResponseCache:
    def __init__(self, ttl: float, max_entries: int = 100_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[CacheKey, tuple[float, CachedResponse]] = OrderedDict()
        self.generation = 0

    def get(self, key: CacheKey) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, response = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        return response

    def put(self, key: CacheKey, response: CachedResponse, generation: int) -> None:
        """Keep ``response`` unless a write happened since ``generation`` was read."""
        if generation != self.generation:
            return
        self._entries[key] = (time.monotonic() + self._ttl, response)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self) -> None:
        self.generation += 1
        self._entries.clear()


class InvalidateOnWrite:
    """ASGI middleware: every request that may write clears the cache, before and after."""

    def __init__(self, app: ASGIApp, *, cache: ResponseCache) -> None:
        self.app = app
        self._cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await self.app(scope, receive, send)
            return
        self._cache.invalidate()
        try:
            await self.app(scope, receive, send)
        finally:
            self._cache.invalidate()
