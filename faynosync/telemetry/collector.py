"""Telemetry collection: update checks counted in memory, written to the store in batches.

The hot path only updates dictionaries; a background task flushes every
``FAYNOSYNC_TELEMETRY_FLUSH`` seconds (and at shutdown), so a crash loses at most that much.
Devices are kept by id per day, so unique clients stay exact across flushes.

What a client sends is bounded, since update checks need no token: an id or a version longer
than ``LONGEST`` characters is kept as a fixed-size hash of it, and each app holds at most
``max_devices`` devices and ``max_versions`` versions a day in memory (past them, checks
still count as requests).
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import date, datetime, timedelta

from faynosync.core.repeating import Repeating
from faynosync.store import Store, StoreError
from faynosync.store.models import DeviceDay, TelemetryBatch

log = logging.getLogger(__name__)

RETENTION_DAYS = 30
LONGEST = 128  # characters of a device id or a version kept as they are
MAX_DEVICES = 20_000  # distinct devices of one app a day held in memory, by default
MAX_VERSIONS = 1_000  # distinct versions of one app a day recorded as known, by default


def utc_today() -> str:
    """Today's UTC date, ``YYYY-MM-DD``; made once a day, as every counted check asks for it."""
    day = int(time.time() // 86400)
    if day != _today[0]:
        _today[:] = [day, (_EPOCH + timedelta(days=day)).isoformat()]
    return str(_today[1])


_today: list[int | str] = [-1, ""]
_EPOCH = date(1970, 1, 1)


def bounded(value: str) -> str:
    """``value``, or ``sha256:`` and the hex digest of it when it is longer than ``LONGEST``."""
    if len(value) <= LONGEST:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _note(day: DeviceDay, channel: str, platform: str, arch: str) -> None:
    """The channel, platform and arch a device asked with (empty ones are not names)."""
    if channel:
        day.channels.add(channel)
    if platform:
        day.platforms.add(platform)
    if arch:
        day.archs.add(arch)


class TelemetryCollector:
    def __init__(
        self,
        store: Store,
        *,
        interval: float,
        max_devices: int = MAX_DEVICES,
        max_versions: int = MAX_VERSIONS,
    ) -> None:
        self._store = store
        self._max_devices = max_devices
        self._max_versions = max_versions
        self._batch = TelemetryBatch()
        self._loop = Repeating(self.flush, every=interval, pause_first=True)
        self._purged_for = ""
        # What the store already has of today's devices: a device seen again in the same state
        # costs nothing at the next flush.
        self._stored: dict[tuple[str, str, str, str], DeviceDay] = {}
        # Per owner, app and day: how many devices are in the batch or in _stored, and which
        # versions were recorded (both reset when the day changes).
        self._day = ""
        self._devices: dict[tuple[str, str, str], int] = {}
        self._versions: dict[tuple[str, str, str], set[str]] = {}
        self._warned: set[tuple[str, str, str, str]] = set()

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
        has_update: bool | None,
    ) -> None:
        """One update check (or telemetry beacon) of one device
        (docs/behaviour.md#telemetry-recording). A beacon may name no version (``""``: the
        app's versions are left as they are) and no answer (``has_update`` None: the device is
        counted neither on the latest nor as outdated, unless an earlier check said)."""
        today = utc_today()
        if today != self._day:
            self._day, self._devices, self._versions, self._warned = today, {}, {}, set()
        batch = self._batch
        batch.today = today
        key = (owner, app, today)
        batch.requests[key] = batch.requests.get(key, 0) + 1
        # bounded()'s own test, asked here first: the call is spared on every usual check.
        if len(device) > LONGEST:
            device = bounded(device)
        if len(version) > LONGEST:
            version = bounded(version)
        device_key = (owner, app, today, device)
        day = batch.devices.get(device_key)
        if day is not None and (day.version == version or not version):
            # Seen in this batch with this version (the usual case, every check of a device
            # after its first of the batch): its version is counted.
            if has_update is not None:
                day.has_update = has_update
            _note(day, channel, platform, arch)
            return
        if day is None:
            if device_key not in self._stored:
                count = self._devices.get(key, 0)
                if count >= self._max_devices:
                    self._full(key, "devices")
                    return
                self._devices[key] = count + 1
            day = DeviceDay(owner, app, today, device, version, has_update)
            batch.devices[device_key] = day
        else:
            day.take(version, has_update)
        _note(day, channel, platform, arch)
        if version:
            self._known(key, version)

    def _known(self, key: tuple[str, str, str], version: str) -> None:
        """The app's version, among those of the day (bounded) and those it has known."""
        owner, app, _ = key
        batch = self._batch
        known = self._versions.get(key)
        if known is None:
            known = self._versions[key] = set()
        if version not in known:
            if len(known) >= self._max_versions:
                self._full(key, "versions")
                return
            known.add(version)
        versions = batch.versions.get((owner, app))
        if versions is None:
            versions = batch.versions[(owner, app)] = set()
        versions.add(version)

    def _full(self, key: tuple[str, str, str], what: str) -> None:
        """Say once a day per app that a bound was reached."""
        if (*key, what) in self._warned:
            return
        self._warned.add((*key, what))
        owner, app, today = key
        limit = self._max_devices if what == "devices" else self._max_versions
        log.warning(
            "telemetry: app %r of %r reached %d distinct %s on %s; more are not recorded"
            " until the next UTC day (their checks still count as requests)",
            app,
            owner,
            limit,
            what,
            today,
        )

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
            changed = (new.version and new.version != stored.version) or (
                new.has_update is not None and new.has_update != stored.has_update
            )
            if changed or new.channels or new.platforms or new.archs:
                fresh.devices[key] = new
        return fresh

    def _remember(self, batch: TelemetryBatch) -> None:
        """Note what the store now has of today's devices (earlier days' are done with)."""
        if self._stored and next(iter(self._stored))[2] != batch.today:
            self._stored = {k: v for k, v in self._stored.items() if k[2] == batch.today}
        for key, day in batch.devices.items():
            if key[2] != batch.today:
                continue
            stored = self._stored.setdefault(
                key,
                DeviceDay(day.owner, day.app, day.date, day.device, day.version, day.has_update),
            )
            stored.take(day.version, day.has_update)
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
                kept.take(day.version, day.has_update)
                kept.channels |= day.channels
                kept.platforms |= day.platforms
                kept.archs |= day.archs
        for app_key, versions in newer.versions.items():
            older.versions.setdefault(app_key, set()).update(versions)
        older.today = newer.today or older.today

    def start(self) -> None:
        self._loop.start()

    async def close(self) -> None:
        """Stop flushing at the interval (a flush under way ends first), then flush the rest."""
        await self._loop.stop()
        await self.flush()
