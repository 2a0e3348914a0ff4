"""Crash and event reports in SQLite's ``report_keys``, ``report_groups``, ``report_blobs`` and
``report_counters`` tables (the ReportRepository)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import datetime
from typing import Any

from faynosync.core.gotime import from_millis, to_millis
from faynosync.store.models import (
    GroupChange,
    GroupFilter,
    ReportBlob,
    ReportGroup,
    ReportKey,
    ReportSubject,
)
from faynosync.store.protocol import StoreError
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated

SUBJECT = tuple(f.name for f in fields(ReportSubject))
_SUBJECT_COLUMNS = ", ".join(SUBJECT)
_SUBJECT_MARKS = ", ".join("?" for _ in SUBJECT)


def _subject(row: sqlite3.Row) -> ReportSubject:
    return ReportSubject(**{name: row[name] for name in SUBJECT})


def _subject_values(subject: ReportSubject) -> list[str]:
    return [getattr(subject, name) for name in SUBJECT]


def _key_from(row: sqlite3.Row) -> ReportKey:
    return ReportKey(
        id=row["id"],
        app_id=row["app_id"],
        owner=row["owner"],
        key_value=row["key_value"],
        created_at=from_millis(row["created_at"]),
        updated_at=from_millis(row["updated_at"]),
        app_name=row["app_name"] or "",
        app_reports=bool(row["app_reports"]),
    )


def _group_from(row: sqlite3.Row) -> ReportGroup:
    tags, resolved = row["tags"], row["resolved_at"]
    return ReportGroup(
        id=row["id"],
        group_hash=row["group_hash"],
        app_id=row["app_id"],
        owner=row["owner"],
        subject=_subject(row),
        status=row["status"],
        count=row["count"],
        first_seen=from_millis(row["first_seen"]),
        last_seen=from_millis(row["last_seen"]),
        details_stored=row["details_stored"],
        details_rejected=row["details_rejected"],
        created_at=from_millis(row["created_at"]),
        updated_at=from_millis(row["updated_at"]),
        tags=json.loads(tags) if tags else None,
        note=row["note"],
        resolved_at=None if resolved is None else from_millis(resolved),
        resolved_by=row["resolved_by"],
    )


def _blob_from(row: sqlite3.Row) -> ReportBlob:
    return ReportBlob(
        id=row["id"],
        group_hash=row["group_hash"],
        app_id=row["app_id"],
        owner=row["owner"],
        subject=_subject(row),
        driver=row["driver"],
        bucket=row["bucket"],
        key=row["key"],
        compressed_size=row["compressed_size"],
        decompressed_size=row["decompressed_size"],
        created_at=from_millis(row["created_at"]),
        expires_at=from_millis(row["expires_at"]),
    )


def _scope(owner: str, apps: list[str] | None, prefix: str = "") -> tuple[str, list[Any]]:
    """The WHERE terms of a tenant's rows, of ``apps`` when given."""
    sql = f"{prefix}owner = ?"
    params: list[Any] = [owner]
    if apps is not None:
        sql += f" AND {prefix}app_id IN ({', '.join('?' for _ in apps) or 'NULL'})"
        params += apps
    return sql, params


_KEY_WITH_APP = (
    "SELECT k.*, m.name AS app_name, m.reports AS app_reports FROM report_keys k"
    " JOIN apps_meta m ON m.id = k.app_id AND m.kind = 'app'"
)


class SqliteReports:
    def __init__(self, db: Db) -> None:
        self._db = db

    # --- keys ---------------------------------------------------------------------------------

    @translated
    async def insert_key(self, key: ReportKey) -> None:
        await self._db.run(
            "INSERT INTO report_keys (id, app_id, owner, key_value, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            key.id,
            key.app_id,
            key.owner,
            key.key_value,
            to_millis(key.created_at),
            to_millis(key.updated_at),
        )

    @translated
    async def key_of_app(self, app_id: str) -> ReportKey | None:
        row = await self._db.one(
            "SELECT *, '' AS app_name, 0 AS app_reports FROM report_keys WHERE app_id = ?", app_id
        )
        return _key_from(row) if row else None

    @translated
    async def delete_key(self, app_id: str, owner: str) -> bool:
        deleted = await self._db.run(
            "DELETE FROM report_keys WHERE app_id = ? AND owner = ?", app_id, owner
        )
        return deleted > 0

    @translated
    async def set_key_value(self, key_id: str, value: str, at: datetime) -> None:
        await self._db.run(
            "UPDATE report_keys SET key_value = ?, updated_at = ? WHERE id = ?",
            value,
            to_millis(at),
            key_id,
        )

    @translated
    async def keys(self, owner: str, apps: list[str] | None) -> list[ReportKey]:
        where, params = _scope(owner, apps, "k.")
        rows = await self._db.all(
            f"{_KEY_WITH_APP} WHERE {where} ORDER BY k.updated_at DESC, k.rowid DESC", *params
        )
        return [_key_from(row) for row in rows]

    @translated
    async def key_by_value(self, value: str) -> ReportKey | None:
        row = await self._db.one(f"{_KEY_WITH_APP} WHERE k.key_value = ? LIMIT 1", value)
        return _key_from(row) if row else None

    # --- groups -------------------------------------------------------------------------------

    @translated
    async def record(self, group: ReportGroup) -> None:
        # One statement: concurrent first reports of a group make one row.
        await self._db.write(
            "INSERT INTO report_groups (id, group_hash, app_id, owner, "
            f"{_SUBJECT_COLUMNS}, status, count, first_seen, last_seen, details_stored,"
            " details_rejected, created_at, updated_at)"
            f" VALUES (?, ?, ?, ?, {_SUBJECT_MARKS}, ?, 1, ?, ?, 0, 0, ?, ?)"
            " ON CONFLICT (app_id, group_hash) DO UPDATE SET count = count + 1,"
            " last_seen = excluded.last_seen, updated_at = excluded.updated_at,"
            " status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END,"
            " resolved_at = CASE WHEN status = 'resolved' THEN NULL ELSE resolved_at END,"
            " resolved_by = CASE WHEN status = 'resolved' THEN '' ELSE resolved_by END",
            group.id,
            group.group_hash,
            group.app_id,
            group.owner,
            *_subject_values(group.subject),
            group.status,
            to_millis(group.first_seen),
            to_millis(group.last_seen),
            to_millis(group.created_at),
            to_millis(group.updated_at),
        )

    @translated
    async def count_details(self, app_id: str, group_hash: str, *, stored: bool) -> None:
        column = "details_stored" if stored else "details_rejected"
        await self._db.write(
            f"UPDATE report_groups SET {column} = {column} + 1 WHERE app_id = ? AND group_hash = ?",
            app_id,
            group_hash,
        )

    @translated
    async def groups(
        self, query: GroupFilter, *, skip: int, limit: int
    ) -> tuple[list[ReportGroup], int]:
        where, params = _scope(query.owner, query.apps)
        if query.status == "open":
            where += " AND status IN ('open', '')"
        elif query.status:
            where += " AND status = ?"
            params.append(query.status)
        for name, value in query.fields:
            if name not in SUBJECT:
                raise StoreError(f"no report field {name}")
            where += f" AND {name} = ?"
            params.append(value)
        if query.seen_from is not None:
            where += " AND last_seen >= ?"
            params.append(to_millis(query.seen_from))
        if query.seen_to is not None:
            where += " AND last_seen <= ?"
            params.append(to_millis(query.seen_to))
        total = await self._db.one(f"SELECT COUNT(*) FROM report_groups WHERE {where}", *params)
        rows = await self._db.all(
            f"SELECT * FROM report_groups WHERE {where}"
            " ORDER BY last_seen DESC, rowid DESC LIMIT ? OFFSET ?",
            *params,
            min(limit, 2**62),
            min(skip, 2**62),
        )
        return [_group_from(row) for row in rows], int(total[0]) if total else 0

    @translated
    async def change_group(
        self, owner: str, apps: list[str] | None, group_hash: str, change: GroupChange, at: datetime
    ) -> bool:
        sets: list[str] = ["updated_at = ?"]
        params: list[Any] = [to_millis(at)]
        if change.status is not None:
            sets.append("status = ?")
            params.append(change.status)
            if change.status == "resolved":
                sets += ["resolved_at = ?", "resolved_by = ?"]
                params += [to_millis(at), change.by]
            else:
                sets += ["resolved_at = NULL", "resolved_by = ''"]
        if change.tags is not None:
            sets.append("tags = ?")
            params.append(json.dumps(change.tags) if change.tags else None)
        if change.note is not None:
            sets.append("note = ?")
            params.append(change.note)
        where, scope = _scope(owner, apps)
        changed = await self._db.run(
            f"UPDATE report_groups SET {', '.join(sets)} WHERE group_hash = ? AND {where}",
            *params,
            group_hash,
            *scope,
        )
        return changed > 0

    @translated
    async def delete_group(
        self, owner: str, apps: list[str] | None, group_hash: str
    ) -> list[ReportBlob] | None:
        where, scope = _scope(owner, apps)
        async with self._db.transaction() as conn:
            async with conn.execute(
                f"SELECT * FROM report_blobs WHERE group_hash = ? AND {where}", (group_hash, *scope)
            ) as cursor:
                blobs = [_blob_from(row) for row in await cursor.fetchall()]
            await conn.execute(
                f"DELETE FROM report_blobs WHERE group_hash = ? AND {where}", (group_hash, *scope)
            )
            async with conn.execute(
                f"DELETE FROM report_groups WHERE group_hash = ? AND {where}", (group_hash, *scope)
            ) as cursor:
                deleted = cursor.rowcount
        return blobs if deleted > 0 else None

    # --- blobs --------------------------------------------------------------------------------

    @translated
    async def insert_blob(self, blob: ReportBlob) -> None:
        await self._db.write(
            f"INSERT INTO report_blobs (id, group_hash, app_id, owner, {_SUBJECT_COLUMNS},"
            " driver, bucket, key, compressed_size, decompressed_size, created_at, expires_at)"
            f" VALUES (?, ?, ?, ?, {_SUBJECT_MARKS}, ?, ?, ?, ?, ?, ?, ?)",
            blob.id,
            blob.group_hash,
            blob.app_id,
            blob.owner,
            *_subject_values(blob.subject),
            blob.driver,
            blob.bucket,
            blob.key,
            blob.compressed_size,
            blob.decompressed_size,
            to_millis(blob.created_at),
            to_millis(blob.expires_at),
        )

    @translated
    async def blobs(
        self, owner: str, apps: list[str] | None, group_hash: str, *, limit: int, now: datetime
    ) -> list[ReportBlob]:
        where, scope = _scope(owner, apps)
        rows = await self._db.all(
            f"SELECT * FROM report_blobs WHERE group_hash = ? AND {where} AND expires_at > ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            group_hash,
            *scope,
            to_millis(now),
            limit,
        )
        return [_blob_from(row) for row in rows]

    @translated
    async def excess_blobs(
        self, app_id: str, group_hash: str, *, keep: int, now: datetime
    ) -> list[ReportBlob]:
        rows = await self._db.all(
            "SELECT * FROM report_blobs WHERE app_id = ? AND group_hash = ?"
            " ORDER BY created_at DESC, id DESC",
            app_id,
            group_hash,
        )
        blobs = [_blob_from(row) for row in rows]
        cutoff = to_millis(now)
        return [b for i, b in enumerate(blobs) if i >= keep or to_millis(b.expires_at) <= cutoff]

    @translated
    async def expired_blobs(self, now: datetime, *, limit: int) -> list[ReportBlob]:
        rows = await self._db.all(
            "SELECT * FROM report_blobs WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
            to_millis(now),
            limit,
        )
        return [_blob_from(row) for row in rows]

    @translated
    async def delete_blobs(self, blob_ids: list[str]) -> None:
        if blob_ids:
            await self._db.run(
                f"DELETE FROM report_blobs WHERE id IN ({', '.join('?' for _ in blob_ids)})",
                *blob_ids,
            )

    async def blob_keys(self) -> AsyncIterator[str]:
        async for rows in self._db.pages(
            "SELECT rowid AS page_key, key FROM report_blobs WHERE rowid > ? ORDER BY rowid LIMIT ?"
        ):
            for row in rows:
                yield row["key"]

    # --- rate-limit counters ------------------------------------------------------------------

    @translated
    async def hit(self, counter: str, expires_at: datetime) -> int:
        until = to_millis(expires_at)
        async with self._db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO report_counters (name, value, expires_at) VALUES (?, 1, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
                (counter, until),
            ) as cursor:
                row = await cursor.fetchone()
            value = int(row[0]) if row else 1
            if value == 1:  # a new window: forget the lapsed ones
                await conn.execute(
                    "DELETE FROM report_counters WHERE expires_at < ?", (until - 3_600_000,)
                )
        return value
