"""API tokens in SQLite's ``api_tokens`` table (the ApiTokenRepository)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from faynosync.core.gotime import from_millis, to_millis
from faynosync.store.models import ApiToken
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated


def _token_from(row: sqlite3.Row) -> ApiToken:
    expires, used = row["expires_at"], row["last_used_at"]
    return ApiToken(
        id=row["id"],
        name=row["name"],
        token_hash=row["token_hash"],
        token_prefix=row["token_prefix"],
        owner=row["owner"],
        allowed_apps=json.loads(row["allowed_apps"]),
        expires_at=None if expires is None else from_millis(expires),
        created_at=from_millis(row["created_at"]),
        last_used_at=None if used is None else from_millis(used),
    )


class SqliteApiTokens:
    def __init__(self, db: Db) -> None:
        self._db = db

    @translated
    async def insert(self, token: ApiToken) -> None:
        await self._db.run(
            "INSERT INTO api_tokens (id, name, token_hash, token_prefix, owner, allowed_apps,"
            " expires_at, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            token.id,
            token.name,
            token.token_hash,
            token.token_prefix,
            token.owner,
            json.dumps(token.allowed_apps),
            None if token.expires_at is None else to_millis(token.expires_at),
            to_millis(token.created_at),
            None if token.last_used_at is None else to_millis(token.last_used_at),
        )

    @translated
    async def get_by_hash(self, token_hash: str) -> ApiToken | None:
        row = await self._db.one("SELECT * FROM api_tokens WHERE token_hash = ?", token_hash)
        return _token_from(row) if row else None

    @translated
    async def list(self, owner: str) -> list[ApiToken]:
        rows = await self._db.all(
            "SELECT * FROM api_tokens WHERE owner = ? ORDER BY created_at DESC, rowid DESC", owner
        )
        return [_token_from(row) for row in rows]

    @translated
    async def delete(self, token_id: str, owner: str) -> bool:
        deleted = await self._db.run(
            "DELETE FROM api_tokens WHERE id = ? AND owner = ?", token_id, owner
        )
        return deleted > 0

    @translated
    async def used(self, token_id: str, at: datetime) -> None:
        await self._db.run(
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", to_millis(at), token_id
        )
