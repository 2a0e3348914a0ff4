"""The SQLite schema: the migrations, each moving it one version up, and the step that runs them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiosqlite

from faynosync.core.versioning import step_key
from faynosync.store.protocol import StoreError


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
    # The write counter the processes of one database poll (ChangeCounter).
    """
    CREATE TABLE change_counter (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL
    );
    INSERT INTO change_counter (id, value) VALUES (1, 0);
    """,
    # API tokens (ApiTokenRepository): the hash is unique, lists go by owner, newest first.
    """
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        token_prefix TEXT NOT NULL,
        owner TEXT NOT NULL,
        allowed_apps TEXT NOT NULL,
        expires_at INTEGER,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
    );
    CREATE INDEX api_tokens_owner_created ON api_tokens (owner, created_at DESC);
    """,
    # FaynoSync v2.1's app flags.
    """
    ALTER TABLE apps_meta ADD COLUMN tuf INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE apps_meta ADD COLUMN reports INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE apps_meta ADD COLUMN cdn_edge INTEGER NOT NULL DEFAULT 0;
    """,
    # Staged rollouts: v2.1's percent and seed (null: none stored), faynosync's plan (JSON).
    """
    ALTER TABLE versions ADD COLUMN rollout_percent INTEGER;
    ALTER TABLE versions ADD COLUMN rollout_seed TEXT;
    ALTER TABLE versions ADD COLUMN rollout_plan TEXT;
    """,
    # Crash and event reports (ReportRepository): keys, groups, blobs, rate-limit counters.
    """
    CREATE TABLE report_keys (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        key_value TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX report_keys_value ON report_keys (key_value);
    CREATE INDEX report_keys_owner_updated ON report_keys (owner, updated_at DESC);
    CREATE TABLE report_groups (
        id TEXT PRIMARY KEY,
        group_hash TEXT NOT NULL,
        app_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        app_name TEXT NOT NULL,
        version TEXT NOT NULL,
        channel TEXT NOT NULL,
        platform TEXT NOT NULL,
        arch TEXT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL,
        count INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        details_stored INTEGER NOT NULL,
        details_rejected INTEGER NOT NULL,
        tags TEXT,
        note TEXT NOT NULL DEFAULT '',
        resolved_at INTEGER,
        resolved_by TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (app_id, group_hash)
    );
    CREATE INDEX report_groups_owner_seen ON report_groups (owner, last_seen DESC);
    CREATE INDEX report_groups_hash ON report_groups (group_hash);
    CREATE TABLE report_blobs (
        id TEXT PRIMARY KEY,
        group_hash TEXT NOT NULL,
        app_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        app_name TEXT NOT NULL,
        version TEXT NOT NULL,
        channel TEXT NOT NULL,
        platform TEXT NOT NULL,
        arch TEXT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        driver TEXT NOT NULL,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        compressed_size INTEGER NOT NULL,
        decompressed_size INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX report_blobs_group ON report_blobs (app_id, group_hash, created_at DESC);
    CREATE INDEX report_blobs_hash ON report_blobs (group_hash, created_at DESC);
    CREATE INDEX report_blobs_expiry ON report_blobs (expires_at);
    CREATE TABLE report_counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX report_counters_expiry ON report_counters (expires_at);
    """,
    # The fields FaynoSync v2.1 adds to artifacts (``velopack``, ...), a JSON object in order.
    """
    ALTER TABLE artifacts ADD COLUMN extra TEXT;
    """,
]


async def migrate(conn: aiosqlite.Connection) -> None:
    """Run the migrations the database lacks (PRAGMA user_version), in the caller's transaction.

    Raises :class:`StoreError` when the database's schema is newer than this server's.
    """
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
