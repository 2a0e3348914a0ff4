"""The response cache of ``/checkVersion``, the RELEASES route and ``/apps/latest``.

On when PERFORMANCE_MODE is true. Keys hold the route, the owner and every parameter (the
original's keys lack the owner). A write request that may have changed data clears the cache
(``faynosync.http.invalidation``) once it has: when its answer starts, if that is a success,
a redirect or a server error, and when it ends without an answer (a crash, a disconnect). A
refused one (401, 403, 404, 400, ...) leaves the cache alone unless its caller had a valid
token, so requests that anyone can send cannot keep the update checks uncached. Writes of
crash and event reports and their keys (``/reports/...``, ``/report-keys/...``) change no
check and clear nothing.
An answer computed while a write ran is not kept (the generation counter), so within one
process no answer is stale once a write is acknowledged. Other processes' writes are seen
within ``FAYNOSYNC_CACHE_TTL`` seconds, the lifetime of an entry.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

LONGEST_KEY = 1024  # characters of a key's parts together: longer ones (crafted) are not kept

CacheKey = tuple[str, ...]


@dataclass(frozen=True)
class CachedResponse:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # as sent: names lower-case
    facts: object = None  # what telemetry records of the answer, for hits too
    etag: str = ""  # the answer's ETag, when it has one (200 answers)


@dataclass(frozen=True)
class RolloutSplit:
    """Kept in place of an answer when staged rollouts below 100% are in play: the answers
    differ by device and are kept under the key and the device's variant
    (``checks.rollouts.variant``) of these rollouts (seed, percent)."""

    gates: tuple[tuple[str, int], ...]


Entry = CachedResponse | RolloutSplit


class ResponseCache:
    def __init__(self, ttl: float, max_entries: int = 100_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[CacheKey, tuple[float, Entry]] = OrderedDict()
        self.generation = 0

    def get(self, key: CacheKey) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, response = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        return response

    def put(
        self, key: CacheKey, response: Entry, generation: int, *, within: float | None = None
    ) -> None:
        """Keep ``response`` unless a write happened since ``generation`` was read (or its key
        is too long: parameters are the client's, and entries must stay small); at most
        ``within`` seconds when given (a rollout schedule changes the answer then)."""
        if generation != self.generation or sum(map(len, key)) > LONGEST_KEY:
            return
        life = self._ttl if within is None else min(self._ttl, within)
        if life <= 0:
            return
        self._entries[key] = (time.monotonic() + life, response)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self) -> None:
        self.generation += 1
        self._entries.clear()
