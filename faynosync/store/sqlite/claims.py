"""Leases on object keys in SQLite's ``object_claims`` table (the ClaimRepository)."""

from __future__ import annotations

from datetime import UTC, datetime

from faynosync.core.gotime import to_millis
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated


class SqliteClaims:
    def __init__(self, db: Db) -> None:
        self._db = db

    @translated
    async def acquire(self, key: str, holder: str, until: datetime) -> bool:
        taken = await self._db.run(
            "INSERT INTO object_claims (key, holder, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at WHERE object_claims.expires_at <= ?",
            key,
            holder,
            to_millis(until),
            to_millis(datetime.now(UTC)),
        )
        return taken > 0

    @translated
    async def renew(self, key: str, holder: str, until: datetime) -> bool:
        changed = await self._db.run(
            "UPDATE object_claims SET expires_at = ? WHERE key = ? AND holder = ?",
            to_millis(until),
            key,
            holder,
        )
        return changed > 0

    @translated
    async def release(self, key: str, holder: str) -> None:
        await self._db.run("DELETE FROM object_claims WHERE key = ? AND holder = ?", key, holder)
