"""The MongoDB store: one database's repositories, its migration, its health check."""

from __future__ import annotations

import contextlib

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from faynosync.store.mongo import schema
from faynosync.store.mongo.admins import MongoAdmins
from faynosync.store.mongo.api_tokens import MongoApiTokens
from faynosync.store.mongo.changes import MongoChanges
from faynosync.store.mongo.claims import MongoClaims
from faynosync.store.mongo.connection import Document, connect
from faynosync.store.mongo.meta import MongoMeta
from faynosync.store.mongo.reports import MongoReports
from faynosync.store.mongo.team_users import MongoTeamUsers
from faynosync.store.mongo.telemetry import MongoTelemetry
from faynosync.store.mongo.versions import MongoVersions
from faynosync.store.protocol import StoreError


class MongoStore:
    """The store on MongoDB; the database is the one named in the URL's path."""

    name = "MongoDB"

    def __init__(self, url: str, *, timeout_ms: int = 30_000) -> None:
        self._client, self._db = connect(url, timeout_ms=timeout_ms)
        self.admins = MongoAdmins(self._db["admins"])
        self.team_users = MongoTeamUsers(self._db["team_users"])
        self.meta = MongoMeta(self._db["apps_meta"])
        self.api_tokens = MongoApiTokens(self._db["api_tokens"])
        self.versions = MongoVersions(self._db["apps"])
        self.telemetry = MongoTelemetry(self._db)
        self.reports = MongoReports(self._db)
        self.claims = MongoClaims(self._db["faynosync_claims"])
        self.changes = MongoChanges(self._db["faynosync_changes"])

    @property
    def database(self) -> AsyncDatabase[Document]:
        return self._db

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Reads in the block as outside it, each query on its own: a snapshot would need a
        transaction (a replica set) and one session per block."""
        return contextlib.nullcontext()

    async def ping(self) -> None:
        try:
            await self._db.command("ping")
        except PyMongoError as exc:
            raise StoreError(str(exc)) from None

    async def migrate(self) -> None:
        await schema.migrate(self._db)

    async def close(self) -> None:
        await self._client.close()
