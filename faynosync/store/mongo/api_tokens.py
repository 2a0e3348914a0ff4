"""API tokens in MongoDB's ``api_tokens`` collection, as FaynoSync v2.1 stores them (the
ApiTokenRepository)."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection

from faynosync.store.models import ApiToken
from faynosync.store.mongo.codec import oid
from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.errors import translated


def token_document(token: ApiToken) -> Document:
    """v2.1's field order; ``allowed_apps``, ``expires_at`` and ``last_used_at`` omitted when
    empty."""
    doc: Document = {
        "_id": oid(token.id),
        "name": token.name,
        "token_hash": token.token_hash,
        "token_prefix": token.token_prefix,
        "owner": token.owner,
    }
    if token.allowed_apps:
        doc["allowed_apps"] = list(token.allowed_apps)
    if token.expires_at is not None:
        doc["expires_at"] = token.expires_at
    doc["created_at"] = token.created_at
    if token.last_used_at is not None:
        doc["last_used_at"] = token.last_used_at
    return doc


def _token_from(doc: Document) -> ApiToken:
    allowed = doc.get("allowed_apps")
    return ApiToken(
        id=str(doc["_id"]),
        name=str(doc.get("name", "")),
        token_hash=str(doc.get("token_hash", "")),
        token_prefix=str(doc.get("token_prefix", "")),
        owner=str(doc.get("owner", "")),
        allowed_apps=[str(app) for app in allowed] if isinstance(allowed, list) else [],
        expires_at=_date(doc.get("expires_at")),
        created_at=_date(doc.get("created_at")) or datetime.fromtimestamp(0, UTC),
        last_used_at=_date(doc.get("last_used_at")),
    )


def _date(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


class MongoApiTokens:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @translated
    async def insert(self, token: ApiToken) -> None:
        await self._c.insert_one(token_document(token))

    @translated
    async def get_by_hash(self, token_hash: str) -> ApiToken | None:
        doc = await self._c.find_one({"token_hash": token_hash})
        return _token_from(doc) if doc else None

    @translated
    async def list(self, owner: str) -> list[ApiToken]:
        cursor = self._c.find({"owner": owner}).sort([("created_at", -1), ("_id", -1)])
        tokens = []
        async for doc in cursor:
            if isinstance(doc.get("_id"), ObjectId):  # as v2.1, undecodable documents skipped
                tokens.append(_token_from(doc))
        return tokens

    @translated
    async def delete(self, token_id: str, owner: str) -> bool:
        result = await self._c.delete_one({"_id": oid(token_id), "owner": owner})
        return result.deleted_count > 0

    @translated
    async def used(self, token_id: str, at: datetime) -> None:
        await self._c.update_one({"_id": oid(token_id)}, {"$set": {"last_used_at": at}})
