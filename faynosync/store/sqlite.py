"""SQLite backend, the embedded default: one file under the data dir, WAL mode, versioned schema.

Rows mirror FaynoSync's documents: ids are 24-hex ObjectId strings, times are milliseconds since
the epoch (BSON datetime precision), nested documents are stored as their JSON text. The same
uniqueness rules as the MongoDB indexes are enforced by UNIQUE constraints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from faynosync.core.gotime import from_millis, to_millis
from faynosync.store.models import Admin, Permissions, TeamUser
from faynosync.store.protocol import StoreError, translate_errors

# Append-only: each entry moves the schema one version up (PRAGMA user_version).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE admins (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE team_users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password TEXT NOT NULL,
        owner TEXT NOT NULL,
        permissions TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX team_users_owner ON team_users (owner);
    """,
]

_translated = translate_errors(
    duplicate=lambda exc: isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc),
    driver_errors=(sqlite3.Error, ValueError),
)


class _Db:
    """Two connections: reads see committed data only; writes are serialised on the other."""

    def __init__(self, reader: aiosqlite.Connection, writer: aiosqlite.Connection) -> None:
        self.reader = reader
        self.writer = writer
        self.write_lock = asyncio.Lock()

    async def one(self, sql: str, *params: Any) -> sqlite3.Row | None:
        async with self.reader.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def all(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        async with self.reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def run(self, sql: str, *params: Any) -> int:
        """Execute one write statement (atomic on its own); return the changed row count."""
        async with self.write_lock, self.writer.execute(sql, params) as cursor:
            return cursor.rowcount

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.write_lock:
            await self.writer.execute("BEGIN IMMEDIATE")
            try:
                yield self.writer
            except BaseException:
                await self.writer.rollback()
                raise
            await self.writer.commit()

    async def close(self) -> None:
        await self.reader.close()
        await self.writer.close()


class SqliteAdmins:
    def __init__(self, db: _Db) -> None:
        self._db = db

    @staticmethod
    def _from(row: sqlite3.Row) -> Admin:
        return Admin(
            id=row["id"],
            username=row["username"],
            password=row["password"],
            updated_at=from_millis(row["updated_at"]),
        )

    @_translated
    async def get_by_username(self, username: str) -> Admin | None:
        row = await self._db.one("SELECT * FROM admins WHERE username = ?", username)
        return self._from(row) if row else None

    @_translated
    async def get_by_id_and_username(self, admin_id: str, username: str) -> Admin | None:
        row = await self._db.one(
            "SELECT * FROM admins WHERE id = ? AND username = ?", admin_id, username
        )
        return self._from(row) if row else None

    @_translated
    async def insert(self, admin: Admin) -> None:
        await self._db.run(
            "INSERT INTO admins (id, username, password, updated_at) VALUES (?, ?, ?, ?)",
            admin.id,
            admin.username,
            admin.password,
            to_millis(admin.updated_at),
        )

    @_translated
    async def update_password(
        self, admin_id: str, *, password: str | None, updated_at: datetime
    ) -> bool:
        changed = await self._db.run(
            "UPDATE admins SET password = COALESCE(?, password), updated_at = ? WHERE id = ?",
            password or None,
            to_millis(updated_at),
            admin_id,
        )
        return changed > 0


class SqliteTeamUsers:
    def __init__(self, db: _Db) -> None:
        self._db = db

    @staticmethod
    def _from(row: sqlite3.Row) -> TeamUser:
        return TeamUser(
            id=row["id"],
            username=row["username"],
            password=row["password"],
            owner=row["owner"],
            permissions=Permissions.from_document(json.loads(row["permissions"])),
            updated_at=from_millis(row["updated_at"]),
        )

    @_translated
    async def get_by_username(self, username: str) -> TeamUser | None:
        row = await self._db.one("SELECT * FROM team_users WHERE username = ?", username)
        return self._from(row) if row else None

    @_translated
    async def insert(self, user: TeamUser) -> None:
        await self._db.run(
            "INSERT INTO team_users (id, username, password, owner, permissions, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            user.id,
            user.username,
            user.password,
            user.owner,
            json.dumps(user.permissions.to_document()),
            to_millis(user.updated_at),
        )


class SqliteStore:
    """The store in one SQLite file. Open it with :meth:`open`."""

    name = "SQLite"

    def __init__(self, db: _Db) -> None:
        self._db = db
        self.admins = SqliteAdmins(db)
        self.team_users = SqliteTeamUsers(db)

    @classmethod
    async def open(cls, path: Path) -> SqliteStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = await _connect(path)
            reader = await _connect(path)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc
        return cls(_Db(reader, writer))

    async def migrate(self) -> None:
        async with self._db.transaction() as conn:
            async with conn.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            version = int(row[0]) if row else 0
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"the database schema (version {version}) is newer than this server "
                    f"(version {len(MIGRATIONS)})"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")

    async def ping(self) -> None:
        try:
            await self._db.one("SELECT 1")
        except (sqlite3.Error, ValueError) as exc:
            raise StoreError(str(exc)) from exc

    async def close(self) -> None:
        await self._db.close()


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in (
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA busy_timeout = 5000",
        "PRAGMA foreign_keys = ON",
    ):
        await conn.execute(pragma)
    return conn
