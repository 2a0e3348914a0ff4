"""The response caches of several processes kept in step through the store.

A write that may change an update check bumps a counter in the store (after clearing its own
process's caches: the response cache, the telemetry beacon's allow-list); every process reads
the counter every ``POLL_SECONDS`` and clears its caches when it moved. So a write through any
process reaches every process's caches within about that long, whatever serves the other
processes (``--workers``, replicas behind a load balancer). Writes that bypass faynosync
(FaynoSync beside it) are seen within ``FAYNOSYNC_CACHE_TTL`` (the allow-list's ``MAX_AGE``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from faynosync.core.repeating import Repeating
from faynosync.store import Store, StoreError

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


class Cache(Protocol):
    """What a write may make stale (``checks.cache.ResponseCache``,
    ``telemetry.allowlist.AllowList``)."""

    def invalidate(self) -> None: ...


def invalidate(caches: Sequence[Cache]) -> None:
    for cache in caches:
        cache.invalidate()


class CacheSync:
    def __init__(self, store: Store, caches: Sequence[Cache], *, every: float = POLL_SECONDS):
        self._store = store
        self._caches = caches
        self._every = every
        self._seen: int | None = None
        self._loop = Repeating(self._poll_logged, every=every, pause_first=False)

    async def written(self) -> None:
        """A write happened here: tell the other processes (this one's caches are cleared)."""
        try:
            count = await self._store.changes.bump()
        except StoreError:
            log.warning("could not tell other processes of a write", exc_info=True)
            return
        if self._seen is None or count != self._seen + 1:
            invalidate(self._caches)  # another process wrote too since the last poll
        self._seen = count

    async def poll(self) -> None:
        """Clear this process's caches if another process wrote since the last poll."""
        count = await self._store.changes.count()
        if self._seen is not None and count != self._seen:
            invalidate(self._caches)
        self._seen = count

    def start(self) -> None:
        self._loop.start()

    async def _poll_logged(self) -> None:
        try:
            await self.poll()
        except StoreError:
            log.warning("could not read the write counter; retrying", exc_info=True)

    async def close(self) -> None:
        await self._loop.stop()
