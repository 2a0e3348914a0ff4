"""Update-check telemetry in SQLite's ``telemetry_*`` tables (the TelemetryRepository)."""

from __future__ import annotations

import json

from faynosync.store.models import DeviceDay, TelemetryBatch
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated

_DIMENSIONS = (("channel", "channels"), ("platform", "platforms"), ("arch", "archs"))
# has_update as stored: a beacon without ``is_latest`` records no answer (-1).
_ANSWERS: dict[bool | None, int] = {None: -1, False: 0, True: 1}
_ANSWERED = {-1: None, 0: False, 1: True}


class SqliteTelemetry:
    def __init__(self, db: Db) -> None:
        self._db = db

    @translated
    async def merge(self, batch: TelemetryBatch) -> None:
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO telemetry_requests (owner, app, date, requests) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET requests = requests + excluded.requests",
                [(*key, count) for key, count in batch.requests.items()],
            )
            days = list(batch.devices.values())
            await conn.executemany(
                "INSERT INTO telemetry_devices (owner, app, date, device, version, has_update)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                # A beacon without a version or an answer keeps the stored ones (DeviceDay.take).
                " version = CASE excluded.version WHEN '' THEN version ELSE excluded.version END,"
                " has_update = CASE excluded.has_update WHEN -1 THEN has_update"
                " ELSE excluded.has_update END",
                [
                    (d.owner, d.app, d.date, d.device, d.version, _ANSWERS[d.has_update])
                    for d in days
                ],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO telemetry_members VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (d.owner, d.app, d.date, d.device, dimension, value)
                    for d in days
                    for dimension, attribute in _DIMENSIONS
                    for value in getattr(d, attribute)
                ],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO telemetry_versions VALUES (?, ?, ?, ?)",
                [
                    (owner, app, version, batch.today)
                    for (owner, app), versions in batch.versions.items()
                    for version in versions
                ],
            )
            # The set of known versions lives on while its app is seen (as a Redis key's TTL).
            await conn.executemany(
                "UPDATE telemetry_versions SET last_seen = ? WHERE owner = ? AND app = ?",
                [(batch.today, owner, app) for owner, app in batch.versions],
            )

    @translated
    async def requests(self, owner: str, dates: list[str]) -> dict[tuple[str, str], int]:
        rows = await self._db.all(
            "SELECT app, date, requests FROM telemetry_requests WHERE owner = ?"
            " AND date IN (SELECT value FROM json_each(?))",
            owner,
            json.dumps(dates),
        )
        return {(row["app"], row["date"]): int(row["requests"]) for row in rows}

    @translated
    async def devices(self, owner: str, apps: list[str], dates: list[str]) -> list[DeviceDay]:
        scope = (
            " WHERE owner = ? AND app IN (SELECT value FROM json_each(?))"
            " AND date IN (SELECT value FROM json_each(?))"
        )
        params = (owner, json.dumps(apps), json.dumps(dates))
        days: dict[tuple[str, str, str], DeviceDay] = {}
        for row in await self._db.all("SELECT * FROM telemetry_devices" + scope, *params):
            days[(row["app"], row["date"], row["device"])] = DeviceDay(
                owner=owner,
                app=row["app"],
                date=row["date"],
                device=row["device"],
                version=row["version"],
                has_update=_ANSWERED.get(row["has_update"], bool(row["has_update"])),
            )
        attributes = dict(_DIMENSIONS)
        for row in await self._db.all("SELECT * FROM telemetry_members" + scope, *params):
            day = days.get((row["app"], row["date"], row["device"]))
            if day is not None:
                getattr(day, attributes[row["dimension"]]).add(row["value"])
        return list(days.values())

    @translated
    async def known_versions(self, owner: str, apps: list[str]) -> dict[str, set[str]]:
        rows = await self._db.all(
            "SELECT app, version FROM telemetry_versions WHERE owner = ?"
            " AND app IN (SELECT value FROM json_each(?))",
            owner,
            json.dumps(apps),
        )
        known: dict[str, set[str]] = {}
        for row in rows:
            known.setdefault(row["app"], set()).add(row["version"])
        return known

    @translated
    async def purge(self, before: str) -> None:
        async with self._db.transaction() as conn:
            for table in ("telemetry_requests", "telemetry_devices", "telemetry_members"):
                await conn.execute(f"DELETE FROM {table} WHERE date < ?", (before,))
            await conn.execute("DELETE FROM telemetry_versions WHERE last_seen < ?", (before,))
