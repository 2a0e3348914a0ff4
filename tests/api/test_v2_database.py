"""Drop-in on a database FaynoSync v2.1.0 wrote: its extra fields are read and served, at both
API levels, and faynosync's writes leave them as they are."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from faynosync.core import gojson
from tests.support.api import admin_headers, bearer, running, upload
from tests.support.checks import check, publish
from tests.support.factories import catalog

pytestmark = pytest.mark.mongo
RAW = "fns_" + "ab" * 32
HASHES = {"sha256": "00" * 32, "sha512": "11" * 64}


@pytest.fixture
def backend():
    return "mongo"


@pytest.fixture(params=["1.4.6", "2.1"])
async def v2(request, settings_factory, mongodb_url) -> AsyncIterator[Any]:
    """A tenant whose app, version and token carry what v2.1 writes."""
    client_db: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    db = client_db.get_default_database()
    async with running(settings_factory(FAYNOSYNC_API_LEVEL=request.param)) as (_app, client):
        headers = await admin_headers(client)
        app_id = (await catalog(client, headers)).app
        version_id = await publish(client, headers, "1.0.0", ("app.dmg", b"d"))
        await db["apps_meta"].update_one(
            {"_id": ObjectId(app_id)}, {"$set": {"tuf": True, "reports": True, "cdn_edge": True}}
        )
        await db["apps"].update_one(
            {"_id": ObjectId(version_id)},
            {
                "$set": {
                    "rollout_percent": 50,
                    "rollout_seed": "seed-1",
                    "artifacts.0.hashes": HASHES,
                    "artifacts.0.length": 1,
                    "artifacts.0.tuf_signed": True,
                    "artifacts.0.tuf_task_id": "task-1",
                }
            },
        )
        await db["api_tokens"].insert_one(
            {
                "_id": ObjectId(),
                "name": "ci",
                "token_hash": hashlib.sha256(RAW.encode()).hexdigest(),
                "token_prefix": RAW[:12],
                "owner": "admin",
                "allowed_apps": [app_id],
                "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        )
        yield request.param, client, headers, db, app_id, version_id
    await client_db.close()


async def test_read_and_served(v2):
    level, client, headers, _, _, _ = v2
    body = (await check(client, "0.9")).json()
    assert body["update_available"] is True
    item = (await client.get("/search?app_name=testapp", headers=headers)).json()["items"][0]
    app = (await client.get("/app/list", headers=headers)).json()["apps"][0]
    if level == "2.1":
        artifact = item["Artifacts"][0]
        assert (artifact["TufTaskID"], artifact["TufSigned"]) == ("task-1", True)
        assert (app["Tuf"], app["Reports"], app["CdnEdge"]) == (True, True, True)
    else:
        assert "TufTaskID" not in item["Artifacts"][0] and "Tuf" not in app
    # v2.1's token uploads here too.
    response = await upload(
        client,
        bearer(RAW),
        {
            "app_name": "testapp",
            "version": "1.1.0",
            "channel": "nightly",
            "platform": "universalPlatform",
            "arch": "universalArch",
        },
        ("app.dmg", b"x"),
    )
    assert response.status_code == 200, response.text


async def test_edits_keep_what_they_do_not_know(v2):
    level, client, headers, db, app_id, version_id = v2
    data = {
        "id": version_id,
        "app_name": "testapp",
        "version": "1.0.0",
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        "publish": True,
        "changelog": "edited",
    }
    response = await client.post(
        "/apps/update",
        files={"data": (None, gojson.dumps(data)), "file": ("app.zip", b"z")},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    doc = await db["apps"].find_one({"_id": ObjectId(version_id)})
    assert (doc["rollout_percent"], doc["rollout_seed"]) == (50, "seed-1")
    first = doc["artifacts"][0]
    assert list(first) == [
        "link",
        "platform",
        "arch",
        "package",
        "signature",
        "hashes",
        "length",
        "tuf_signed",
        "tuf_task_id",
    ]
    assert (first["hashes"], first["tuf_task_id"]) == (HASHES, "task-1")
    assert [a["package"] for a in doc["artifacts"]] == [".dmg", ".zip"]
    response = await client.post(
        "/artifact/delete",
        files={"data": (None, gojson.dumps({**data, "artifacts_to_delete": ["1"]}))},
        headers=headers,
    )
    assert response.json() == {"deleteSpecificArtifactResult": True}
    doc = await db["apps"].find_one({"_id": ObjectId(version_id)})
    assert [a["package"] for a in doc["artifacts"]] == [".dmg"]
    assert doc["artifacts"][0]["tuf_signed"] is True and doc["rollout_percent"] == 50
    edit = {"id": app_id, "app": "testapp", "description": "new"}
    response = await client.post(
        "/app/update", files={"data": (None, gojson.dumps(edit))}, headers=headers
    )
    assert response.status_code == 200, response.text
    meta = await db["apps_meta"].find_one({"_id": ObjectId(app_id)})
    # At 2.1, tuf is written from the form (absent: false), as v2.1 does.
    assert (meta["tuf"], meta["reports"], meta["cdn_edge"]) == (level == "1.4.6", True, True)


async def test_rollouts_are_stored_in_v2_order_and_keep_v2_seeds(v2):
    _, client, headers, db, _, version_id = v2
    new_id = await publish(client, headers, "2.0.0", ("app.dmg", b"d"), rollout=30)
    doc = await db["apps"].find_one({"_id": ObjectId(new_id)})
    assert list(doc)[:13] == [
        "_id",
        "app_id",
        "version",
        "channel_id",
        "published",
        "critical",
        "required_intermediate",
        "artifacts",
        "changelog",
        "rollout_percent",
        "rollout_seed",
        "updated_at",
        "owner",
    ]
    assert doc["rollout_percent"] == 30
    data = {"id": version_id, "app_name": "testapp", "version": "1.0.0", "channel": "nightly"}
    response = await client.post(
        "/apps/update",
        files={"data": (None, gojson.dumps({**data, "publish": True, "rollout": 70}))},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    doc = await db["apps"].find_one({"_id": ObjectId(version_id)})
    assert (doc["rollout_percent"], doc["rollout_seed"]) == (70, "seed-1")
