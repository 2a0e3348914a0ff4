"""The write counter of the response caches in SQLite's ``change_counter`` table (one row)."""

from __future__ import annotations

from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated


class SqliteChanges:
    def __init__(self, db: Db) -> None:
        self._db = db

    @translated
    async def bump(self) -> int:
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE change_counter SET value = value + 1 WHERE id = 1")
            async with conn.execute("SELECT value FROM change_counter WHERE id = 1") as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0

    @translated
    async def count(self) -> int:
        row = await self._db.one("SELECT value FROM change_counter WHERE id = 1")
        return int(row[0]) if row else 0
