"""Apps, channels, platforms and archs in SQLite's ``apps_meta`` table (the MetaRepository)."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import AsyncIterator, Mapping
from typing import Any

from faynosync.core.gotime import to_millis
from faynosync.store.models import Kind, Meta
from faynosync.store.protocol import DuplicateKey
from faynosync.store.rules import LIST_CAP, duplicate_name_message
from faynosync.store.sqlite.codec import META_COLUMNS, meta_from, updaters_json
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import is_duplicate, translated

# What the database is called in a duplicate-key text (FaynoSync's default database name).
DATABASE_NAME = "faynosync"


def _duplicate_name(meta: Meta) -> DuplicateKey:
    return DuplicateKey(duplicate_name_message(DATABASE_NAME, meta))


_META = ", ".join(META_COLUMNS)


@functools.lru_cache(maxsize=8)
def _by_names_sql(count: int) -> str:
    """One lookup of the unique index per name, in one statement: a third faster than the
    same lookups joined by OR, which SQLite plans as a multi-index OR."""
    one = f"SELECT {_META} FROM apps_meta WHERE kind = ? AND name = ? AND owner = ?"
    return " UNION ALL ".join(one for _ in range(count))


class SqliteMeta:
    def __init__(self, db: Db) -> None:
        self._db = db

    @translated
    async def insert(self, meta: Meta) -> None:
        try:
            await self._db.run(
                "INSERT INTO apps_meta (id, kind, name, owner, logo, description, private,"
                " updaters, updated_at, tuf, reports, cdn_edge)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                meta.id,
                meta.kind.value,
                meta.name,
                meta.owner,
                meta.logo,
                meta.description,
                int(meta.private),
                updaters_json(meta),
                to_millis(meta.updated_at),
                int(meta.tuf),
                int(meta.reports),
                int(meta.cdn_edge),
            )
        except sqlite3.IntegrityError as exc:
            if is_duplicate(exc):
                raise _duplicate_name(meta) from None
            raise

    @translated
    async def with_logos(self, links: list[str]) -> list[tuple[str, str]]:
        rows = await self._db.all(
            "SELECT id, logo FROM apps_meta WHERE logo IN (SELECT value FROM json_each(?))",
            json.dumps(links),
        )
        return [(row["id"], row["logo"]) for row in rows]

    @translated
    async def get(self, kind: Kind, meta_id: str) -> Meta | None:
        row = await self._db.one(
            f"SELECT {_META} FROM apps_meta WHERE id = ? AND kind = ?", meta_id, kind.value
        )
        return meta_from(row) if row else None

    @translated
    async def get_by_names(self, owner: str, names: Mapping[Kind, str]) -> dict[Kind, Meta]:
        if not names:
            return {}
        params = [value for kind, name in names.items() for value in (kind.value, name, owner)]
        rows = await self._db.all(_by_names_sql(len(names)), *params)
        found: dict[Kind, Meta] = {}
        for row in rows:
            meta = meta_from(row)
            found.setdefault(meta.kind, meta)
        return found

    @translated
    async def get_by_name(self, kind: Kind, name: str, owner: str) -> Meta | None:
        row = await self._db.one(
            f"SELECT {_META} FROM apps_meta WHERE kind = ? AND name = ? AND owner = ?",
            kind.value,
            name,
            owner,
        )
        return meta_from(row) if row else None

    @translated
    async def list(
        self, kind: Kind, owner: str, *, ids: list[str] | None = None, limit: int = LIST_CAP
    ) -> list[Meta]:
        sql = f"SELECT {_META} FROM apps_meta WHERE kind = ? AND owner = ?"
        params: list[Any] = [kind.value, owner]
        if ids is not None:
            sql += " AND id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(ids))
        rows = await self._db.all(sql + " ORDER BY rowid LIMIT ?", *params, limit)
        return [meta_from(row) for row in rows]

    @translated
    async def update(self, meta: Meta, *, flags: bool = False) -> None:
        # Without flags, the app flags are written back as they are (the statement stays one).
        tuf, reports, cdn = (
            (int(meta.tuf), int(meta.reports), int(meta.cdn_edge)) if flags else (None, None, None)
        )
        try:
            await self._db.run(
                "UPDATE apps_meta SET name = ?, logo = ?, description = ?, updaters = ?,"
                " updated_at = ?, tuf = COALESCE(?, tuf), reports = COALESCE(?, reports),"
                " cdn_edge = COALESCE(?, cdn_edge) WHERE id = ? AND kind = ?",
                meta.name,
                meta.logo,
                meta.description,
                updaters_json(meta),
                to_millis(meta.updated_at),
                tuf,
                reports,
                cdn,
                meta.id,
                meta.kind.value,
            )
        except sqlite3.IntegrityError as exc:
            if is_duplicate(exc):
                raise _duplicate_name(meta) from None
            raise

    @translated
    async def delete(self, kind: Kind, meta_id: str) -> bool:
        changed = await self._db.run(
            "DELETE FROM apps_meta WHERE id = ? AND kind = ?", meta_id, kind.value
        )
        return changed > 0

    async def every(self, kind: Kind) -> AsyncIterator[Meta]:
        sql = (
            f"SELECT {_META}, rowid AS page_key FROM apps_meta"
            " WHERE kind = ? AND page_key > ? ORDER BY page_key LIMIT ?"
        )
        async for rows in self._db.pages(sql, kind.value):
            for row in rows:
                yield meta_from(row)
