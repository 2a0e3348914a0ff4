"""Admins in SQLite's ``admins`` table (the AdminRepository)."""

from __future__ import annotations

from datetime import datetime

from faynosync.core.gotime import to_millis
from faynosync.store.models import Admin
from faynosync.store.sqlite.codec import admin_from
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated


class SqliteAdmins:
    def __init__(self, db: Db) -> None:
        self._db = db

    @translated
    async def get_by_username(self, username: str) -> Admin | None:
        row = await self._db.one("SELECT * FROM admins WHERE username = ?", username)
        return admin_from(row) if row else None

    @translated
    async def get_by_id_and_username(self, admin_id: str, username: str) -> Admin | None:
        row = await self._db.one(
            "SELECT * FROM admins WHERE id = ? AND username = ?", admin_id, username
        )
        return admin_from(row) if row else None

    @translated
    async def insert(self, admin: Admin) -> None:
        await self._db.run(
            "INSERT INTO admins (id, username, password, updated_at) VALUES (?, ?, ?, ?)",
            admin.id,
            admin.username,
            admin.password,
            to_millis(admin.updated_at),
        )

    @translated
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
