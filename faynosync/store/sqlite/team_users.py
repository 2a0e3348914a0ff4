"""Team users in SQLite's ``team_users`` table (the TeamUserRepository)."""

from __future__ import annotations

from faynosync.core.gotime import to_millis
from faynosync.store.models import Permissions, TeamUser
from faynosync.store.sqlite.codec import permissions_json, team_user_from
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated


class SqliteTeamUsers:
    def __init__(self, db: Db) -> None:
        self._db = db

    @translated
    async def get_by_username(self, username: str) -> TeamUser | None:
        row = await self._db.one("SELECT * FROM team_users WHERE username = ?", username)
        return team_user_from(row) if row else None

    @translated
    async def insert(self, user: TeamUser) -> None:
        await self._db.run(
            "INSERT INTO team_users (id, username, password, owner, permissions, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            user.id,
            user.username,
            user.password,
            user.owner,
            permissions_json(user.permissions),
            to_millis(user.updated_at),
        )

    @translated
    async def get(self, user_id: str) -> TeamUser | None:
        row = await self._db.one("SELECT * FROM team_users WHERE id = ?", user_id)
        return team_user_from(row) if row else None

    @translated
    async def list_by_owner(self, owner: str) -> list[TeamUser]:
        rows = await self._db.all("SELECT * FROM team_users WHERE owner = ? ORDER BY rowid", owner)
        return [team_user_from(row) for row in rows]

    @translated
    async def update(self, user: TeamUser) -> None:
        await self._db.run(
            "UPDATE team_users SET username = ?, password = ?, permissions = ?, updated_at = ?"
            " WHERE id = ?",
            user.username,
            user.password,
            permissions_json(user.permissions),
            to_millis(user.updated_at),
            user.id,
        )

    @translated
    async def delete(self, user_id: str, owner: str) -> bool:
        deleted = await self._db.run(
            "DELETE FROM team_users WHERE id = ? AND owner = ?", user_id, owner
        )
        return deleted > 0

    @translated
    async def set_permissions(self, user_id: str, permissions: Permissions) -> None:
        await self._db.run(
            "UPDATE team_users SET permissions = ? WHERE id = ?",
            permissions_json(permissions),
            user_id,
        )

    @translated
    async def list_allowing(self, resource: str, resource_id: str) -> list[TeamUser]:
        rows = await self._db.all(
            "SELECT * FROM team_users WHERE EXISTS (SELECT 1 FROM json_each(permissions, ?)"
            " WHERE value = ?) ORDER BY rowid",
            f"$.{resource}.allowed",
            resource_id,
        )
        return [team_user_from(row) for row in rows]
