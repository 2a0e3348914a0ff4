"""The telemetry beacon's allow-list: where a beacon may be counted
(docs/behaviour.md#telemetry-beacon).

The (owner, app, channel, platform, arch) names of every artifact of a published version,
joined to the app, channel, platform and arch documents (a target whose document is missing, a
version without a channel for one, drops out), held in memory per process.

It is built on the first beacon and again on the first beacon after it went stale: a write
that may have changed it (``invalidate``, called where the update-check cache is cleared: by
the write requests of this process, and when the store's write counter shows another process
wrote, ``checks.sync``) or an age of ``MAX_AGE`` seconds (writes that bypass faynosync). A
rebuild that fails leaves the previous list in place (none: beacons are ignored).
"""

from __future__ import annotations

import asyncio
import logging
import time

from faynosync.store import Store, StoreError
from faynosync.store.models import Kind

log = logging.getLogger(__name__)

Target = tuple[str, str, str, str, str]
"""owner, app, channel, platform and arch names."""

RETRY_SECONDS = 1.0  # after a failed build, beacons are ignored this long before a new try
MAX_AGE = 60.0  # seconds: writes that bypass faynosync (FaynoSync beside it) are seen then


async def build(store: Store) -> frozenset[Target]:
    """Every target of a published artifact whose documents exist, by name."""
    names: dict[Kind, dict[str, str]] = {}
    for kind in Kind:
        names[kind] = {meta.id: meta.name async for meta in store.meta.every(kind)}
    apps, channels = names[Kind.APP], names[Kind.CHANNEL]
    platforms, archs = names[Kind.PLATFORM], names[Kind.ARCH]
    found: set[Target] = set()
    for target in await store.versions.published_targets():
        app = apps.get(target.app_id)
        channel = channels.get(target.channel_id)
        platform = platforms.get(target.platform_id)
        arch = archs.get(target.arch_id)
        if target.owner and app and channel and platform and arch:
            found.add((target.owner, app, channel, platform, arch))
    return frozenset(found)


class AllowList:
    def __init__(self, *, max_age: float = MAX_AGE) -> None:
        self._max_age = max_age
        self._targets: frozenset[Target] | None = None
        self._generation = 0  # moved by every invalidate()
        self._built_for = -1  # the generation the targets were read at
        self._built_at = 0.0
        self._failed_at = -RETRY_SECONDS
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """A write may have changed the list: the next beacon rebuilds it."""
        self._generation += 1

    def _fresh(self) -> bool:
        return (
            self._built_for == self._generation
            and time.monotonic() - self._built_at < self._max_age
        )

    async def targets(self, store: Store) -> frozenset[Target] | None:
        """The list as it is now (rebuilt from ``store`` first when stale); None when it could
        never be built."""
        if not self._fresh():
            async with self._lock:
                if not self._fresh() and time.monotonic() - self._failed_at >= RETRY_SECONDS:
                    await self._rebuild(store)
        return self._targets

    async def _rebuild(self, store: Store) -> None:
        generation, started = self._generation, time.monotonic()
        try:
            targets = await build(store)
        except StoreError:
            log.warning("could not build the telemetry beacon's allow-list", exc_info=True)
            self._failed_at = time.monotonic()
            return
        self._targets, self._built_for, self._built_at = targets, generation, started
