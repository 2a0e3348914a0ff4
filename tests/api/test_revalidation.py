"""Update-check answers carry a strong ETag and Cache-Control; If-None-Match gives a 304; with
PERFORMANCE_MODE a cached answer is served before routing, with its CORS headers and telemetry."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import httpx
import pytest

from faynosync.http.middleware import Cors
from faynosync.http.revalidation import etag
from faynosync.http.update_checks import UpdateChecks
from faynosync.levels import V1_4_6
from tests.support.api import admin_headers, create, create_app, running
from tests.support.checks import FILES, check, publish

ORIGIN = "https://dashboard.example"


@pytest.fixture(params=["cache on", "cache off"])
async def server(request, settings_factory):
    async with serving(settings_factory, cache=request.param == "cache on") as pair:
        yield pair


@contextlib.asynccontextmanager
async def serving(settings_factory, *, cache: bool):
    settings = settings_factory(
        PERFORMANCE_MODE=str(cache).lower(),
        FAYNOSYNC_CACHE_TTL=3600,
        ALLOWED_CORS=ORIGIN,
        ENABLE_TELEMETRY="true",
    )
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await create_app(client, headers, "testapp", private="true")
        await create(client, headers, "channel", "nightly")
        await create(client, headers, "platform", "universalPlatform")
        await create(client, headers, "arch", "universalArch")
        await publish(client, headers, "1.0", *FILES)
        yield app, client


async def test_answers_carry_a_strong_etag_and_cache_control(server):
    _, client = server
    for _ in range(2):  # a miss, then (with the cache on) a hit
        response = await check(client, "0.1")
        assert response.status_code == 200
        assert response.headers["etag"] == etag(response.content)
        assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "if_none_match", ["{tag}", "W/{tag}", '"other", {tag}', "*", ' "other" , W/{tag} ']
)
async def test_a_matching_if_none_match_is_a_304_without_body(server, if_none_match):
    _, client = server
    for _ in range(2):
        tag = (await check(client, "0.1")).headers["etag"]
        response = await client.get(
            "/checkVersion",
            params=query("0.1"),
            headers={"If-None-Match": if_none_match.format(tag=tag)},
        )
        assert (response.status_code, response.content) == (304, b"")
        assert response.headers["etag"] == tag
        assert response.headers["cache-control"] == "no-cache"


async def test_another_tag_gets_the_whole_answer(server):
    _, client = server
    first = await check(client, "0.1")
    response = await client.get(
        "/checkVersion", params=query("0.1"), headers={"If-None-Match": '"stale"'}
    )
    assert (response.status_code, response.content) == (200, first.content)


async def test_errors_carry_no_etag(server):
    _, client = server
    response = await check(client, "0.1", channel="none")
    assert response.status_code == 400
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers


async def test_cache_control_is_a_setting(settings_factory):
    settings = settings_factory(FAYNOSYNC_CHECK_CACHE_CONTROL="public, max-age=60")
    async with running(settings) as (_, client):
        headers = await admin_headers(client)
        await create_app(client, headers, "testapp", private="true")
        await create(client, headers, "channel", "nightly")
        await create(client, headers, "platform", "universalPlatform")
        await create(client, headers, "arch", "universalArch")
        await publish(client, headers, "1.0", *FILES)
        response = await check(client, "0.1")
        assert response.headers["cache-control"] == "public, max-age=60"


def query(version: str) -> dict[str, str]:
    return {
        "app_name": "testapp",
        "version": version,
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        "owner": "admin",
    }


# --- before routing ---------------------------------------------------------------------------


def front_only(app) -> httpx.AsyncClient:
    """A client of the layer in front of routing alone: behind it, every request fails."""

    async def routing(scope, receive, send):
        raise AssertionError(f"{scope['path']} reached routing")

    front = UpdateChecks(routing, state=app.state, cors=Cors([ORIGIN], V1_4_6.cors_methods))
    transport = httpx.ASGITransport(app=front)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_update_checks_are_answered_before_routing(server):
    app, client = server
    releases = "/update/admin/testapp/nightly/universalPlatform/universalArch/0.1/RELEASES"
    latest = {"app_name": "testapp", "channel": "nightly", "owner": "admin"}
    warm = [
        await check(client, "0.1"),
        await client.get("/apps/latest", params=latest),
        await client.get(releases),
    ]
    async with front_only(app) as front:
        again = [
            await check(front, "0.1"),
            await front.get("/apps/latest", params=latest),
            await front.get(releases),
        ]
        for before, after in zip(warm, again, strict=True):
            assert (after.status_code, after.content) == (before.status_code, before.content)
            assert dict(after.headers) == dict(before.headers)
        # A miss is answered there too (and kept); anything else goes on to routing.
        miss = await check(front, "0.2")
        assert miss.status_code == 200
        assert (await check(client, "0.2")).content == miss.content
        with pytest.raises(AssertionError, match="reached routing"):
            await front.get("/health")


async def test_checks_before_routing_get_cors_headers_and_are_counted(server):
    app, client = server
    await check(client, "0.1")
    async with front_only(app) as front:
        response = await front.get(
            "/checkVersion",
            params=query("0.1"),
            headers={"Origin": ORIGIN, "X-Device-ID": "device-1"},
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == ORIGIN
        response = await front.get(
            "/checkVersion",
            params=query("0.1"),
            headers={"Origin": "https://evil.example", "If-None-Match": response.headers["etag"]},
        )
        assert response.status_code == 304
        assert "access-control-allow-origin" not in response.headers
    await app.state.telemetry.flush()
    counts = await app.state.store.telemetry.requests("admin", [_today()])
    assert counts == {("testapp", _today()): 1}


def _today() -> str:
    return datetime.now(UTC).date().isoformat()
