"""Versions and their artifacts in SQLite's ``versions`` and ``artifacts`` tables (the
VersionRepository), sorted by the ordering columns kept with each row."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiosqlite

from faynosync.core.gotime import to_millis
from faynosync.store.models import (
    Artifact,
    ArtifactLink,
    Kind,
    PublishedTarget,
    StepFound,
    Version,
    VersionFilter,
)
from faynosync.store.protocol import StoreError
from faynosync.store.rules import REFERENCE_FIELDS, version_conditions
from faynosync.store.sqlite.codec import (
    ARTIFACT_COLUMNS,
    VERSION_COLUMNS,
    artifact_from,
    changelog_json,
    extra_json,
    ordering_columns,
    rollout_columns,
    version_from,
)
from faynosync.store.sqlite.connection import Db
from faynosync.store.sqlite.errors import translated


def _reference_query(field: str) -> str:
    # A field of a version's artifacts ("artifacts.platform") is a column of their table.
    table, _, column = field.rpartition(".")
    return f"SELECT 1 FROM {table or 'versions'} WHERE {column} = ? LIMIT 1"


_REFERENCE_QUERIES = {kind: _reference_query(field) for kind, field in REFERENCE_FIELDS.items()}


def _version_where(query: VersionFilter) -> tuple[str, tuple[Any, ...]]:
    return _where_of(
        query.owner,
        query.app_id,
        query.channel_id,
        query.published,
        query.critical,
        query.required_intermediate,
        query.platform_id,
        query.arch_id,
    )


@functools.lru_cache(maxsize=1024)
def _where_of(
    owner: str,
    app_id: str | None,
    channel_id: str | None,
    published: bool | None,
    critical: bool | None,
    required_intermediate: bool | None,
    platform_id: str | None,
    arch_id: str | None,
) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of a filter and its parameters (kept for the filters asked again and
    again: an app's update checks ask the same few)."""
    conditions = version_conditions(
        VersionFilter(
            owner=owner,
            app_id=app_id,
            channel_id=channel_id,
            published=published,
            critical=critical,
            required_intermediate=required_intermediate,
            platform_id=platform_id,
            arch_id=arch_id,
        )
    )
    where = _where_text(
        tuple(conditions.ids), tuple(conditions.flags.items()), tuple(conditions.artifact)
    )
    return where, (conditions.owner, *conditions.ids.values(), *conditions.artifact.values())


@functools.lru_cache(maxsize=128)
def _where_text(
    ids: tuple[str, ...], flags: tuple[tuple[str, bool], ...], artifact: tuple[str, ...]
) -> str:
    """The WHERE clause of a filter's shape (which conditions it has); values are parameters,
    in the order: owner, ids, artifact ids."""
    clauses = ["v.owner = ?", *(f"v.{column} = ?" for column in ids)]
    # A literal, not a parameter: SQLite uses partial indexes only for literals.
    clauses += [f"v.{column} = {int(flag)}" for column, flag in flags]
    if artifact:
        # Both ids on the same artifact, as MongoDB's $elemMatch.
        element = " AND ".join(f"a.{column} = ?" for column in artifact)
        clauses.append(
            f"EXISTS (SELECT 1 FROM artifacts a WHERE a.version_id = v.id AND {element})"
        )
    return " AND ".join(clauses)


_ORDER = "sort1 DESC, sort2 DESC, sort3 DESC, sort4 DESC, rowid"
_VERSION = ", ".join(VERSION_COLUMNS)
_ARTIFACT = ", ".join(ARTIFACT_COLUMNS)
# At most one version row, joined with its artifacts in upload order (no artifact: one row of
# nulls): the version's columns, a value computed in the same statement (an uncorrelated
# subquery run once), then the artifact's columns. No version: no row.
_WITH_ARTIFACTS = (
    "SELECT "
    + ", ".join(f"v.{column}" for column in VERSION_COLUMNS)
    + ", ({}) AS x_value, "
    + ", ".join(f"a.{column}" for column in ARTIFACT_COLUMNS)
    + " FROM ({}) v LEFT JOIN artifacts a ON a.version_id = v.id ORDER BY a.position"
)
_VALUE_AT = len(VERSION_COLUMNS)
_ARTIFACT_AT = _VALUE_AT + 1


def _unorderable_sql(where: str) -> str:
    """The error of a matching version the original's ordering cannot convert, if any."""
    return f"SELECT sort_error FROM versions v WHERE {where} AND sort_error IS NOT NULL LIMIT 1"


@functools.lru_cache(maxsize=128)
def _latest_sql(where: str) -> str:
    """The highest matching version, and the error of a matching version that cannot be
    ordered (the original's query fails on it, whichever version is highest)."""
    return _WITH_ARTIFACTS.format(
        _unorderable_sql(where),
        f"SELECT * FROM versions v WHERE {where} ORDER BY {_ORDER} LIMIT 1",
    )


@functools.lru_cache(maxsize=128)
def _lowest_step_sql(where: str, inclusive: bool) -> str:
    """The matching version with the lowest step key in the range, and whether a matching
    version has no step key. A range alone (no OR) lets the index (app_id, step_key) find the
    first row."""
    low = ">=" if inclusive else ">"
    return _WITH_ARTIFACTS.format(
        _unkeyed_sql(where),
        f"SELECT * FROM versions v WHERE {where} AND step_key {low} ? AND step_key <= ?"
        " ORDER BY step_key, rowid LIMIT 1",
    )


def _unkeyed_sql(where: str) -> str:
    return f"SELECT EXISTS (SELECT 1 FROM versions v WHERE {where} AND step_key IS NULL)"


class SqliteVersions:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def _load(self, rows: list[sqlite3.Row]) -> list[Version]:
        """The versions of rows of :data:`VERSION_COLUMNS`, with their artifacts."""
        if not rows:
            return []
        artifacts: dict[str, list[Artifact]] = {row[0]: [] for row in rows}
        for a in await self._db.all(
            f"SELECT version_id, {_ARTIFACT} FROM artifacts"
            " WHERE version_id IN (SELECT value FROM json_each(?)) ORDER BY version_id, position",
            json.dumps(list(artifacts)),
        ):
            artifacts[a[0]].append(artifact_from(a, 1))
        return [version_from(row, artifacts[row[0]]) for row in rows]

    async def _one(self, sql: str, *params: Any) -> Version | None:
        """The version ``sql`` selects (at most one row of ``versions``) with its artifacts,
        in one query."""
        version, _ = await self._one_with(_WITH_ARTIFACTS.format("NULL", sql), *params)
        return version

    async def _one_with(self, sql: str, *params: Any) -> tuple[Version | None, Any]:
        """A :data:`_WITH_ARTIFACTS` statement's version (with its artifacts) and value
        (None, None when it selected no version)."""
        rows = await self._db.all(sql, *params)
        if not rows:
            return None, None
        at = _ARTIFACT_AT
        artifacts = [artifact_from(row, at) for row in rows if row[at] is not None]
        return version_from(rows[0], artifacts), rows[0][_VALUE_AT]

    @staticmethod
    async def _add_artifacts(
        conn: aiosqlite.Connection, version_id: str, artifacts: list[Artifact], start: int
    ) -> None:
        """Insert artifacts at positions ``start``, ``start + 1``, … of the version."""
        await conn.executemany(
            "INSERT INTO artifacts (version_id, position, link, platform, arch, package,"
            " signature, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    version_id,
                    start + i,
                    a.link,
                    a.platform,
                    a.arch,
                    a.package,
                    a.signature,
                    extra_json(a),
                )
                for i, a in enumerate(artifacts)
            ],
        )

    async def _write_artifacts(self, conn: aiosqlite.Connection, version: Version) -> None:
        await conn.execute("DELETE FROM artifacts WHERE version_id = ?", (version.id,))
        await self._add_artifacts(conn, version.id, version.artifacts, 0)

    @translated
    async def insert(self, version: Version) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO versions (id, app_id, version, channel_id, published, critical,"
                " required_intermediate, changelog, updated_at, owner,"
                " sort1, sort2, sort3, sort4, sort_error, step_key,"
                " rollout_percent, rollout_seed, rollout_plan)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    version.id,
                    version.app_id,
                    version.version,
                    version.channel_id,
                    int(version.published),
                    int(version.critical),
                    int(version.required_intermediate),
                    changelog_json(version),
                    to_millis(version.updated_at),
                    version.owner,
                    *ordering_columns(version.version),
                    *rollout_columns(version),
                ),
            )
            await self._write_artifacts(conn, version)

    @translated
    async def get(self, version_id: str) -> Version | None:
        return await self._one("SELECT * FROM versions WHERE id = ?", version_id)

    @translated
    async def find(self, app_id: str, version: str, owner: str) -> Version | None:
        return await self._one(
            "SELECT * FROM versions WHERE app_id = ? AND version = ? AND owner = ?",
            app_id,
            version,
            owner,
        )

    @translated
    async def append_artifacts(
        self,
        version_id: str,
        artifacts: list[Artifact],
        updated_at: datetime,
        repeatable: frozenset[str] = frozenset(),
    ) -> bool:
        async with self._db.transaction() as conn:
            for a in artifacts:
                if a.package in repeatable:
                    continue
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

    @translated
    async def save(self, version: Version) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE versions SET published = ?, critical = ?, required_intermediate = ?,"
                " changelog = ?, updated_at = ?, rollout_percent = ?, rollout_seed = ?,"
                " rollout_plan = ? WHERE id = ?",
                (
                    int(version.published),
                    int(version.critical),
                    int(version.required_intermediate),
                    changelog_json(version),
                    to_millis(version.updated_at),
                    *rollout_columns(version),
                    version.id,
                ),
            )
            await self._write_artifacts(conn, version)

    @translated
    async def delete(self, version_id: str) -> bool:
        return await self._db.run("DELETE FROM versions WHERE id = ?", version_id) > 0

    async def _orderable(self, where: str, params: tuple[Any, ...]) -> None:
        """Fail as the original's query does when a matched version cannot be converted."""
        failed = await self._db.one(
            _unorderable_sql(where),
            *params,
        )
        if failed is not None:
            raise StoreError(failed["sort_error"])

    async def _ordered(
        self, where: str, params: tuple[Any, ...], *, skip: int, limit: int
    ) -> list[sqlite3.Row]:
        """Rows in the database ordering."""
        await self._orderable(where, params)
        return await self._db.all(
            f"SELECT {_VERSION} FROM versions v WHERE {where} ORDER BY {_ORDER} LIMIT ? OFFSET ?",
            *params,
            limit,
            skip,
        )

    @translated
    async def search(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> tuple[list[Version], int]:
        where, params = _version_where(query)
        rows = await self._ordered(where, params, skip=skip, limit=limit)
        count = await self._db.one(f"SELECT count(*) FROM versions v WHERE {where}", *params)
        return await self._load(rows), int(count[0]) if count else 0

    @translated
    async def latest(self, query: VersionFilter) -> Version | None:
        where, params = _version_where(query)
        version, failed = await self._one_with(_latest_sql(where), *params, *params)
        if failed is not None:
            raise StoreError(failed)
        return version

    @translated
    async def unkeyed_steps(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> list[tuple[str, str]]:
        where, params = _version_where(query)
        rows = await self._db.all(
            f"SELECT id, version FROM versions v WHERE {where} AND step_key IS NULL"
            " ORDER BY rowid LIMIT ? OFFSET ?",
            *params,
            limit,
            skip,
        )
        return [(row["id"], row["version"]) for row in rows]

    @translated
    async def lowest_step(
        self, query: VersionFilter, *, above: str, inclusive: bool, up_to: str
    ) -> StepFound:
        where, params = _version_where(query)
        version, unkeyed = await self._one_with(
            _lowest_step_sql(where, inclusive), *params, *params, above, up_to
        )
        if version is None:
            row = await self._db.one(_unkeyed_sql(where), *params)
            unkeyed = row[0] if row else 0
        return StepFound(version, unkeyed=bool(unkeyed))

    @translated
    async def with_private_link(self, link: str) -> Version | None:
        return await self._one(
            "SELECT * FROM versions WHERE id = (SELECT version_id FROM artifacts WHERE link = ?"
            " LIMIT 1)",
            link,
        )

    @translated
    async def references(self, kind: Kind, meta_id: str) -> bool:
        return await self._db.one(_REFERENCE_QUERIES[kind], meta_id) is not None

    @translated
    async def holding(self, links: list[str]) -> list[tuple[str, str]]:
        rows = await self._db.all(
            "SELECT version_id, link FROM artifacts WHERE link IN (SELECT value FROM json_each(?))",
            json.dumps(links),
        )
        return [(row["version_id"], row["link"]) for row in rows]

    @translated
    async def remove_artifacts(self, version_id: str, links: list[str]) -> None:
        await self._db.run(
            "DELETE FROM artifacts WHERE version_id = ?"
            " AND link IN (SELECT value FROM json_each(?))",
            version_id,
            json.dumps(links),
        )

    @translated
    async def published_targets(self) -> set[PublishedTarget]:
        rows = await self._db.all(
            "SELECT DISTINCT v.owner, v.app_id, v.channel_id, a.platform, a.arch"
            " FROM versions v JOIN artifacts a ON a.version_id = v.id WHERE v.published = 1"
        )
        return {PublishedTarget(*(str(value) for value in row)) for row in rows}

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
