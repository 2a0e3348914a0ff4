"""Leases on object keys in MongoDB's ``faynosync_claims`` collection (the ClaimRepository)."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.errors import translated


class MongoClaims:
    """Leases in ``faynosync_claims``: one document per key, removed by a TTL index once lapsed
    (the acquire also takes over a lapsed one the TTL monitor has not removed yet)."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @translated
    async def acquire(self, key: str, holder: str, until: datetime) -> bool:
        for _ in range(2):  # the TTL monitor may remove a lapsed lease between the two steps
            try:
                await self._c.insert_one({"_id": key, "holder": holder, "expires_at": until})
                return True
            except DuplicateKeyError:
                pass
            taken = await self._c.update_one(
                {"_id": key, "expires_at": {"$lte": datetime.now(UTC)}},
                {"$set": {"holder": holder, "expires_at": until}},
            )
            if taken.matched_count:
                return True
            if await self._c.find_one({"_id": key}, {"_id": 1}) is not None:
                return False
        return False

    @translated
    async def renew(self, key: str, holder: str, until: datetime) -> bool:
        result = await self._c.update_one(
            {"_id": key, "holder": holder}, {"$set": {"expires_at": until}}
        )
        return result.matched_count > 0

    @translated
    async def release(self, key: str, holder: str) -> None:
        await self._c.delete_one({"_id": key, "holder": holder})
