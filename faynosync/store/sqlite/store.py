"""The SQLite store: one file's repositories, its migration, its health check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from faynosync.store.protocol import StoreError
from faynosync.store.sqlite import schema
from faynosync.store.sqlite.admins import SqliteAdmins
from faynosync.store.sqlite.api_tokens import SqliteApiTokens
from faynosync.store.sqlite.changes import SqliteChanges
from faynosync.store.sqlite.claims import SqliteClaims
from faynosync.store.sqlite.connection import Db, Snapshot, open_db
from faynosync.store.sqlite.meta import SqliteMeta
from faynosync.store.sqlite.reports import SqliteReports
from faynosync.store.sqlite.team_users import SqliteTeamUsers
from faynosync.store.sqlite.telemetry import SqliteTelemetry
from faynosync.store.sqlite.versions import SqliteVersions


class SqliteStore:
    """The store in one SQLite file. Open it with :meth:`open`."""

    name = "SQLite"

    def __init__(self, db: Db) -> None:
        self._db = db
        self.admins = SqliteAdmins(db)
        self.team_users = SqliteTeamUsers(db)
        self.meta = SqliteMeta(db)
        self.api_tokens = SqliteApiTokens(db)
        self.versions = SqliteVersions(db)
        self.telemetry = SqliteTelemetry(db)
        self.reports = SqliteReports(db)
        self.claims = SqliteClaims(db)
        self.changes = SqliteChanges(db)

    @classmethod
    async def open(cls, path: Path) -> SqliteStore:
        return cls(await open_db(path))

    def snapshot(self) -> Snapshot:
        return self._db.snapshot()

    async def migrate(self) -> None:
        async with self._db.transaction() as conn:
            await schema.migrate(conn)

    async def ping(self) -> None:
        try:
            await self._db.one("SELECT 1")
        except (sqlite3.Error, ValueError) as exc:
            raise StoreError(str(exc)) from exc

    async def close(self) -> None:
        await self._db.close()
