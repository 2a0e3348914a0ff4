"""Update-check telemetry in MongoDB's ``telemetry_*`` collections (the TelemetryRepository)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from faynosync.store.models import DeviceDay, TelemetryBatch
from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.errors import translated

TELEMETRY_DAYS = 31  # a day's data outlives it by 30 days, as the original's key TTL


def _expiry(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=TELEMETRY_DAYS)


def _device_write(d: DeviceDay) -> UpdateOne:
    """A device's day: a beacon without a version or an answer keeps the stored ones
    (``DeviceDay.take``; an answer never given is absent)."""
    fields: Document = {
        "owner": d.owner,
        "app": d.app,
        "date": d.date,
        "device": d.device,
        "expires_at": _expiry(d.date),
    }
    if d.version:
        fields["version"] = d.version
    if d.has_update is not None:
        fields["has_update"] = d.has_update
    update: Document = {
        "$set": fields,
        "$addToSet": {
            "channels": {"$each": sorted(d.channels)},
            "platforms": {"$each": sorted(d.platforms)},
            "archs": {"$each": sorted(d.archs)},
        },
    }
    if not d.version:
        update["$setOnInsert"] = {"version": ""}
    return UpdateOne({"_id": f"{d.owner}|{d.app}|{d.date}|{d.device}"}, update, upsert=True)


class MongoTelemetry:
    """Three collections with TTL indexes: daily request counts, device days, known versions."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._daily = db["telemetry_daily"]
        self._devices = db["telemetry_devices"]
        self._versions = db["telemetry_versions"]

    @translated
    async def merge(self, batch: TelemetryBatch) -> None:
        daily = [
            UpdateOne(
                {"_id": f"{owner}|{app}|{day}"},
                {
                    "$inc": {"requests": count},
                    "$set": {"owner": owner, "app": app, "date": day, "expires_at": _expiry(day)},
                },
                upsert=True,
            )
            for (owner, app, day), count in batch.requests.items()
        ]
        devices = [_device_write(d) for d in batch.devices.values()]
        versions = [
            UpdateOne(
                {"_id": f"{owner}|{app}|{version}"},
                {"$set": {"owner": owner, "app": app, "version": version}},
                upsert=True,
            )
            for (owner, app), known in batch.versions.items()
            for version in known
        ]
        for collection, writes in (
            (self._daily, daily),
            (self._devices, devices),
            (self._versions, versions),
        ):
            if writes:
                await collection.bulk_write(writes, ordered=False)
        # The known versions of an app live on while it is seen (as a Redis key's TTL).
        for owner, app in batch.versions:
            await self._versions.update_many(
                {"owner": owner, "app": app}, {"$set": {"expires_at": _expiry(batch.today)}}
            )

    @translated
    async def requests(self, owner: str, dates: list[str]) -> dict[tuple[str, str], int]:
        cursor = self._daily.find({"owner": owner, "date": {"$in": dates}})
        return {(doc["app"], doc["date"]): int(doc["requests"]) async for doc in cursor}

    @translated
    async def devices(self, owner: str, apps: list[str], dates: list[str]) -> list[DeviceDay]:
        cursor = self._devices.find({"owner": owner, "app": {"$in": apps}, "date": {"$in": dates}})
        return [
            DeviceDay(
                owner=owner,
                app=doc["app"],
                date=doc["date"],
                device=doc["device"],
                version=doc["version"],
                has_update=None if doc.get("has_update") is None else bool(doc["has_update"]),
                channels=set(doc.get("channels", [])),
                platforms=set(doc.get("platforms", [])),
                archs=set(doc.get("archs", [])),
            )
            async for doc in cursor
        ]

    @translated
    async def known_versions(self, owner: str, apps: list[str]) -> dict[str, set[str]]:
        known: dict[str, set[str]] = {}
        async for doc in self._versions.find({"owner": owner, "app": {"$in": apps}}):
            known.setdefault(doc["app"], set()).add(doc["version"])
        return known

    @translated
    async def purge(self, before: str) -> None:
        # The TTL indexes expire documents; this drops what they have not reached yet.
        for collection in (self._daily, self._devices):
            await collection.delete_many({"date": {"$lt": before}})
