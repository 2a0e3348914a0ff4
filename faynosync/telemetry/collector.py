"""Telemetry collection: update checks counted in memory, written to the store in batches.

The hot path only updates dictionaries; a background task flushes every
``FAYNOSYNC_TELEMETRY_FLUSH`` seconds (and at shutdown), so a crash loses at most that much.
Devices are kept by id per day, so unique clients stay exact across flushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from faynosync.store import Store, StoreError
from faynosync.store.models import DeviceDay, TelemetryBatch

log = logging.getLogger(__name__)

RETENTION_DAYS = 30


def utc_today() -> str:
    return datetime.now(UTC).date().isoformat()


class TelemetryCollector:
    def __init__(self, store: Store, *, interval: float) -> None:
        self._store = store
        self._interval = interval
        self._batch = TelemetryBatch()
        self._task: asyncio.Task[None] | None = None
        self._purged_for = ""
        # What the store already has of today's devices: a device seen again in the same state
        # costs nothing at the next flush.
        self._stored: dict[tuple[str, str, str, str], DeviceDay] = {}

    def record(
        self,
        *,
        owner: str,
        app: str,
        version: str,
        channel: str,
        platform: str,
        arch: str,
        device: str,
        has_update: bool,
    ) -> None:
        """One update check of one device (spec 8.1)."""
        today = utc_today()
        batch = self._batch
        batch.today = today
        key = (owner, app, today)
        batch.requests[key] = batch.requests.get(key, 0) + 1
        day = batch.devices.get((*key, device))
        if day is None:
            day = DeviceDay(owner, app, today, device, version, has_update)
            batch.devices[(*key, device)] = day
        day.version, day.has_update = version, has_update
        for value, seen in ((channel, day.channels), (platform, day.platforms), (arch, day.archs)):
            if value:
                seen.add(value)
        batch.versions.setdefault((owner, app), set()).add(version)

    def _news(self, batch: TelemetryBatch) -> TelemetryBatch:
        """The batch without what the store already knows of its devices."""
        fresh = TelemetryBatch(requests=batch.requests, versions=batch.versions, today=batch.today)
        for key, day in batch.devices.items():
            stored = self._stored.get(key)
            if stored is None:
                fresh.devices[key] = day
                continue
            new = DeviceDay(
                day.owner,
                day.app,
                day.date,
                day.device,
                day.version,
                day.has_update,
                day.channels - stored.channels,
                day.platforms - stored.platforms,
                day.archs - stored.archs,
            )
            changed = (new.version, new.has_update) != (stored.version, stored.has_update)
            if changed or new.channels or new.platforms or new.archs:
                fresh.devices[key] = new
        return fresh

    def _remember(self, batch: TelemetryBatch) -> None:
        if any(key[2] != batch.today for key in list(self._stored)[:1]):
            self._stored = {k: v for k, v in self._stored.items() if k[2] == batch.today}
        for key, day in batch.devices.items():
            stored = self._stored.setdefault(
                key,
                DeviceDay(day.owner, day.app, day.date, day.device, day.version, day.has_update),
            )
            stored.version, stored.has_update = day.version, day.has_update
            stored.channels |= day.channels
            stored.platforms |= day.platforms
            stored.archs |= day.archs

    async def flush(self) -> None:
        """Write what was gathered; on a store failure it is kept for the next flush."""
        batch, self._batch = self._batch, TelemetryBatch()
        if not batch:
            return
        try:
            await self._store.telemetry.merge(self._news(batch))
        except StoreError:
            log.exception("telemetry flush failed; retrying with the next one")
            self._absorb(batch)
            return
        self._remember(batch)
        if self._purged_for != batch.today:
            cutoff = datetime.fromisoformat(batch.today) - timedelta(days=RETENTION_DAYS)
            await self._store.telemetry.purge(cutoff.date().isoformat())
            self._purged_for = batch.today

    def _absorb(self, older: TelemetryBatch) -> None:
        """Put a batch that could not be written back in front of the current one."""
        newer, self._batch = self._batch, older
        for scope, count in newer.requests.items():
            older.requests[scope] = older.requests.get(scope, 0) + count
        for device_key, day in newer.devices.items():
            kept = older.devices.setdefault(device_key, day)
            if kept is not day:
                kept.version, kept.has_update = day.version, day.has_update
                kept.channels |= day.channels
                kept.platforms |= day.platforms
                kept.archs |= day.archs
        for app_key, versions in newer.versions.items():
            older.versions.setdefault(app_key, set()).update(versions)
        older.today = newer.today or older.today

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception:
                log.exception("telemetry flush failed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
