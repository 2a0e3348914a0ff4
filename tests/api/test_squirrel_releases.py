"""Squirrel.Windows at API level 2.1 (delta §5.4): a public app's RELEASES file is answered
itself, its package names made absolute URLs; a private app, level 1.4.6 and any failure keep
the redirect (docs/behaviour.md#squirrelwindows-releases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from faynosync.store.models import Kind, VersionFilter
from faynosync.updaters.squirrel_windows import absolute_releases
from tests.support.api import admin_headers, create, create_app, running, upload
from tests.support.storage import storage_overrides

RELEASES = (
    b"E3F67244E4166A65310C816221A12685C83F8E6F myapp-1.0.0-full.nupkg 600725\r\n"
    b"0D777EA94C612E8BF1EA7379164CAEFBA6E24463 myapp-1.0.1-delta.nupkg 6030\r\n"
    b"ABCDEF https://cdn.example.com/other-1.0.1-full.nupkg 700\r\n"
    b"# a comment\r\n"
)
Tenant = tuple[FastAPI, httpx.AsyncClient, dict[str, str]]


@pytest.fixture(
    params=[
        pytest.param(("1.4.6", "local"), id="1.4.6-local"),
        pytest.param(("2.1", "local"), id="2.1-local"),
        pytest.param(("2.1", "minio"), id="2.1-minio", marks=pytest.mark.s3),
    ]
)
async def tenant(settings_factory, request) -> AsyncIterator[Tenant]:
    """A public and a private app with version 1.0.1 on a squirrel_windows platform, the
    response cache on, at an API level, on local disk or S3 (moto)."""
    level, storage = request.param
    settings = settings_factory(
        FAYNOSYNC_API_LEVEL=level,
        PERFORMANCE_MODE="true",
        **storage_overrides(storage, request),
    )
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await create_app(client, headers, "myapp")
        await create_app(client, headers, "secret", private="true")
        await create(client, headers, "channel", "stable")
        await create(client, headers, "arch", "amd64")
        updaters = [{"type": "squirrel_windows", "default": True}]
        await create(client, headers, "platform", "windows", updaters=updaters)
        for app_name in ("myapp", "secret"):
            data = {
                "app_name": app_name,
                "version": "1.0.1",
                "channel": "stable",
                "platform": "windows",
                "arch": "amd64",
                "publish": True,
            }
            files = [("RELEASES", RELEASES), ("myapp-1.0.1-full.nupkg", b"n")]
            response = await upload(client, headers, data, *files)
            assert response.status_code == 200, response.text
        yield app, client, headers


async def ask(client: httpx.AsyncClient, app_name: str, *, route: bool) -> httpx.Response:
    if route:
        return await client.get(f"/update/admin/{app_name}/stable/windows/amd64/1.0.0/RELEASES")
    query: dict[str, Any] = {
        "app_name": app_name,
        "version": "1.0.0",
        "channel": "stable",
        "platform": "windows",
        "arch": "amd64",
        "owner": "admin",
    }
    return await client.get("/checkVersion", params=query)


async def releases_link(app: FastAPI, app_name: str) -> str:
    """The stored link of the version's RELEASES file (its extension-less artifact)."""
    meta = await app.state.store.meta.get_by_name(Kind.APP, app_name, "admin")
    assert meta is not None
    found, _ = await app.state.store.versions.search(
        VersionFilter(owner="admin", app_id=meta.id), skip=0, limit=10
    )
    (link,) = [a.link for v in found for a in v.artifacts if a.package == ""]
    return str(link)


@pytest.mark.parametrize("route", [False, True], ids=["checkVersion", "RELEASES route"])
async def test_a_public_app_is_answered_its_releases_file_at_2_1(tenant, route):
    app, client, _ = tenant
    for _ in range(2):  # computed, then from the response cache
        response = await ask(client, "myapp", route=route)
        location = await releases_link(app, "myapp")
        if app.state.settings.api_level.name == "1.4.6":
            assert (response.status_code, response.headers["location"]) == (302, location)
            continue
        base = location[: location.rfind("/") + 1]
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text == (
            f"E3F67244E4166A65310C816221A12685C83F8E6F {base}myapp-1.0.0-full.nupkg 600725\n"
            f"0D777EA94C612E8BF1EA7379164CAEFBA6E24463 {base}myapp-1.0.1-delta.nupkg 6030\n"
            "ABCDEF https://cdn.example.com/other-1.0.1-full.nupkg 700\n"
            f"# {base}a comment\n"  # three fields: rewritten as v2.1 does
        )
        assert response.headers["etag"]


async def test_a_private_app_keeps_the_redirect(tenant):
    _, client, _ = tenant
    response = await ask(client, "secret", route=False)
    assert response.status_code == 302
    assert "/download?key=" in response.headers["location"]


async def test_a_file_that_cannot_be_read_keeps_the_redirect(tenant):
    app, client, _ = tenant
    location = await releases_link(app, "myapp")
    key = app.state.links.key_of(location, private=False)
    await app.state.storage.delete(key, private=False)  # gone behind the server's back
    app.state.cache.invalidate()
    response = await ask(client, "myapp", route=True)
    assert (response.status_code, response.headers["location"]) == (302, location)


def test_the_rewrite_keeps_lines_it_does_not_know():
    url = "https://bucket.example.com/a/b/RELEASES"
    assert absolute_releases("", url) == ""
    assert absolute_releases("x y\r\n\r\nA b 1 extra\n", url) == (
        "x y\n\nA https://bucket.example.com/a/b/b 1 extra\n"
    )
    assert absolute_releases("A  b\t1", url) == "A https://bucket.example.com/a/b/b 1"


async def test_a_file_over_the_bound_keeps_the_redirect(tenant, monkeypatch):
    app, client, _ = tenant
    monkeypatch.setattr("faynosync.checks.releases.MAX_BYTES", 100)
    response = await ask(client, "myapp", route=True)
    assert (response.status_code, response.headers["location"]) == (
        302,
        await releases_link(app, "myapp"),
    )
