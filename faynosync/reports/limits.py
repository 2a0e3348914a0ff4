"""Rate limits of report ingest: fixed windows, counted in the process or in the store.

FaynoSync counts in Redis; here one process counts in memory, and several processes (or
replicas) count through the store's atomic counters, so that each limit holds for the whole
deployment (docs/behaviour.md#crash-and-event-reports).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from faynosync.store import Store, StoreError

log = logging.getLogger(__name__)


class Counters(Protocol):
    async def hit(self, name: str, expires_at: float) -> int:
        """Add one to the counter ``name`` of a window ending at ``expires_at`` (POSIX time);
        its value now."""


class ProcessCounters:
    """Counters in this process's memory; lapsed windows are forgotten as new ones start."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._sweep_at = 0.0

    async def hit(self, name: str, expires_at: float) -> int:
        now = time.time()
        if now >= self._sweep_at:
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
            self._sweep_at = now + 60
        value, _ = self._values.get(name, (0, expires_at))
        self._values[name] = (value + 1, expires_at)
        return value + 1


class StoreCounters:
    """Counters in the database: every process of the deployment sees the same values."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def hit(self, name: str, expires_at: float) -> int:
        return await self._store.reports.hit(name, datetime.fromtimestamp(expires_at, UTC))


@dataclass(frozen=True)
class Limit:
    """One fixed-window limit: at most ``limit`` hits per ``window`` seconds of ``name``."""

    name: str
    window: int
    limit: int


async def allowed(counters: Counters, limits: list[Limit], *, now: float | None = None) -> bool:
    """Walk the limits in order, counting each; False at the first one exceeded (the later
    ones are not counted). A counter that cannot be read lets the request through, as
    FaynoSync does when Redis fails."""
    now = time.time() if now is None else now
    for limit in limits:
        window = int(now // limit.window)
        try:
            value = await counters.hit(f"{limit.name}:{window}", float((window + 1) * limit.window))
        except StoreError as exc:
            log.warning("report rate limit %s not counted: %s", limit.name, exc)
            continue
        if value > limit.limit:
            return False
    return True
