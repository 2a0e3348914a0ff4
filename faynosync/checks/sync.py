"""The response caches of several processes kept in step through the store.

A write that may change an update check bumps a counter in the store (after clearing its own
process's cache); every process reads the counter every ``POLL_SECONDS`` and clears its cache
when it moved. So a write through any process reaches every process's cache within about that
long, whatever serves the other processes (``--workers``, replicas behind a load balancer).
Writes that bypass faynosync (FaynoSync beside it) are seen within ``FAYNOSYNC_CACHE_TTL``.
"""

from __future__ import annotations

import logging

from faynosync.checks.cache import ResponseCache
from faynosync.core.repeating import Repeating
from faynosync.store import Store, StoreError

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


class CacheSync:
    def __init__(self, store: Store, cache: ResponseCache, *, every: float = POLL_SECONDS):
        self._store = store
        self._cache = cache
        self._every = every
        self._seen: int | None = None
        self._loop = Repeating(self._poll_logged, every=every, pause_first=False)

    async def written(self) -> None:
        """A write happened here: tell the other processes (this one's cache is cleared)."""
        try:
            count = await self._store.changes.bump()
        except StoreError:
            log.warning("could not tell other processes of a write", exc_info=True)
            return
        if self._seen is None or count != self._seen + 1:
            self._cache.invalidate()  # another process wrote too since the last poll
        self._seen = count

    async def poll(self) -> None:
        """Clear this process's cache if another process wrote since the last poll."""
        count = await self._store.changes.count()
        if self._seen is not None and count != self._seen:
            self._cache.invalidate()
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
