"""The write counter of the response caches: one document of ``faynosync_changes``."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.errors import translated


class MongoChanges:
    _ID = "update-checks"

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @translated
    async def bump(self) -> int:
        doc = await self._c.find_one_and_update(
            {"_id": self._ID},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["value"]) if doc else 0

    @translated
    async def count(self) -> int:
        doc = await self._c.find_one({"_id": self._ID})
        return int(doc["value"]) if doc else 0
