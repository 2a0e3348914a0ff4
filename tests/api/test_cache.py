"""PERFORMANCE_MODE: answers are cached per owner and parameters; every write clears them."""

from __future__ import annotations

import pytest

from tests.support.api import admin_headers, create, create_app, data_files, running
from tests.support.checks import FILES, check, publish


@pytest.fixture
async def cached(settings_factory):
    async with running(settings_factory(PERFORMANCE_MODE="true", FAYNOSYNC_CACHE_TTL=3600)) as (
        app,
        client,
    ):
        headers = await admin_headers(client)
        await create_app(client, headers, "testapp", private="true")
        await create(client, headers, "channel", "nightly")
        await create(client, headers, "platform", "universalPlatform")
        await create(client, headers, "arch", "universalArch")
        version_id = await publish(client, headers, "1.0", *FILES)
        yield app, client, headers, version_id


async def unpublish_behind_the_servers_back(app, version_id):
    """A change the server's cache cannot know of (as by another process)."""
    version = await app.state.store.versions.get(version_id)
    version.published = False
    await app.state.store.versions.save(version)


async def test_answers_are_served_from_the_cache(cached):
    app, client, _, version_id = cached
    first = await check(client, "0.1")
    assert first.json()["update_available"] is True
    await unpublish_behind_the_servers_back(app, version_id)
    second = await check(client, "0.1")
    assert (second.status_code, second.content, second.headers["content-type"]) == (
        first.status_code,
        first.content,
        first.headers["content-type"],
    )
    # Other parameters are other entries.
    assert (await check(client, "0.2")).status_code == 400


async def test_errors_are_not_cached(cached):
    _, client, headers, _ = cached
    assert (await check(client, "0.1", channel="stable")).status_code == 400
    await create(client, headers, "channel", "stable")
    await publish(client, headers, "2.0", ("a.dmg", b"d"), channel="stable")
    assert (await check(client, "0.1", channel="stable")).status_code == 200


WRITES = [
    ("POST", "/apps/update", "edit"),
    ("DELETE", "/apps/delete", "delete"),
    ("POST", "/artifact/delete", "artifacts"),
    ("POST", "/upload", "upload"),
    ("POST", "/platform/update", "platform"),
    ("POST", "/app/update", "app"),
    ("POST", "/channel/create", "channel"),
]


@pytest.mark.parametrize(("method", "path", "what"), WRITES)
async def test_every_write_clears_the_cache(cached, method, path, what):
    app, client, headers, version_id = cached
    assert (await check(client, "0.1")).json()["update_available"] is True
    before = (await check(client, "0.1")).content
    if what == "edit":
        body = {"id": version_id, "app_name": "testapp", "version": "1.0", "channel": "nightly"}
        response = await client.post(path, files=data_files(body), headers=headers)
    elif what == "delete":
        response = await client.delete(f"{path}?id={version_id}", headers=headers)
    elif what == "artifacts":
        body = {
            "id": version_id,
            "app_name": "testapp",
            "version": "1.0",
            "artifacts_to_delete": ["1"],
        }
        response = await client.post(path, files=data_files(body), headers=headers)
    elif what == "upload":
        body = {
            "app_name": "testapp",
            "version": "1.0",
            "channel": "nightly",
            "platform": "universalPlatform",
            "arch": "universalArch",
        }
        response = await client.post(path, files=data_files(body, ("a.zip", b"z")), headers=headers)
    elif what == "platform":
        platforms = (await client.get("/platform/list", headers=headers)).json()["platforms"]
        body = {
            "id": platforms[0]["ID"],
            "platform": "universalPlatform",
            "updaters": [{"type": "sparkle", "default": True}],
        }
        response = await client.post(path, json=body, headers=headers)
    elif what == "app":
        apps = (await client.get("/app/list", headers=headers)).json()["apps"]
        body = {"id": apps[0]["ID"], "app": "renamed", "description": "new"}
        response = await client.post(path, files=data_files(body), headers=headers)
    else:
        # A write that changes nothing the answer shows still clears: nothing stale survives.
        await unpublish_behind_the_servers_back(app, version_id)
        response = await client.post(path, json={"channel": "other"}, headers=headers)
    assert response.status_code == 200, response.text
    after = await check(client, "0.1")
    assert after.content != before


async def test_owners_do_not_share_entries(cached):
    _, client, _, _ = cached
    other = await admin_headers(client, "other")
    await create_app(client, other, "testapp")
    mine = await check(client, "0.1")
    theirs = await check(client, "0.1", owner="other", channel="", platform="", arch="")
    assert mine.status_code == 200 and theirs.status_code == 400


async def test_the_latest_links_are_cached_too(cached):
    app, client, _, version_id = cached
    params = {"app_name": "testapp", "channel": "nightly", "owner": "admin"}
    first = await client.get("/apps/latest", params=params)
    assert first.status_code == 200
    await unpublish_behind_the_servers_back(app, version_id)
    assert (await client.get("/apps/latest", params=params)).content == first.content


REFUSED = [
    # Anyone can send these: none may keep the update checks uncached.
    ("POST", "/apps/update", None, b"{}", 401),
    ("DELETE", "/apps/delete?id=0123456789abcdef01234567", "Bearer x", b"", 401),
    ("POST", "/login", None, b"{", 400),
    ("POST", "/login", None, b'{"username": "admin", "password": "wrong"}', 401),
    ("POST", "/signup", None, b'{"username": "u", "password": "p", "api_key": "no"}', 401),
    # Unknown paths and methods, even with a valid token.
    ("POST", "/nowhere", "valid", b"{}", 404),
    ("PUT", "/checkVersion", "valid", b"{}", 404),
]


@pytest.mark.parametrize(("method", "path", "token", "body", "status"), REFUSED)
async def test_refused_requests_leave_the_cache_warm(cached, method, path, token, body, status):
    app, client, admin, version_id = cached
    before = await check(client, "0.1")
    assert before.json()["update_available"] is True
    await unpublish_behind_the_servers_back(app, version_id)
    headers = {"Authorization": token} if token and token != "valid" else {}
    response = await client.request(
        method, path, content=body, headers=admin if token == "valid" else headers
    )
    assert response.status_code == status, response.text
    assert (await check(client, "0.1")).content == before.content
    assert len(app.state.cache._entries) == 1


async def test_a_server_error_clears_the_cache(cached):
    app, client, headers, version_id = cached
    before = (await check(client, "0.1")).content
    await unpublish_behind_the_servers_back(app, version_id)
    response = await client.delete("/apps/delete?id=0123456789abcdef01234567", headers=headers)
    assert response.status_code == 500, response.text
    assert (await check(client, "0.1")).content != before


async def test_a_refusal_that_follows_a_write_clears_the_cache(cached):
    """Deleting a version whose object key cannot be found answers 400 with the version gone."""
    app, client, headers, version_id = cached
    before = (await check(client, "0.1")).content
    version = await app.state.store.versions.get(version_id)
    version.artifacts[0].link = "https://elsewhere.example/app.dmg"
    await app.state.store.versions.save(version)
    response = await client.delete(f"/apps/delete?id={version_id}", headers=headers)
    assert response.status_code == 400, response.text
    assert (await check(client, "0.1")).content != before
