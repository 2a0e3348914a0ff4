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
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from faynosync.core import disk
from faynosync.core.gotime import from_millis, to_millis
from faynosync.core.versioning import step_key
from faynosync.store.models import (
    Admin,
    Artifact,
    ArtifactLink,
    ChangelogEntry,
    DeviceDay,
    Kind,
    Meta,
    Permissions,
    TeamUser,
    TelemetryBatch,
    Updater,
    Version,
    VersionFilter,
)
from faynosync.store.protocol import DuplicateKey, StoreError, translate_errors
from faynosync.store.rules import (
    LIST_CAP,
    REFERENCE_FIELDS,
    duplicate_name_message,
    ordering,
    version_conditions,
)


async def _fill_step_keys(conn: aiosqlite.Connection) -> None:
    async with conn.execute("SELECT id, version FROM versions") as cursor:
        rows = list(await cursor.fetchall())
    await conn.executemany(
        "UPDATE versions SET step_key = ? WHERE id = ?",
        [(step_key(row[1]), row[0]) for row in rows],
    )


# Append-only: each entry moves the schema one version up (PRAGMA user_version); an entry is
# SQL, or a function for what SQL cannot compute.
MIGRATIONS: list[str | Callable[[aiosqlite.Connection], Awaitable[None]]] = [
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
    """
    CREATE TABLE apps_meta (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('app', 'channel', 'platform', 'arch')),
        name TEXT NOT NULL,
        owner TEXT NOT NULL,
        logo TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        private INTEGER NOT NULL DEFAULT 0,
        updaters TEXT,
        updated_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX apps_meta_name_owner ON apps_meta (kind, name, owner);
    CREATE INDEX apps_meta_owner ON apps_meta (kind, owner);
    CREATE TABLE versions (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL,
        version TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        published INTEGER NOT NULL,
        critical INTEGER NOT NULL,
        required_intermediate INTEGER NOT NULL,
        changelog TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        owner TEXT NOT NULL
    );
    CREATE INDEX versions_app ON versions (app_id, version);
    CREATE INDEX versions_channel ON versions (channel_id);
    CREATE TABLE artifacts (
        version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        link TEXT NOT NULL,
        platform TEXT NOT NULL,
        arch TEXT NOT NULL,
        package TEXT NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (version_id, position)
    );
    CREATE INDEX artifacts_platform_arch ON artifacts (platform, arch);
    CREATE INDEX artifacts_arch ON artifacts (arch);
    """,
    # The database ordering of versions (core.versioning.order_key), kept with each row.
    """
    ALTER TABLE versions ADD COLUMN sort1 INTEGER;
    ALTER TABLE versions ADD COLUMN sort2 INTEGER;
    ALTER TABLE versions ADD COLUMN sort3 INTEGER;
    ALTER TABLE versions ADD COLUMN sort4 INTEGER;
    ALTER TABLE versions ADD COLUMN sort_error TEXT;
    CREATE UNIQUE INDEX versions_app_version_owner ON versions (app_id, version, owner);
    CREATE INDEX versions_order
        ON versions (app_id, sort1 DESC, sort2 DESC, sort3 DESC, sort4 DESC);
    CREATE INDEX artifacts_link ON artifacts (link);
    """,
    """
    CREATE INDEX versions_unorderable ON versions (app_id) WHERE sort_error IS NOT NULL;
    CREATE INDEX versions_intermediate ON versions (app_id) WHERE required_intermediate = 1;
    """,
    # "Has an artifact for this platform and arch" must find one row, not scan them all.
    """
    DROP INDEX artifacts_platform_arch;
    CREATE INDEX artifacts_platform_arch_version ON artifacts (platform, arch, version_id);
    """,
    # go-version's order, so that required intermediate builds are found through an index.
    """
    ALTER TABLE versions ADD COLUMN step_key TEXT;
    DROP INDEX versions_intermediate;
    CREATE INDEX versions_intermediate
        ON versions (app_id, step_key) WHERE required_intermediate = 1;
    """,
    _fill_step_keys,
    """
    CREATE TABLE telemetry_requests (
        owner TEXT NOT NULL,
        app TEXT NOT NULL,
        date TEXT NOT NULL,
        requests INTEGER NOT NULL,
        PRIMARY KEY (owner, date, app)
    );
    CREATE TABLE telemetry_devices (
        owner TEXT NOT NULL,
        app TEXT NOT NULL,
        date TEXT NOT NULL,
        device TEXT NOT NULL,
        version TEXT NOT NULL,
        has_update INTEGER NOT NULL,
        PRIMARY KEY (owner, app, date, device)
    );
    CREATE TABLE telemetry_members (
        owner TEXT NOT NULL,
        app TEXT NOT NULL,
        date TEXT NOT NULL,
        device TEXT NOT NULL,
        dimension TEXT NOT NULL CHECK (dimension IN ('channel', 'platform', 'arch')),
        value TEXT NOT NULL,
        PRIMARY KEY (owner, app, date, device, dimension, value)
    );
    CREATE TABLE telemetry_versions (
        owner TEXT NOT NULL,
        app TEXT NOT NULL,
        version TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (owner, app, version)
    );
    CREATE INDEX telemetry_requests_date ON telemetry_requests (date);
    CREATE INDEX telemetry_devices_date ON telemetry_devices (date);
    CREATE INDEX telemetry_members_date ON telemetry_members (date);
    """,
    # Leases on object keys (ClaimRepository).
    """
    CREATE TABLE object_claims (
        key TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    """,
]

DATABASE_NAME = "faynosync"
PAGE = 1000


def _is_duplicate(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


def _is_full(exc: Exception) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or disk.is_full(exc)


_translated = translate_errors(
    duplicate=lambda exc: str(exc) if _is_duplicate(exc) else None,
    driver_errors=(sqlite3.Error, ValueError, OSError),
    full=_is_full,
)


class _Db:
    """Two connections: reads see committed data only; writes are serialised on the other.

    Reads are indexed lookups of tens of microseconds, run on the event loop's own thread:
    handing each to a worker thread cost several times that (the update-check hot path makes
    about ten). In WAL mode a reader never waits for a writer. Writes go through aiosqlite's
    thread, one transaction at a time.
    """

    def __init__(self, reader: sqlite3.Connection, writer: aiosqlite.Connection) -> None:
        self.reader = reader
        self.writer = writer
        self.write_lock = asyncio.Lock()

    async def one(self, sql: str, *params: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.reader.execute(sql, params).fetchone()
        return row

    async def all(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        return self.reader.execute(sql, params).fetchall()

    async def run(self, sql: str, *params: Any) -> int:
        """Execute one write statement (atomic on its own); return the changed row count."""
        async with self.write_lock, self.writer.execute(sql, params) as cursor:
            return cursor.rowcount

    async def pages(self, sql: str, *params: Any) -> AsyncIterator[list[sqlite3.Row]]:
        """A whole table read in batches, each its own query: ``sql`` selects ``page_key``
        (a rowid) and ends with ``page_key > ? ORDER BY page_key LIMIT ?``."""
        after = 0
        while True:
            try:
                rows = await self.all(sql, *params, after, PAGE)
            except (sqlite3.Error, ValueError) as exc:
                raise StoreError(str(exc)) from exc
            if rows:
                yield rows
            if len(rows) < PAGE:
                return
            after = rows[-1]["page_key"]
            await asyncio.sleep(0)  # reads run on the loop's thread: let requests in between

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
        self.reader.close()
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

    @_translated
    async def get(self, user_id: str) -> TeamUser | None:
        row = await self._db.one("SELECT * FROM team_users WHERE id = ?", user_id)
        return self._from(row) if row else None

    @_translated
    async def list_by_owner(self, owner: str) -> list[TeamUser]:
        rows = await self._db.all("SELECT * FROM team_users WHERE owner = ? ORDER BY rowid", owner)
        return [self._from(row) for row in rows]

    @_translated
    async def update(self, user: TeamUser) -> None:
        await self._db.run(
            "UPDATE team_users SET username = ?, password = ?, permissions = ?, updated_at = ?"
            " WHERE id = ?",
            user.username,
            user.password,
            json.dumps(user.permissions.to_document()),
            to_millis(user.updated_at),
            user.id,
        )

    @_translated
    async def delete(self, user_id: str, owner: str) -> bool:
        deleted = await self._db.run(
            "DELETE FROM team_users WHERE id = ? AND owner = ?", user_id, owner
        )
        return deleted > 0

    @_translated
    async def set_permissions(self, user_id: str, permissions: Permissions) -> None:
        await self._db.run(
            "UPDATE team_users SET permissions = ? WHERE id = ?",
            json.dumps(permissions.to_document()),
            user_id,
        )

    @_translated
    async def list_allowing(self, resource: str, resource_id: str) -> list[TeamUser]:
        rows = await self._db.all(
            "SELECT * FROM team_users WHERE EXISTS (SELECT 1 FROM json_each(permissions, ?)"
            " WHERE value = ?) ORDER BY rowid",
            f"$.{resource}.allowed",
            resource_id,
        )
        return [self._from(row) for row in rows]


def _meta_from(row: sqlite3.Row) -> Meta:
    updaters = json.loads(row["updaters"]) if row["updaters"] is not None else None
    return Meta(
        id=row["id"],
        kind=Kind(row["kind"]),
        name=row["name"],
        owner=row["owner"],
        updated_at=from_millis(row["updated_at"]),
        logo=row["logo"],
        description=row["description"],
        private=bool(row["private"]),
        updaters=None if updaters is None else [Updater(**u) for u in updaters],
    )


def _updaters_json(meta: Meta) -> str | None:
    if meta.updaters is None:
        return None
    return json.dumps([{"type": u.type, "default": u.default} for u in meta.updaters])


def _duplicate_name(meta: Meta) -> DuplicateKey:
    return DuplicateKey(duplicate_name_message(DATABASE_NAME, meta))


class SqliteMeta:
    def __init__(self, db: _Db) -> None:
        self._db = db

    @_translated
    async def insert(self, meta: Meta) -> None:
        try:
            await self._db.run(
                "INSERT INTO apps_meta (id, kind, name, owner, logo, description, private,"
                " updaters, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                meta.id,
                meta.kind.value,
                meta.name,
                meta.owner,
                meta.logo,
                meta.description,
                int(meta.private),
                _updaters_json(meta),
                to_millis(meta.updated_at),
            )
        except sqlite3.IntegrityError as exc:
            if _is_duplicate(exc):
                raise _duplicate_name(meta) from None
            raise

    @_translated
    async def with_logos(self, links: list[str]) -> list[tuple[str, str]]:
        rows = await self._db.all(
            "SELECT id, logo FROM apps_meta WHERE logo IN (SELECT value FROM json_each(?))",
            json.dumps(links),
        )
        return [(row["id"], row["logo"]) for row in rows]

    @_translated
    async def get(self, kind: Kind, meta_id: str) -> Meta | None:
        row = await self._db.one(
            "SELECT * FROM apps_meta WHERE id = ? AND kind = ?", meta_id, kind.value
        )
        return _meta_from(row) if row else None

    @_translated
    async def get_by_name(self, kind: Kind, name: str, owner: str) -> Meta | None:
        row = await self._db.one(
            "SELECT * FROM apps_meta WHERE kind = ? AND name = ? AND owner = ?",
            kind.value,
            name,
            owner,
        )
        return _meta_from(row) if row else None

    @_translated
    async def list(
        self, kind: Kind, owner: str, *, ids: list[str] | None = None, limit: int = LIST_CAP
    ) -> list[Meta]:
        sql = "SELECT * FROM apps_meta WHERE kind = ? AND owner = ?"
        params: list[Any] = [kind.value, owner]
        if ids is not None:
            sql += " AND id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(ids))
        rows = await self._db.all(sql + " ORDER BY rowid LIMIT ?", *params, limit)
        return [_meta_from(row) for row in rows]

    @_translated
    async def update(self, meta: Meta) -> None:
        try:
            await self._db.run(
                "UPDATE apps_meta SET name = ?, logo = ?, description = ?, updaters = ?,"
                " updated_at = ? WHERE id = ? AND kind = ?",
                meta.name,
                meta.logo,
                meta.description,
                _updaters_json(meta),
                to_millis(meta.updated_at),
                meta.id,
                meta.kind.value,
            )
        except sqlite3.IntegrityError as exc:
            if _is_duplicate(exc):
                raise _duplicate_name(meta) from None
            raise

    @_translated
    async def delete(self, kind: Kind, meta_id: str) -> bool:
        changed = await self._db.run(
            "DELETE FROM apps_meta WHERE id = ? AND kind = ?", meta_id, kind.value
        )
        return changed > 0

    async def every(self, kind: Kind) -> AsyncIterator[Meta]:
        sql = (
            "SELECT rowid AS page_key, * FROM apps_meta"
            " WHERE kind = ? AND page_key > ? ORDER BY page_key LIMIT ?"
        )
        async for rows in self._db.pages(sql, kind.value):
            for row in rows:
                yield _meta_from(row)


def _reference_query(field: str) -> str:
    # A field of a version's artifacts ("artifacts.platform") is a column of their table.
    table, _, column = field.rpartition(".")
    return f"SELECT 1 FROM {table or 'versions'} WHERE {column} = ? LIMIT 1"


_REFERENCE_QUERIES = {kind: _reference_query(field) for kind, field in REFERENCE_FIELDS.items()}


def _ordering(version: str) -> tuple[int | None, int | None, int | None, int | None, str | None]:
    """The four sort parts (None when the version cannot be ordered) and the ordering error."""
    parts = ordering(version)
    return (*(parts.parts or (None, None, None, None)), parts.error)


def _version_where(query: VersionFilter) -> tuple[str, list[Any]]:
    conditions = version_conditions(query)
    clauses: list[str] = ["v.owner = ?"]
    params: list[Any] = [conditions.owner]
    for column, value in conditions.ids.items():
        clauses.append(f"v.{column} = ?")
        params.append(value)
    for column, flag in conditions.flags.items():
        # A literal, not a parameter: SQLite uses partial indexes only for literals.
        clauses.append(f"v.{column} = {int(flag)}")
    if conditions.artifact:
        # Both ids on the same artifact, as MongoDB's $elemMatch.
        element = " AND ".join(f"a.{column} = ?" for column in conditions.artifact)
        clauses.append(
            f"EXISTS (SELECT 1 FROM artifacts a WHERE a.version_id = v.id AND {element})"
        )
        params.extend(conditions.artifact.values())
    return " AND ".join(clauses), params


class SqliteVersions:
    def __init__(self, db: _Db) -> None:
        self._db = db

    async def _load(self, rows: list[sqlite3.Row]) -> list[Version]:
        if not rows:
            return []
        ids = json.dumps([row["id"] for row in rows])
        artifacts: dict[str, list[Artifact]] = {row["id"]: [] for row in rows}
        for a in await self._db.all(
            "SELECT * FROM artifacts WHERE version_id IN (SELECT value FROM json_each(?))"
            " ORDER BY version_id, position",
            ids,
        ):
            artifacts[a["version_id"]].append(
                Artifact(
                    link=a["link"],
                    platform=a["platform"],
                    arch=a["arch"],
                    package=a["package"],
                    signature=a["signature"],
                )
            )
        return [
            Version(
                id=row["id"],
                app_id=row["app_id"],
                version=row["version"],
                channel_id=row["channel_id"],
                published=bool(row["published"]),
                critical=bool(row["critical"]),
                required_intermediate=bool(row["required_intermediate"]),
                artifacts=artifacts[row["id"]],
                changelog=[ChangelogEntry(**c) for c in json.loads(row["changelog"])],
                updated_at=from_millis(row["updated_at"]),
                owner=row["owner"],
            )
            for row in rows
        ]

    async def _one(self, sql: str, *params: Any) -> Version | None:
        row = await self._db.one(sql, *params)
        return (await self._load([row]))[0] if row else None

    @staticmethod
    async def _add_artifacts(
        conn: aiosqlite.Connection, version_id: str, artifacts: list[Artifact], start: int
    ) -> None:
        """Insert artifacts at positions ``start``, ``start + 1``, … of the version."""
        await conn.executemany(
            "INSERT INTO artifacts (version_id, position, link, platform, arch, package,"
            " signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (version_id, start + i, a.link, a.platform, a.arch, a.package, a.signature)
                for i, a in enumerate(artifacts)
            ],
        )

    async def _write_artifacts(self, conn: aiosqlite.Connection, version: Version) -> None:
        await conn.execute("DELETE FROM artifacts WHERE version_id = ?", (version.id,))
        await self._add_artifacts(conn, version.id, version.artifacts, 0)

    @_translated
    async def insert(self, version: Version) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO versions (id, app_id, version, channel_id, published, critical,"
                " required_intermediate, changelog, updated_at, owner,"
                " sort1, sort2, sort3, sort4, sort_error, step_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    version.id,
                    version.app_id,
                    version.version,
                    version.channel_id,
                    int(version.published),
                    int(version.critical),
                    int(version.required_intermediate),
                    json.dumps([vars(c) for c in version.changelog]),
                    to_millis(version.updated_at),
                    version.owner,
                    *_ordering(version.version),
                    step_key(version.version),
                ),
            )
            await self._write_artifacts(conn, version)

    @_translated
    async def get(self, version_id: str) -> Version | None:
        return await self._one("SELECT * FROM versions WHERE id = ?", version_id)

    @_translated
    async def find(self, app_id: str, version: str, owner: str) -> Version | None:
        return await self._one(
            "SELECT * FROM versions WHERE app_id = ? AND version = ? AND owner = ?",
            app_id,
            version,
            owner,
        )

    @_translated
    async def append_artifacts(
        self, version_id: str, artifacts: list[Artifact], updated_at: datetime
    ) -> bool:
        async with self._db.transaction() as conn:
            for a in artifacts:
                async with conn.execute(
                    "SELECT 1 FROM artifacts WHERE version_id = ? AND package = ?"
                    " AND platform = ? AND arch = ?",
                    (version_id, a.package, a.platform, a.arch),
                ) as cursor:
                    if await cursor.fetchone() is not None:
                        return False
            async with conn.execute(
                "SELECT coalesce(max(position) + 1, 0) FROM artifacts WHERE version_id = ?",
                (version_id,),
            ) as cursor:
                row = await cursor.fetchone()
            start = int(row[0]) if row else 0
            changed = await conn.execute(
                "UPDATE versions SET updated_at = ? WHERE id = ?",
                (to_millis(updated_at), version_id),
            )
            if changed.rowcount == 0:
                return False
            await self._add_artifacts(conn, version_id, artifacts, start)
        return True

    @_translated
    async def save(self, version: Version) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE versions SET published = ?, critical = ?, required_intermediate = ?,"
                " changelog = ?, updated_at = ? WHERE id = ?",
                (
                    int(version.published),
                    int(version.critical),
                    int(version.required_intermediate),
                    json.dumps([vars(c) for c in version.changelog]),
                    to_millis(version.updated_at),
                    version.id,
                ),
            )
            await self._write_artifacts(conn, version)

    @_translated
    async def delete(self, version_id: str) -> bool:
        return await self._db.run("DELETE FROM versions WHERE id = ?", version_id) > 0

    async def _ordered(
        self, where: str, params: list[Any], *, skip: int, limit: int
    ) -> list[sqlite3.Row]:
        """Rows in the database ordering; fails as the original's query does on a version it
        cannot convert."""
        failed = await self._db.one(
            f"SELECT sort_error FROM versions v WHERE {where} AND sort_error IS NOT NULL LIMIT 1",
            *params,
        )
        if failed is not None:
            raise StoreError(failed["sort_error"])
        return await self._db.all(
            f"SELECT * FROM versions v WHERE {where}"
            " ORDER BY sort1 DESC, sort2 DESC, sort3 DESC, sort4 DESC, rowid LIMIT ? OFFSET ?",
            *params,
            limit,
            skip,
        )

    @_translated
    async def search(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> tuple[list[Version], int]:
        where, params = _version_where(query)
        rows = await self._ordered(where, params, skip=skip, limit=limit)
        count = await self._db.one(f"SELECT count(*) FROM versions v WHERE {where}", *params)
        return await self._load(rows), int(count[0]) if count else 0

    @_translated
    async def latest(self, query: VersionFilter) -> Version | None:
        where, params = _version_where(query)
        rows = await self._ordered(where, params, skip=0, limit=1)
        return (await self._load(rows))[0] if rows else None

    @_translated
    async def steps(
        self,
        query: VersionFilter,
        *,
        above: str,
        inclusive: bool,
        up_to: str,
        skip: int,
        limit: int,
    ) -> list[tuple[str, str]]:
        where, params = _version_where(query)
        low = ">=" if inclusive else ">"
        rows = await self._db.all(
            f"SELECT id, version FROM versions v WHERE {where}"
            f" AND (step_key IS NULL OR (step_key {low} ? AND step_key <= ?))"
            " ORDER BY step_key, rowid LIMIT ? OFFSET ?",
            *params,
            above,
            up_to,
            limit,
            skip,
        )
        return [(row["id"], row["version"]) for row in rows]

    @_translated
    async def with_private_link(self, link: str) -> Version | None:
        return await self._one(
            "SELECT * FROM versions WHERE id = (SELECT version_id FROM artifacts WHERE link = ?"
            " LIMIT 1)",
            link,
        )

    @_translated
    async def references(self, kind: Kind, meta_id: str) -> bool:
        return await self._db.one(_REFERENCE_QUERIES[kind], meta_id) is not None

    @_translated
    async def holding(self, links: list[str]) -> list[tuple[str, str]]:
        rows = await self._db.all(
            "SELECT version_id, link FROM artifacts WHERE link IN (SELECT value FROM json_each(?))",
            json.dumps(links),
        )
        return [(row["version_id"], row["link"]) for row in rows]

    @_translated
    async def remove_artifacts(self, version_id: str, links: list[str]) -> None:
        await self._db.run(
            "DELETE FROM artifacts WHERE version_id = ?"
            " AND link IN (SELECT value FROM json_each(?))",
            version_id,
            json.dumps(links),
        )

    async def artifact_links(self) -> AsyncIterator[ArtifactLink]:
        sql = (
            "SELECT a.rowid AS page_key, a.link, a.version_id, v.app_id, v.owner"
            " FROM artifacts a JOIN versions v ON v.id = a.version_id"
            " WHERE page_key > ? ORDER BY page_key LIMIT ?"
        )
        async for rows in self._db.pages(sql):
            for row in rows:
                yield ArtifactLink(
                    link=row["link"],
                    version_id=row["version_id"],
                    app_id=row["app_id"],
                    owner=row["owner"],
                )


class SqliteClaims:
    def __init__(self, db: _Db) -> None:
        self._db = db

    @_translated
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

    @_translated
    async def renew(self, key: str, holder: str, until: datetime) -> bool:
        changed = await self._db.run(
            "UPDATE object_claims SET expires_at = ? WHERE key = ? AND holder = ?",
            to_millis(until),
            key,
            holder,
        )
        return changed > 0

    @_translated
    async def release(self, key: str, holder: str) -> None:
        await self._db.run("DELETE FROM object_claims WHERE key = ? AND holder = ?", key, holder)


_DIMENSIONS = (("channel", "channels"), ("platform", "platforms"), ("arch", "archs"))


class SqliteTelemetry:
    def __init__(self, db: _Db) -> None:
        self._db = db

    @_translated
    async def merge(self, batch: TelemetryBatch) -> None:
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO telemetry_requests (owner, app, date, requests) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET requests = requests + excluded.requests",
                [(*key, count) for key, count in batch.requests.items()],
            )
            days = list(batch.devices.values())
            await conn.executemany(
                "INSERT INTO telemetry_devices (owner, app, date, device, version, has_update)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE"
                " SET version = excluded.version, has_update = excluded.has_update",
                [(d.owner, d.app, d.date, d.device, d.version, int(d.has_update)) for d in days],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO telemetry_members VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (d.owner, d.app, d.date, d.device, dimension, value)
                    for d in days
                    for dimension, attribute in _DIMENSIONS
                    for value in getattr(d, attribute)
                ],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO telemetry_versions VALUES (?, ?, ?, ?)",
                [
                    (owner, app, version, batch.today)
                    for (owner, app), versions in batch.versions.items()
                    for version in versions
                ],
            )
            # The set of known versions lives on while its app is seen (as a Redis key's TTL).
            await conn.executemany(
                "UPDATE telemetry_versions SET last_seen = ? WHERE owner = ? AND app = ?",
                [(batch.today, owner, app) for owner, app in batch.versions],
            )

    @_translated
    async def requests(self, owner: str, dates: list[str]) -> dict[tuple[str, str], int]:
        rows = await self._db.all(
            "SELECT app, date, requests FROM telemetry_requests WHERE owner = ?"
            " AND date IN (SELECT value FROM json_each(?))",
            owner,
            json.dumps(dates),
        )
        return {(row["app"], row["date"]): int(row["requests"]) for row in rows}

    @_translated
    async def devices(self, owner: str, apps: list[str], dates: list[str]) -> list[DeviceDay]:
        scope = (
            " WHERE owner = ? AND app IN (SELECT value FROM json_each(?))"
            " AND date IN (SELECT value FROM json_each(?))"
        )
        params = (owner, json.dumps(apps), json.dumps(dates))
        days: dict[tuple[str, str, str], DeviceDay] = {}
        for row in await self._db.all("SELECT * FROM telemetry_devices" + scope, *params):
            days[(row["app"], row["date"], row["device"])] = DeviceDay(
                owner=owner,
                app=row["app"],
                date=row["date"],
                device=row["device"],
                version=row["version"],
                has_update=bool(row["has_update"]),
            )
        attributes = dict(_DIMENSIONS)
        for row in await self._db.all("SELECT * FROM telemetry_members" + scope, *params):
            day = days.get((row["app"], row["date"], row["device"]))
            if day is not None:
                getattr(day, attributes[row["dimension"]]).add(row["value"])
        return list(days.values())

    @_translated
    async def known_versions(self, owner: str, apps: list[str]) -> dict[str, set[str]]:
        rows = await self._db.all(
            "SELECT app, version FROM telemetry_versions WHERE owner = ?"
            " AND app IN (SELECT value FROM json_each(?))",
            owner,
            json.dumps(apps),
        )
        known: dict[str, set[str]] = {}
        for row in rows:
            known.setdefault(row["app"], set()).add(row["version"])
        return known

    @_translated
    async def purge(self, before: str) -> None:
        async with self._db.transaction() as conn:
            for table in ("telemetry_requests", "telemetry_devices", "telemetry_members"):
                await conn.execute(f"DELETE FROM {table} WHERE date < ?", (before,))
            await conn.execute("DELETE FROM telemetry_versions WHERE last_seen < ?", (before,))


class SqliteStore:
    """The store in one SQLite file. Open it with :meth:`open`."""

    name = "SQLite"

    def __init__(self, db: _Db) -> None:
        self._db = db
        self.admins = SqliteAdmins(db)
        self.team_users = SqliteTeamUsers(db)
        self.meta = SqliteMeta(db)
        self.versions = SqliteVersions(db)
        self.telemetry = SqliteTelemetry(db)
        self.claims = SqliteClaims(db)

    @classmethod
    async def open(cls, path: Path) -> SqliteStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = await _connect(path)
            reader = _connect_reader(path)
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
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                if callable(step):
                    await step(conn)
                else:
                    for statement in step.split(";"):
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


_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
)


def _connect_reader(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    return conn


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn
