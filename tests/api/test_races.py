"""Requests racing each other over the same objects and documents: one wins cleanly, the
others are refused, the bytes served are the winner's, nothing is left behind or deleted twice.

The requests run concurrently on the app's event loop; MongoDB and S3 (through real servers)
interleave them at every call, SQLite at every write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from faynosync.core.ids import new_id
from faynosync.objects import LEASE
from faynosync.store.models import Artifact, Kind, Version, VersionFilter
from tests.support.api import admin_headers, assert_error, create_app, upload
from tests.support.consistency import assert_consistent
from tests.support.factories import target
from tests.support.storage import read_object, stored_objects

KEY = "testapp-admin/nightly/universalPlatform/universalArch/testapp-{}.dmg"


async def test_parallel_uploads_of_one_new_version_serve_the_winners_bytes(env):
    for round_number in range(3):
        version = f"1.0.{round_number}"
        contents = [f"bytes of upload {i} ".encode() * 100 for i in range(20)]
        results = await asyncio.gather(
            *(
                upload(env.client, env.headers, target(version=version), ("app.dmg", content))
                for content in contents
            )
        )
        codes = [r.status_code for r in results]
        assert codes.count(200) == 1, codes
        assert set(codes) <= {200, 409, 500}
        for response in results:
            if response.status_code == 500:
                assert response.json() == {
                    "error": "app with this name, version, platform, architecture and "
                    "extension already exists"
                }
        winner = contents[codes.index(200)]
        assert read_object(env.settings, "private", KEY.format(version)) == winner
        document = await env.store.versions.find(env.ids.app, version, "admin")
        assert len(document.artifacts) == 1
    await assert_consistent(env, ["admin"])


async def test_uploads_racing_the_delete_of_their_app(env):
    """Either the delete wins (no version of the app is left) or the uploads do (the app
    stays); never a version of a deleted app."""
    for round_number in range(8):
        name = f"racer{round_number}"
        app_id = await create_app(env.client, env.headers, name, private="true")
        uploads = [
            upload(
                env.client,
                env.headers,
                target(app_name=name, version=f"1.{i}"),
                ("a.dmg", b"x" * 1000),
            )
            for i in range(3)
        ]
        delete = env.client.delete("/app/delete", params={"id": app_id}, headers=env.headers)
        *uploaded, deleted = await asyncio.gather(*uploads, delete)
        _, total = await env.store.versions.search(
            VersionFilter(owner="admin", app_id=app_id), skip=0, limit=100
        )
        app = await env.store.meta.get(Kind.APP, app_id)
        if deleted.status_code == 200:
            assert app is None
            assert total == 0
            for response in uploaded:
                assert response.status_code == 500, response.text
        else:
            assert app is not None
            assert total == sum(r.status_code == 200 for r in uploaded)
    await assert_consistent(env, ["admin"])


async def test_parallel_deletes_of_one_version_report_it_once(env):
    response = await upload(env.client, env.headers, target(), ("a.dmg", b"x"))
    version_id = response.json()["uploadResult.Uploaded"]
    results = await asyncio.gather(
        *(
            env.client.delete("/apps/delete", params={"id": version_id}, headers=env.headers)
            for _ in range(20)
        )
    )
    assert [r.text for r in results].count('{"deleteSpecificAppResult.DeletedCount":1}') == 1
    for response in results:
        if response.status_code != 200:
            assert response.json() == {
                "error": "failed to delete specific version of app",
                "details": f'no app found with ID ObjectID("{version_id}")',
            }
    assert stored_objects(env.settings) == set()


# --- keys that different names share ----------------------------------------------------------


async def tenant(env, name: str, app: str) -> dict[str, str]:
    headers = await admin_headers(env.client, name)
    await create_app(env.client, headers, app)
    return headers


async def test_a_tenant_never_overwrites_anothers_object(env):
    """corp's app demo-acme and acme-corp's app demo share the prefix demo-acme-corp/."""
    corp = await tenant(env, "corp", "demo-acme")
    acme_corp = await tenant(env, "acme-corp", "demo")
    squirrel = {"version": "1.0.0", "updater": "squirrel_windows"}
    first = await upload(
        env.client, corp, {"app_name": "demo-acme", **squirrel}, ("RELEASES", b"corp's")
    )
    assert first.status_code == 200, first.text
    key = "squirrel_windows/demo-acme-corp/1.0.0/RELEASES"
    second = await upload(
        env.client, acme_corp, {"app_name": "demo", **squirrel}, ("RELEASES", b"acme-corp's")
    )
    assert_error(second, 409, f"another file is stored under the same key: {key}")
    assert read_object(env.settings, "public", key) == b"corp's"
    await assert_consistent(env, ["corp", "acme-corp"])


async def test_deleting_a_version_keeps_an_object_another_version_holds(env):
    """Data written before this rule (or by FaynoSync) may share a key between tenants."""
    corp = await tenant(env, "corp", "demo-acme")
    squirrel = {"version": "1.0.0", "updater": "squirrel_windows"}
    first = await upload(
        env.client, corp, {"app_name": "demo-acme", **squirrel}, ("RELEASES", b"shared")
    )
    mine = await env.store.versions.get(first.json()["uploadResult.Uploaded"])
    acme_corp = await tenant(env, "acme-corp", "demo")
    other_app = (await env.client.get("/app/list", headers=acme_corp)).json()["apps"][0]["ID"]
    theirs = Version(
        id=new_id(),
        app_id=other_app,
        version="1.0.0",
        channel_id=mine.channel_id,
        published=True,
        critical=False,
        required_intermediate=False,
        artifacts=[Artifact(**{**vars(mine.artifacts[0]), "package": ""})],
        changelog=[],
        updated_at=mine.updated_at,
        owner="acme-corp",
    )
    await env.store.versions.insert(theirs)
    response = await env.client.delete("/apps/delete", params={"id": mine.id}, headers=corp)
    assert response.status_code == 200, response.text
    key = "squirrel_windows/demo-acme-corp/1.0.0/RELEASES"
    assert read_object(env.settings, "public", key) == b"shared"
    await assert_consistent(env, ["corp", "acme-corp"])


# --- claims -----------------------------------------------------------------------------------


async def test_a_claim_is_exclusive_until_released_or_lapsed(env):
    claims = env.store.claims
    now = datetime.now(UTC)
    assert await claims.acquire("a/b", "one", now + LEASE)
    assert not await claims.acquire("a/b", "two", now + LEASE)
    assert await claims.renew("a/b", "one", now + LEASE)
    assert not await claims.renew("a/b", "two", now + LEASE)
    await claims.release("a/b", "two")  # not the holder: nothing happens
    assert not await claims.acquire("a/b", "two", now + LEASE)
    await claims.release("a/b", "one")
    assert await claims.acquire("a/b", "two", now - timedelta(seconds=1))  # lapsed at once
    assert await claims.acquire("a/b", "three", now + LEASE)  # a lapsed lease is taken over
    assert not await claims.renew("a/b", "two", now + LEASE)
    results = await asyncio.gather(*(claims.acquire("c", f"h{i}", now + LEASE) for i in range(10)))
    assert results.count(True) == 1


async def test_an_upload_waits_for_nobody_it_is_refused_while_the_key_is_claimed(env):
    await env.store.claims.acquire(
        f"{KEY.format('0.0.1.137')}", "someone", datetime.now(UTC) + LEASE
    )
    response = await upload(env.client, env.headers, target(), ("a.dmg", b"x"))
    assert_error(
        response, 409, "another request is storing a file under the same key right now; try again"
    )
    assert stored_objects(env.settings) == set()
