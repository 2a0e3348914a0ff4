"""MongoDB: FaynoSync's documents and indexes, and running on an existing FaynoSync database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from faynosync.store import StoreError, open_store
from faynosync.store.mongo import INDEXES, MongoStore
from tests.core.test_security import GO_HASHES
from tests.support.api import API_KEY, assert_body


@pytest.fixture
def backend():
    return "mongo"


@pytest.fixture
async def db(mongodb_url):
    client = AsyncMongoClient(mongodb_url, tz_aware=True)
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
