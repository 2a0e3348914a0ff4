"""MongoDB: FaynoSync's documents and indexes, and running on an existing FaynoSync database."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from faynosync.checks.service import STEP_PAGE
from faynosync.core.versioning import step_key
from faynosync.store import StoreError, open_store
from faynosync.store.models import ApiToken, GroupFilter, ReportBlob, ReportGroup, VersionFilter
from faynosync.store.mongo import INDEXES, ORDER_FIELD, MongoStore, order_document
from tests.support.api import API_KEY, assert_body
from tests.support.tokens import GO_HASHES

# Tests of the migration: each needs a database nothing migrated before.
pytestmark = [pytest.mark.mongo, pytest.mark.fresh_database]


@pytest.fixture
def backend():
    return "mongo"


@pytest.fixture
async def db(mongodb_url):
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield client.get_default_database()
    await client.close()


async def test_migrate_creates_faynosyncs_indexes(settings, db):
    store = await open_store(settings)
    await store.migrate()
    await store.migrate()
    await store.close()
    for collection, specs in INDEXES.items():
        info = await db[collection].index_information()
        for spec in specs:
            index = info[spec["name"]]
            assert [tuple(k) for k in index["key"]] == [tuple(k) for k in spec["key"]]
            assert index.get("unique", False) == spec.get("unique", False)
            assert dict(index.get("partialFilterExpression") or {}) == spec.get(
                "partialFilterExpression", {}
            )
    names = set(await db["apps_meta"].index_information())
    assert {
        "channel_name_owner_sort_by_asc_created",
        "platform_name_owner_sort_by_asc_created",
        "arch_id_owner_sort_by_asc_created",
        "app_name_owner_sort_by_asc_created",
    } <= names


async def test_migrate_keeps_existing_indexes_and_fills_platform_updaters(settings, db):
    await db["admins"].create_index([("username", 1)], name="legacy_username", unique=True)
    await db["apps_meta"].insert_one({"platform_name": "old", "owner": "admin"})
    await db["apps_meta"].insert_one(
        {"platform_name": "new", "updaters": [{"type": "tauri", "default": True}], "owner": "a"}
    )
    store = await open_store(settings)
    await store.migrate()
    await store.close()
    assert "legacy_username" in await db["admins"].index_information()
    old = await db["apps_meta"].find_one({"platform_name": "old"})
    new = await db["apps_meta"].find_one({"platform_name": "new"})
    assert old["updaters"] == [{"type": "manual", "default": True}]
    assert new["updaters"] == [{"type": "tauri", "default": True}]


@pytest.mark.production_bcrypt
async def test_signup_writes_faynosyncs_admin_document(client, db):
    await client.post("/signup", json={"username": "admin", "password": "pw", "api_key": API_KEY})
    doc = await db["admins"].find_one({"username": "admin"})
    assert list(doc) == ["_id", "username", "password", "updated_at"]
    assert isinstance(doc["_id"], ObjectId)
    assert doc["password"].startswith("$2a$10$")
    assert isinstance(doc["updated_at"], datetime)


async def test_an_existing_faynosync_admin_logs_in(client, db):
    """A document as FaynoSync wrote it, with a hash made by Go's bcrypt."""
    await db["admins"].insert_one(
        {
            "_id": ObjectId("653a5b1c2d3e4f5a6b7c8d9e"),
            "username": "legacy",
            "password": GO_HASHES["password"],
            "updated_at": datetime(2023, 10, 26, 12, 58, 4, 258000, tzinfo=UTC),
        }
    )
    response = await client.post("/login", json={"username": "legacy", "password": "password"})
    assert response.status_code == 200
    token = response.json()["token"]
    response = await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert_body(
        response, 200, '{"id":"653a5b1c2d3e4f5a6b7c8d9e","username":"legacy","is_admin":true}'
    )


def test_the_url_must_name_the_database():
    with pytest.raises(StoreError, match="must name the database"):
        MongoStore("mongodb://127.0.0.1:1/?directConnection=true")


async def test_migrate_gives_faynosyncs_versions_the_ordering_field(settings, db):
    app_id = ObjectId()
    for version in ("1.2.3", "1..2"):
        await db["apps"].insert_one(
            {"app_id": app_id, "version": version, "published": True, "owner": "admin"}
        )
    store = await open_store(settings)
    await store.migrate()
    await store.close()
    good = await db["apps"].find_one({"version": "1.2.3"})
    bad = await db["apps"].find_one({"version": "1..2"})
    assert good["faynosync_order"] == {
        "v1": 1,
        "v2": 2,
        "v3": 3,
        "v4": None,
        "step": "0" * 19 + "1" + "0" * 19 + "2" + "0" * 19 + "3",
    }
    assert bad["faynosync_order"]["error"].startswith("(ConversionFailure) Failed to parse")
    assert bad["faynosync_order"]["step"] is None


async def test_migrate_drops_the_obsolete_unorderable_index(settings, db):
    await db["apps"].create_index(
        [("app_id", 1), ("faynosync_order.error", 1)],
        name="faynosync_unorderable",
        partialFilterExpression={"faynosync_order.error": {"$exists": True}},
    )
    store = await open_store(settings)
    await store.migrate()
    await store.close()
    assert "faynosync_unorderable" not in await db["apps"].index_information()


# --- versions FaynoSync writes while this server runs (no migrate in between) ----------------


def faynosyncs(app_id: ObjectId, version: str, **flags: object) -> dict[str, object]:
    """A version document as FaynoSync writes it: no ordering field."""
    return {
        "_id": ObjectId(),
        "app_id": app_id,
        "version": version,
        "channel_id": ObjectId("000000000000000000000000"),
        "published": True,
        "critical": False,
        "required_intermediate": False,
        "artifacts": [],
        "changelog": [{"version": version, "changes": "", "date": "2024-08-03"}],
        "updated_at": datetime(2024, 8, 3, tzinfo=UTC),
        "owner": "admin",
        **flags,
    }


async def test_steps_of_versions_faynosync_wrote(store, db):
    """Without the field they would all seem unkeyed: read in pages of 50, they get it and
    are found by their key."""
    app_id = ObjectId()
    numbers = list(range(120))
    random.Random(7).shuffle(numbers)
    for n in numbers:
        await db["apps"].insert_one(faynosyncs(app_id, f"1.0.{n}", required_intermediate=True))
    await db["apps"].insert_one(faynosyncs(app_id, "1.0.5-rc1", required_intermediate=True))
    query = VersionFilter(owner="admin", app_id=str(app_id), required_intermediate=True)

    lowest = await store.versions.lowest_step(
        query, above=step_key("1.0.10"), inclusive=False, up_to=step_key("1.0.200")
    )
    assert lowest.version is not None and lowest.version.version == "1.0.11"
    assert lowest.unkeyed  # 1.0.5-rc1
    assert await db["apps"].count_documents({ORDER_FIELD: {"$exists": False}}) == 0
    found = await store.versions.unkeyed_steps(query, skip=0, limit=STEP_PAGE)
    assert [version for _, version in found] == ["1.0.5-rc1"]


async def test_latest_and_search_order_what_faynosync_wrote(store, db):
    app_id = ObjectId()
    for version in ("1.9", "1.10", "1.2"):
        await db["apps"].insert_one(faynosyncs(app_id, version))
    await db["apps"].insert_one(faynosyncs(ObjectId(), "9.0"))  # another app's stays as it is
    query = VersionFilter(owner="admin", app_id=str(app_id), published=True)
    assert (await store.versions.latest(query)).version == "1.10"
    items, total = await store.versions.search(query, skip=1, limit=5)
    assert ([i.version for i in items], total) == (["1.9", "1.2"], 3)
    other = await db["apps"].find_one({"version": "9.0"})
    assert ORDER_FIELD not in other


async def test_a_field_without_its_step_is_written_again_when_read(store, db):
    """An earlier faynosync's field (numbers, no ``step``), even with wrong numbers, is
    replaced when a read meets it."""
    app_id = ObjectId()
    old = {"v1": 9, "v2": None, "v3": None, "v4": None}
    await db["apps"].insert_one(faynosyncs(app_id, "0.1", **{ORDER_FIELD: old}))
    await db["apps"].insert_one(faynosyncs(app_id, "0.2", **{ORDER_FIELD: order_document("0.2")}))
    query = VersionFilter(owner="admin", app_id=str(app_id))
    assert (await store.versions.latest(query)).version == "0.2"
    stored = await db["apps"].find_one({"version": "0.1"})
    assert stored[ORDER_FIELD] == order_document("0.1")


async def test_api_tokens_as_faynosync_v2_1_stores_them(store, db):
    """Field order and omitted fields of v2.1's documents; one v2.1 wrote is read."""
    app_id = str(ObjectId())
    token = ApiToken(
        id=str(ObjectId()),
        name="ci",
        token_hash="ab" * 32,
        token_prefix="fns_abababab",
        owner="admin",
        allowed_apps=[app_id],
        expires_at=None,
        created_at=datetime(2026, 2, 20, 14, 39, 16, 233000, tzinfo=UTC),
    )
    await store.api_tokens.insert(token)
    doc = await db["api_tokens"].find_one({"_id": ObjectId(token.id)})
    assert list(doc) == [
        "_id",
        "name",
        "token_hash",
        "token_prefix",
        "owner",
        "allowed_apps",
        "created_at",
    ]
    assert doc["allowed_apps"] == [app_id]
    await store.api_tokens.used(token.id, datetime(2026, 3, 1, tzinfo=UTC))
    doc = await db["api_tokens"].find_one({"_id": ObjectId(token.id)})
    assert list(doc)[-1] == "last_used_at"
    written = {
        "_id": ObjectId(),
        "name": "from v2.1",
        "token_hash": "cd" * 32,
        "token_prefix": "fns_cdcdcdcd",
        "owner": "admin",
        "allowed_apps": [app_id],
        "expires_at": datetime(2030, 1, 1, tzinfo=UTC),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    await db["api_tokens"].insert_one(written)
    found = await store.api_tokens.get_by_hash("cd" * 32)
    assert (found.name, found.allowed_apps, found.expires_at) == (
        "from v2.1",
        [app_id],
        datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert [t.name for t in await store.api_tokens.list("admin")] == ["ci", "from v2.1"]
    indexes = await db["api_tokens"].index_information()
    assert indexes["token_hash_unique"]["unique"] is True
    assert indexes["owner_sort_by_created_desc"]["key"] == [("owner", 1), ("created_at", -1)]


async def test_migrate_drops_the_global_unique_group_hash_index(settings, db):
    """FaynoSync v2.1's migration 20260608120200: groups are unique per app, not globally."""
    await db["report_groups"].create_index(
        [("groupHash", 1)], name="report_groups_unique_group_hash", unique=True
    )
    store = await open_store(settings)
    await store.migrate()
    await store.close()
    indexes = await db["report_groups"].index_information()
    assert "report_groups_unique_group_hash" not in indexes
    assert indexes["report_groups_unique_app_group"]["unique"] is True
    ttl = (await db["report_blobs"].index_information())["report_blobs_ttl"]
    assert ttl["expireAfterSeconds"] == 0


async def test_reports_as_faynosync_v2_1_stores_them(store, db):
    """v2.1's report documents: keys, groups and blobs it wrote are read, ours are its shape."""
    app_id = ObjectId()
    await db["apps_meta"].insert_one(
        {"_id": app_id, "app_name": "testapp", "owner": "admin", "reports": True}
    )
    when = datetime(2026, 6, 8, 12, 0, tzinfo=UTC)
    await db["report_keys"].insert_one(
        {
            "_id": ObjectId(),
            "app_id": app_id,
            "owner": "admin",
            "key_value": "rpk_" + "b" * 64,
            "created_at": when,
            "updated_at": when,
        }
    )
    key = await store.reports.key_by_value("rpk_" + "b" * 64)
    assert (key.app_id, key.app_name, key.app_reports) == (str(app_id), "testapp", True)
    subject = {
        "application": {"name": "testapp", "version": "1.0", "channel": "stable"},
        "system": {"platform": "windows", "arch": "amd64"},
        "event": {"type": "crash", "reason": "x"},
    }
    await db["report_groups"].insert_one(
        {
            "_id": ObjectId(),
            "groupHash": "c" * 64,
            "app_id": app_id,
            "owner": "admin",
            **subject,
            "stats": {
                "count": 3,
                "firstSeen": when,
                "lastSeen": when,
                "detailsStored": 1,
                "detailsRejected": 0,
            },
            "tags": ["a"],
            "createdAt": when,
            "updatedAt": when,
        }
    )
    (group,), total = await store.reports.groups(
        GroupFilter(owner="admin", status="open"), skip=0, limit=10
    )
    assert (total, group.count, group.status, group.tags) == (1, 3, "", ["a"])
    blob = ReportBlob(
        id=str(ObjectId()),
        group_hash="c" * 64,
        app_id=str(app_id),
        owner="admin",
        subject=group.subject,
        driver="aws",
        bucket="private",
        key="reports/testapp/2026/06/08/" + "c" * 64 + "-0123456789abcdef.json.gz",
        compressed_size=10,
        decompressed_size=20,
        created_at=when,
        expires_at=datetime(2999, 1, 1, tzinfo=UTC),
    )
    await store.reports.insert_blob(blob)
    doc = await db["report_blobs"].find_one({"_id": ObjectId(blob.id)})
    assert list(doc) == [
        "_id",
        "groupHash",
        "app_id",
        "owner",
        "application",
        "system",
        "event",
        "storage",
        "createdAt",
        "expiresAt",
    ]
    assert doc["app_id"] == app_id and doc["application"] == subject["application"]
    assert doc["storage"] == {
        "driver": "aws",
        "bucket": "private",
        "key": blob.key,
        "compressedSize": 10,
        "decompressedSize": 20,
        "contentType": "application/json",
        "encoding": "gzip",
    }
    new = ReportGroup(
        id=str(ObjectId()),
        group_hash="e" * 64,
        app_id=str(app_id),
        owner="admin",
        subject=group.subject,
        status="open",
        count=1,
        first_seen=when,
        last_seen=when,
        details_stored=0,
        details_rejected=0,
        created_at=when,
        updated_at=when,
    )
    await store.reports.record(new)
    doc = await db["report_groups"].find_one({"groupHash": "e" * 64})
    assert doc["app_id"] == app_id and doc["stats"]["count"] == 1
    assert set(doc) == {
        "_id",
        "groupHash",
        "app_id",
        "owner",
        "application",
        "system",
        "event",
        "status",
        "stats",
        "createdAt",
        "updatedAt",
    }
    assert set(doc["stats"]) == {
        "count",
        "firstSeen",
        "lastSeen",
        "detailsStored",
        "detailsRejected",
    }
