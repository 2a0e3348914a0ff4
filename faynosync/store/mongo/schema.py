"""The MongoDB schema: FaynoSync's indexes and ours, the ones to drop, and the backfills that
bring documents FaynoSync wrote up to what this server reads."""

from __future__ import annotations

import logging

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from faynosync.store.models import NAME_FIELDS, Kind
from faynosync.store.mongo.codec import EXISTS
from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.ordering import ORDER_FIELD, ordering_of
from faynosync.store.rules import name_index

log = logging.getLogger(__name__)

# The indexes after all FaynoSync v1.4.6 migrations, by collection
# (docs/behaviour.md#mongodb-indexes).
INDEXES: dict[str, list[Document]] = {
    "apps": [
        {"name": "app_name_sort_by_asc_created", "key": [("app_name", 1), ("created", -1)]},
        {"name": "version_of_app", "key": [("version", 1)]},
        {
            "name": "unique_link_to_app_with_specific_version",
            "key": [("link", 1)],
            "unique": True,
            "partialFilterExpression": {"link": EXISTS},
        },
        {
            "name": "package_type_sort_by_asc_created",
            "key": [("package_type", 1), ("created", -1)],
            "unique": True,
            "partialFilterExpression": {"package_type": EXISTS},
        },
        {"name": "index_on_app_id", "key": [("app_id", 1)]},
        {"name": "index_on_channel_id", "key": [("channel_id", 1)]},
        {"name": "index_on_artifacts_platform", "key": [("artifacts.platform", 1)]},
        {"name": "index_on_artifacts_arch", "key": [("artifacts.arch", 1)]},
        # Ours (the first one is also FaynoSync's since 2026-09): one document per version,
        # even for concurrent uploads, and /download's lookup of a key's owner.
        {
            "name": "unique_app_version_owner",
            "key": [("app_id", 1), ("version", 1), ("owner", 1)],
            "unique": True,
            "partialFilterExpression": {"app_id": {"$type": "objectId"}},
        },
        {"name": "faynosync_artifacts_link", "key": [("artifacts.link", 1)]},
        {
            "name": "faynosync_intermediate",
            "key": [("app_id", 1), ("faynosync_order.step", 1)],
            "partialFilterExpression": {"required_intermediate": True},
        },
        # Also serves the search for versions without the ordering's numbers
        # (ordering.order_matched): their faynosync_order.v1 is null.
        {
            "name": "faynosync_latest",
            "key": [
                ("app_id", 1),
                ("published", 1),
                *[(f"faynosync_order.v{i}", -1) for i in range(1, 5)],
            ],
        },
    ],
    "admins": [
        {
            "name": "username_sort_by_asc_created",
            "key": [("username", 1), ("created", -1)],
            "unique": True,
        },
        {"name": "password_of_admin_user", "key": [("password", 1)]},
    ],
    "apps_meta": [
        {
            "name": name_index(kind),
            "key": [(NAME_FIELDS[kind], 1), ("owner", 1), ("created", -1)],
            "unique": True,
            "partialFilterExpression": {NAME_FIELDS[kind]: EXISTS, "owner": EXISTS},
        }
        for kind in (Kind.CHANNEL, Kind.PLATFORM, Kind.ARCH, Kind.APP)
    ],
    **{
        name: [
            {"name": "faynosync_expiry", "key": [("expires_at", 1)], "expireAfterSeconds": 0},
            {"name": "faynosync_scope", "key": [("owner", 1), ("app", 1), ("date", 1)]},
        ]
        for name in ("telemetry_daily", "telemetry_devices", "telemetry_versions")
    },
    # FaynoSync v2.1's (migration 20260219120000).
    "api_tokens": [
        {"name": "token_hash_unique", "key": [("token_hash", 1)], "unique": True},
        {"name": "owner_sort_by_created_desc", "key": [("owner", 1), ("created_at", -1)]},
    ],
    # FaynoSync v2.1's (migrations 20260519111000 to 20260608120200, their net effect).
    "report_keys": [
        {"name": "report_keys_unique_app_id", "key": [("app_id", 1)], "unique": True},
        {"name": "report_keys_owner_updated_desc", "key": [("owner", 1), ("updated_at", -1)]},
        {"name": "report_keys_key_value", "key": [("key_value", 1)]},
    ],
    "report_groups": [
        {
            "name": "report_groups_app_version_type",
            "key": [("application.name", 1), ("application.version", 1), ("event.type", 1)],
        },
        {
            "name": "report_groups_app_channel_platform_lastseen",
            "key": [
                ("application.name", 1),
                ("application.channel", 1),
                ("system.platform", 1),
                ("stats.lastSeen", -1),
            ],
        },
        {"name": "report_groups_lastseen_desc", "key": [("stats.lastSeen", -1)]},
        {
            "name": "report_groups_unique_app_group",
            "key": [("app_id", 1), ("groupHash", 1)],
            "unique": True,
        },
        {"name": "report_groups_app_lastseen", "key": [("app_id", 1), ("stats.lastSeen", -1)]},
    ],
    "report_blobs": [
        {"name": "report_blobs_group_created", "key": [("groupHash", 1), ("createdAt", -1)]},
        {
            "name": "report_blobs_app_created",
            "key": [("application.name", 1), ("createdAt", -1)],
        },
        {"name": "report_blobs_ttl", "key": [("expiresAt", 1)], "expireAfterSeconds": 0},
        {
            "name": "report_blobs_app_group_created",
            "key": [("app_id", 1), ("groupHash", 1), ("createdAt", -1)],
        },
    ],
    # Ours: the rate limits' counters of reports, shared by the processes of one database.
    "faynosync_report_counters": [
        {"name": "faynosync_expiry", "key": [("expires_at", 1)], "expireAfterSeconds": 0},
    ],
    "faynosync_claims": [
        {"name": "faynosync_expiry", "key": [("expires_at", 1)], "expireAfterSeconds": 0},
    ],
    "team_users": [
        {
            "name": "username_sort_by_asc_created",
            "key": [("username", 1), ("created", -1)],
            "unique": True,
        },
        {"name": "password_of_team_user", "key": [("password", 1)]},
    ],
}

# Indexes of earlier versions of this server that nothing uses any more; migrate drops them.
OBSOLETE_INDEXES: dict[str, list[str]] = {
    "apps": ["faynosync_unorderable"],
    # FaynoSync v2.1's migration 20260608120200 drops it: groups are unique per app.
    "report_groups": ["report_groups_unique_group_hash"],
}

DEFAULT_UPDATERS = [{"type": "manual", "default": True}]


async def migrate(db: AsyncDatabase[Document]) -> None:
    """Create the missing indexes, drop the obsolete ones, backfill. Idempotent."""
    for collection, indexes in INDEXES.items():
        await _ensure_indexes(db[collection], indexes)
    for collection, names in OBSOLETE_INDEXES.items():
        existing = await db[collection].index_information()
        for name in names:
            if name in existing:
                try:
                    await db[collection].drop_index(name)
                except OperationFailure as exc:  # e.g. another process dropped it first
                    log.warning("index %s on %s not dropped: %s", name, collection, exc)
    await _backfill_order(db["apps"])
    # FaynoSync migration 20250813110143: platforms without updaters get a manual default.
    await db["apps_meta"].update_many(
        {"platform_name": EXISTS, "updaters": {"$exists": False}},
        {"$set": {"updaters": DEFAULT_UPDATERS}},
    )


async def _backfill_order(versions: AsyncCollection[Document]) -> None:
    """Versions written by FaynoSync get the ordering field this server sorts by."""
    batch: list[UpdateOne] = []
    missing = {f"{ORDER_FIELD}.step": {"$exists": False}}
    async for doc in versions.find(missing, {"version": 1, ORDER_FIELD: 1}):
        batch.append(ordering_of(doc)[1])
        if len(batch) == 1000:
            await versions.bulk_write(batch, ordered=False)
            batch = []
    if batch:
        await versions.bulk_write(batch, ordered=False)


async def _ensure_indexes(collection: AsyncCollection[Document], indexes: list[Document]) -> None:
    existing = await collection.index_information()
    for spec in indexes:
        if spec["name"] in existing:
            continue
        options = {k: v for k, v in spec.items() if k != "key"}
        try:
            await collection.create_index(spec["key"], background=True, **options)
        except OperationFailure as exc:
            # An existing database may hold an equivalent index under another name.
            log.warning("index %s on %s not created: %s", spec["name"], collection.name, exc)
