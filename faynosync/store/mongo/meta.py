"""Apps, channels, platforms and archs in MongoDB's ``apps_meta`` collection, as FaynoSync
stores them (the MetaRepository)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from pymongo.asynchronous.collection import AsyncCollection

from faynosync.store.models import NAME_FIELDS, Kind, Meta
from faynosync.store.mongo.codec import EXISTS, flag_fields, kind_fields, meta_from, oid
from faynosync.store.mongo.connection import Document, read_all
from faynosync.store.mongo.errors import translated
from faynosync.store.rules import LIST_CAP


class MongoMeta:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @translated
    async def insert(self, meta: Meta) -> None:
        doc: Document = {"_id": oid(meta.id), NAME_FIELDS[meta.kind]: meta.name}
        doc.update(kind_fields(meta))
        doc.update(flag_fields(meta))
        doc.update({"updated_at": meta.updated_at, "owner": meta.owner})
        await self._c.insert_one(doc)

    @translated
    async def with_logos(self, links: list[str]) -> list[tuple[str, str]]:
        cursor = self._c.find({"logo": {"$in": links}}, {"logo": 1})
        return [(str(doc["_id"]), str(doc["logo"])) async for doc in cursor]

    @translated
    async def get(self, kind: Kind, meta_id: str) -> Meta | None:
        doc = await self._c.find_one({"_id": oid(meta_id), NAME_FIELDS[kind]: EXISTS})
        return meta_from(kind, doc) if doc else None

    @translated
    async def get_by_names(self, owner: str, names: Mapping[Kind, str]) -> dict[Kind, Meta]:
        if not names:
            return {}
        wanted = [{NAME_FIELDS[kind]: name} for kind, name in names.items()]
        found: dict[Kind, Meta] = {}
        async for doc in self._c.find({"owner": owner, "$or": wanted}):
            for kind, name in names.items():
                if doc.get(NAME_FIELDS[kind]) == name and kind not in found:
                    found[kind] = meta_from(kind, doc)
        return found

    @translated
    async def get_by_name(self, kind: Kind, name: str, owner: str) -> Meta | None:
        doc = await self._c.find_one({NAME_FIELDS[kind]: name, "owner": owner})
        return meta_from(kind, doc) if doc else None

    @translated
    async def list(
        self, kind: Kind, owner: str, *, ids: list[str] | None = None, limit: int = LIST_CAP
    ) -> list[Meta]:
        query: Document = {NAME_FIELDS[kind]: EXISTS, "owner": owner}
        if ids is not None:
            query["_id"] = {"$in": [oid(i) for i in ids]}
        cursor = self._c.find(query).limit(limit)
        return [meta_from(kind, doc) async for doc in cursor]

    @translated
    async def update(self, meta: Meta, *, flags: bool = False) -> None:
        changes: Document = {NAME_FIELDS[meta.kind]: meta.name, **kind_fields(meta)}
        if flags:  # written true or false; otherwise left as they are
            changes.update(flag_fields(meta, false_too=True))
        changes["updated_at"] = meta.updated_at
        await self._c.update_one({"_id": oid(meta.id)}, {"$set": changes})

    @translated
    async def delete(self, kind: Kind, meta_id: str) -> bool:
        result = await self._c.delete_one({"_id": oid(meta_id), NAME_FIELDS[kind]: EXISTS})
        return result.deleted_count > 0

    async def every(self, kind: Kind) -> AsyncIterator[Meta]:
        async for doc in read_all(self._c, {NAME_FIELDS[kind]: EXISTS}):
            yield meta_from(kind, doc)
