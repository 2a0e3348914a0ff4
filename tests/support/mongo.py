"""The MongoDB database the tests of one process share: migrated once, emptied after each test.

A new database per test would pay for faynosync's indexes each time. Instead each test process
(each pytest-xdist worker) keeps one database, migrated by faynosync's own ``migrate`` before
its first test; after each test its collections are emptied. If a test changed the schema (a
collection or index added or dropped, a validator set), the database is dropped instead and the
next test migrates a new one. Tests of the migration itself take a fresh database
(``fresh_database`` marker).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from pymongo import AsyncMongoClient, MongoClient

from faynosync.store import open_store
from tests.support.api import make_settings
from tests.support.services import with_database

Schema = dict[str, tuple[Any, list[str]]]


def database_name() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"faynosync_test_{worker}_{uuid.uuid4().hex[:12]}"


class SharedDatabase:
    def __init__(self, server_url: str) -> None:
        self._server_url = server_url
        # Synchronous: a test's event loop ends with the test; this client lives for the run.
        self._client: MongoClient[dict[str, Any]] = MongoClient(with_database(server_url, "admin"))
        self._name = ""
        self._schema: Schema | None = None

    @property
    def url(self) -> str:
        return with_database(self._server_url, self._name)

    async def ready(self) -> str:
        """The database's URL, migrated and empty."""
        if self._schema is None:
            self._name = database_name()
            store = await open_store(make_settings(MONGODB_URL=self.url))
            try:
                await store.migrate()
            finally:
                await store.close()
            self._schema = self._read_schema()
        return self.url

    def empty(self) -> None:
        """Delete every document; drop the database if the test changed its schema."""
        if self._schema is None:
            return
        if self._read_schema() != self._schema:
            self.drop()
            return
        database = self._client[self._name]
        for name in self._schema:
            database[name].delete_many({})

    def drop(self) -> None:
        if self._name:
            self._client.drop_database(self._name)
        self._schema = None

    def close(self) -> None:
        self.drop()
        self._client.close()

    def _read_schema(self) -> Schema:
        database = self._client[self._name]
        return {
            info["name"]: (
                info.get("options"),
                sorted(str(index["name"]) for index in database[info["name"]].list_indexes()),
            )
            for info in database.list_collections()
        }


async def drop_database(url: str, name: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        await client.drop_database(name)
    finally:
        await client.close()
