"""Crash and event reports in MongoDB's ``report_keys``, ``report_groups`` and ``report_blobs``,
as FaynoSync v2.1 stores them, and the rate limits' counters in ``faynosync_report_counters``
(the ReportRepository)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from faynosync.store.models import (
    GroupChange,
    GroupFilter,
    ReportBlob,
    ReportGroup,
    ReportKey,
    ReportSubject,
)
from faynosync.store.mongo.codec import EXISTS
from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.errors import translated
from faynosync.store.protocol import StoreError

# ReportSubject's fields in FaynoSync's documents.
SUBJECT_PATHS = {
    "app_name": "application.name",
    "version": "application.version",
    "channel": "application.channel",
    "platform": "system.platform",
    "arch": "system.arch",
    "type": "event.type",
    "reason": "event.reason",
}
_EPOCH = datetime.fromtimestamp(0, UTC)


def _oid(text: str) -> ObjectId | str:
    return ObjectId(text) if ObjectId.is_valid(text) else text


def _oids(texts: list[str]) -> list[ObjectId]:
    return [ObjectId(text) for text in texts if ObjectId.is_valid(text)]


def _subject_document(subject: ReportSubject) -> Document:
    return {
        "application": {
            "name": subject.app_name,
            "version": subject.version,
            "channel": subject.channel,
        },
        "system": {"platform": subject.platform, "arch": subject.arch},
        "event": {"type": subject.type, "reason": subject.reason},
    }


def _part(doc: Document, name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def _subject(doc: Document) -> ReportSubject:
    values = {}
    for field, path in SUBJECT_PATHS.items():
        outer, inner = path.split(".")
        values[field] = str(_part(doc, outer).get(inner, ""))
    return ReportSubject(**values)


def _date(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _key_from(doc: Document, app: Document | None = None) -> ReportKey:
    return ReportKey(
        id=str(doc["_id"]),
        app_id=str(doc.get("app_id", "")),
        owner=str(doc.get("owner", "")),
        key_value=str(doc.get("key_value", "")),
        created_at=_date(doc.get("created_at")) or _EPOCH,
        updated_at=_date(doc.get("updated_at")) or _EPOCH,
        app_name=str(app.get("app_name", "")) if app else "",
        app_reports=app.get("reports") is True if app else False,
    )


def _group_from(doc: Document) -> ReportGroup:
    stats = _part(doc, "stats")
    tags = doc.get("tags")
    return ReportGroup(
        id=str(doc["_id"]),
        group_hash=str(doc.get("groupHash", "")),
        app_id=str(doc.get("app_id", "")),
        owner=str(doc.get("owner", "")),
        subject=_subject(doc),
        status=str(doc.get("status", "") or ""),
        count=_int(stats.get("count")),
        first_seen=_date(stats.get("firstSeen")) or _EPOCH,
        last_seen=_date(stats.get("lastSeen")) or _EPOCH,
        details_stored=_int(stats.get("detailsStored")),
        details_rejected=_int(stats.get("detailsRejected")),
        created_at=_date(doc.get("createdAt")) or _EPOCH,
        updated_at=_date(doc.get("updatedAt")) or _EPOCH,
        tags=[str(t) for t in tags] if isinstance(tags, list) and tags else None,
        note=str(doc.get("note", "") or ""),
        resolved_at=_date(doc.get("resolvedAt")),
        resolved_by=str(doc.get("resolvedBy", "") or ""),
    )


def blob_document(blob: ReportBlob) -> Document:
    return {
        "_id": ObjectId(blob.id),
        "groupHash": blob.group_hash,
        "app_id": _oid(blob.app_id),
        "owner": blob.owner,
        **_subject_document(blob.subject),
        "storage": {
            "driver": blob.driver,
            "bucket": blob.bucket,
            "key": blob.key,
            "compressedSize": blob.compressed_size,
            "decompressedSize": blob.decompressed_size,
            "contentType": "application/json",
            "encoding": "gzip",
        },
        "createdAt": blob.created_at,
        "expiresAt": blob.expires_at,
    }


def _blob_from(doc: Document) -> ReportBlob:
    storage = _part(doc, "storage")
    return ReportBlob(
        id=str(doc["_id"]),
        group_hash=str(doc.get("groupHash", "")),
        app_id=str(doc.get("app_id", "")),
        owner=str(doc.get("owner", "")),
        subject=_subject(doc),
        driver=str(storage.get("driver", "")),
        bucket=str(storage.get("bucket", "")),
        key=str(storage.get("key", "")),
        compressed_size=_int(storage.get("compressedSize")),
        decompressed_size=_int(storage.get("decompressedSize")),
        created_at=_date(doc.get("createdAt")) or _EPOCH,
        expires_at=_date(doc.get("expiresAt")) or _EPOCH,
    )


def _scope(owner: str, apps: list[str] | None) -> Document:
    query: Document = {"owner": owner}
    if apps is not None:
        query["app_id"] = {"$in": _oids(apps)}
    return query


class MongoReports:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._keys = db["report_keys"]
        self._groups = db["report_groups"]
        self._blobs = db["report_blobs"]
        self._counters = db["faynosync_report_counters"]
        self._meta = db["apps_meta"]

    # --- keys ---------------------------------------------------------------------------------

    @translated
    async def insert_key(self, key: ReportKey) -> None:
        await self._keys.insert_one(
            {
                "_id": ObjectId(key.id),
                "app_id": _oid(key.app_id),
                "owner": key.owner,
                "key_value": key.key_value,
                "created_at": key.created_at,
                "updated_at": key.updated_at,
            }
        )

    @translated
    async def key_of_app(self, app_id: str) -> ReportKey | None:
        doc = await self._keys.find_one({"app_id": _oid(app_id)})
        return _key_from(doc) if doc else None

    @translated
    async def delete_key(self, app_id: str, owner: str) -> bool:
        result = await self._keys.delete_one({"app_id": _oid(app_id), "owner": owner})
        return result.deleted_count > 0

    @translated
    async def set_key_value(self, key_id: str, value: str, at: datetime) -> None:
        await self._keys.update_one(
            {"_id": _oid(key_id)}, {"$set": {"key_value": value, "updated_at": at}}
        )

    async def _apps(self, ids: list[Any]) -> dict[Any, Document]:
        cursor = self._meta.find(
            {"_id": {"$in": ids}, "app_name": EXISTS}, {"app_name": 1, "reports": 1}
        )
        return {doc["_id"]: doc async for doc in cursor}

    @translated
    async def keys(self, owner: str, apps: list[str] | None) -> list[ReportKey]:
        docs = [doc async for doc in self._keys.find(_scope(owner, apps))]
        found = await self._apps([doc.get("app_id") for doc in docs])
        keys = [_key_from(doc, found[doc["app_id"]]) for doc in docs if doc.get("app_id") in found]
        keys.sort(key=lambda k: (k.updated_at, k.id), reverse=True)
        return keys

    @translated
    async def key_by_value(self, value: str) -> ReportKey | None:
        async for doc in self._keys.find({"key_value": value}).limit(10):
            found = await self._apps([doc.get("app_id")])
            if doc.get("app_id") in found:
                return _key_from(doc, found[doc["app_id"]])
        return None

    # --- groups -------------------------------------------------------------------------------

    @translated
    async def record(self, group: ReportGroup) -> None:
        where = {"app_id": _oid(group.app_id), "groupHash": group.group_hash}
        update = {
            "$inc": {"stats.count": 1},
            "$set": {"stats.lastSeen": group.last_seen, "updatedAt": group.updated_at},
            "$setOnInsert": {
                **_subject_document(group.subject),
                "owner": group.owner,
                "status": group.status,
                "stats.firstSeen": group.first_seen,
                "stats.detailsStored": 0,
                "stats.detailsRejected": 0,
                "createdAt": group.created_at,
            },
        }
        try:
            await self._groups.update_one(where, update, upsert=True)
        except DuplicateKeyError:  # another process inserted it first: now it exists
            await self._groups.update_one(where, update, upsert=True)
        await self._groups.update_one(
            {**where, "status": "resolved"},
            {
                "$set": {"status": "open", "updatedAt": group.updated_at},
                "$unset": {"resolvedAt": "", "resolvedBy": ""},
            },
        )

    @translated
    async def count_details(self, app_id: str, group_hash: str, *, stored: bool) -> None:
        field = "stats.detailsStored" if stored else "stats.detailsRejected"
        await self._groups.update_one(
            {"app_id": _oid(app_id), "groupHash": group_hash}, {"$inc": {field: 1}}
        )

    @translated
    async def groups(
        self, query: GroupFilter, *, skip: int, limit: int
    ) -> tuple[list[ReportGroup], int]:
        where = _scope(query.owner, query.apps)
        if query.status == "open":
            where["$or"] = [{"status": "open"}, {"status": {"$exists": False}}]
        elif query.status:
            where["status"] = query.status
        for name, value in query.fields:
            if name not in SUBJECT_PATHS:
                raise StoreError(f"no report field {name}")
            where[SUBJECT_PATHS[name]] = value
        seen: Document = {}
        if query.seen_from is not None:
            seen["$gte"] = query.seen_from
        if query.seen_to is not None:
            seen["$lte"] = query.seen_to
        if seen:
            where["stats.lastSeen"] = seen
        total = await self._groups.count_documents(where)
        if skip >= total:
            return [], total
        cursor = (
            self._groups.find(where)
            .sort([("stats.lastSeen", -1), ("_id", -1)])
            .skip(skip)
            .limit(min(limit, 2**31 - 1))
        )
        return [_group_from(doc) async for doc in cursor], total

    @translated
    async def change_group(
        self, owner: str, apps: list[str] | None, group_hash: str, change: GroupChange, at: datetime
    ) -> bool:
        sets: Document = {"updatedAt": at}
        unsets: Document = {}
        if change.status is not None:
            sets["status"] = change.status
            if change.status == "resolved":
                sets.update(resolvedAt=at, resolvedBy=change.by)
            else:
                unsets.update(resolvedAt="", resolvedBy="")
        if change.tags is not None:
            if change.tags:
                sets["tags"] = change.tags
            else:
                unsets["tags"] = ""
        if change.note is not None:
            if change.note:
                sets["note"] = change.note
            else:
                unsets["note"] = ""
        update: Document = {"$set": sets}
        if unsets:
            update["$unset"] = unsets
        result = await self._groups.update_many(
            {**_scope(owner, apps), "groupHash": group_hash}, update
        )
        return result.matched_count > 0

    @translated
    async def delete_group(
        self, owner: str, apps: list[str] | None, group_hash: str
    ) -> list[ReportBlob] | None:
        where = {**_scope(owner, apps), "groupHash": group_hash}
        blobs = [_blob_from(doc) async for doc in self._blobs.find(where)]
        await self._blobs.delete_many(where)
        result = await self._groups.delete_many(where)
        return blobs if result.deleted_count > 0 else None

    # --- blobs --------------------------------------------------------------------------------

    @translated
    async def insert_blob(self, blob: ReportBlob) -> None:
        await self._blobs.insert_one(blob_document(blob))

    @translated
    async def blobs(
        self, owner: str, apps: list[str] | None, group_hash: str, *, limit: int, now: datetime
    ) -> list[ReportBlob]:
        where = {**_scope(owner, apps), "groupHash": group_hash, "expiresAt": {"$gt": now}}
        cursor = self._blobs.find(where).sort([("createdAt", -1), ("_id", -1)]).limit(limit)
        return [_blob_from(doc) async for doc in cursor]

    @translated
    async def excess_blobs(
        self, app_id: str, group_hash: str, *, keep: int, now: datetime
    ) -> list[ReportBlob]:
        cursor = self._blobs.find({"app_id": _oid(app_id), "groupHash": group_hash}).sort(
            [("createdAt", -1), ("_id", -1)]
        )
        blobs = [_blob_from(doc) async for doc in cursor]
        return [b for i, b in enumerate(blobs) if i >= keep or b.expires_at <= now]

    @translated
    async def expired_blobs(self, now: datetime, *, limit: int) -> list[ReportBlob]:
        cursor = self._blobs.find({"expiresAt": {"$lte": now}}).sort("expiresAt", 1).limit(limit)
        return [_blob_from(doc) async for doc in cursor]

    @translated
    async def delete_blobs(self, blob_ids: list[str]) -> None:
        if blob_ids:
            await self._blobs.delete_many({"_id": {"$in": _oids(blob_ids)}})

    async def blob_keys(self) -> AsyncIterator[str]:
        try:
            async for doc in self._blobs.find({}, {"storage.key": 1}):
                key = _part(doc, "storage").get("key")
                if isinstance(key, str):
                    yield key
        except Exception as exc:  # the driver's errors, as the store's
            raise StoreError(str(exc)) from exc

    # --- rate-limit counters ------------------------------------------------------------------

    @translated
    async def hit(self, counter: str, expires_at: datetime) -> int:
        doc = await self._counters.find_one_and_update(
            {"_id": counter},
            {"$inc": {"value": 1}, "$setOnInsert": {"expires_at": expires_at}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return _int(doc.get("value")) if doc else 1
