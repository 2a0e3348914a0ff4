"""The MongoDB client: UTC times, time-outs, the database the URL names, and whole-collection
reads in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConfigurationError, PyMongoError

from faynosync.store.mongo.errors import describe
from faynosync.store.protocol import StoreError

Document = dict[str, Any]

BATCH = 1000  # documents per round trip when a whole collection is read


def connect(
    url: str, *, timeout_ms: int
) -> tuple[AsyncMongoClient[Document], AsyncDatabase[Document]]:
    """A client (it connects on first use) and the database named in the URL's path."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        url, tz_aware=True, tzinfo=UTC, serverSelectionTimeoutMS=5_000, timeoutMS=timeout_ms
    )
    try:
        database = client.get_default_database(
            codec_options=CodecOptions(tz_aware=True, tzinfo=UTC)
        )
    except ConfigurationError:
        raise StoreError(
            "MONGODB_URL must name the database in its path, e.g. mongodb://host:27017/faynosync"
        ) from None
    return client, database


async def read_all(
    collection: AsyncCollection[Document], query: Document, fields: Document | None = None
) -> AsyncIterator[Document]:
    """Every matching document, :data:`BATCH` per round trip; the driver's errors as the
    store's."""
    try:
        async for doc in collection.find(query, fields).batch_size(BATCH):
            yield doc
    except PyMongoError as exc:
        raise StoreError(describe(exc)) from exc
