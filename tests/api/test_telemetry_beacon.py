"""GET /telemetry/beacon: always 204 once telemetry is on, counted as an update check when the
owner's app, channel, platform and arch have a published version (the allow-list), which
follows every write, of this process and of others on the same database."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from faynosync.core import gojson
from tests.api.test_telemetry import check, report, tenant
from tests.support.api import admin_headers, assert_error, create, running, upload

BEACON = {
    "owner": "admin",
    "app_name": "testapp",
    "version": "0.0.1.138",
    "channel": "nightly",
    "platform": "universalPlatform",
    "arch": "universalArch",
}


async def beacon(
    client: httpx.AsyncClient, device: str | None = "dev1", **params: str | None
) -> httpx.Response:
    query = {name: value for name, value in {**BEACON, **params}.items() if value is not None}
    headers = {"X-Device-ID": device} if device is not None else {}
    return await client.get("/telemetry/beacon", params=query, headers=headers)


def assert_taken(response: httpx.Response) -> None:
    """204 with no body and no content type, whatever the beacon carried."""
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert "content-type" not in response.headers


async def summary(client, headers) -> dict[str, int]:
    body = (await report(client, headers)).json()
    return dict(body["summary"])


@pytest.fixture
async def telemetry(settings_factory):
    settings = settings_factory(ENABLE_TELEMETRY="true", FAYNOSYNC_TELEMETRY_FLUSH=3600)
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await tenant(client, headers)
        yield app, client, headers


@pytest.mark.parametrize("level", ["1.4.6", "2.1"])
async def test_a_beacon_is_counted_as_an_update_check(settings_factory, level):
    settings = settings_factory(ENABLE_TELEMETRY="true", FAYNOSYNC_API_LEVEL=level)
    async with running(settings) as (_, client):
        headers = await admin_headers(client)
        await tenant(client, headers)
        await _counted_as_a_check(client, headers)


async def _counted_as_a_check(client, headers):
    assert_taken(await beacon(client, "dev1", is_latest="true"))
    assert_taken(await beacon(client, "dev2", version="0.0.3-138", is_latest="false"))
    body = (await report(client, headers)).json()
    assert body["summary"] == {
        "total_requests": 2,
        "unique_clients": 2,
        "clients_using_latest_version": 1,
        "clients_outdated": 1,
        "total_active_apps": 1,
    }
    # The version as sent, dashes kept, not checked against the published ones.
    assert body["versions"]["known_versions"] == ["0.0.1.138", "0.0.3-138"]
    assert body["versions"]["usage"] == [
        {"version": "0.0.1.138", "client_count": 1},
        {"version": "0.0.3-138", "client_count": 1},
    ]
    assert body["platforms"] == [{"platform": "universalPlatform", "client_count": 2}]
    assert body["architectures"] == [{"arch": "universalArch", "client_count": 2}]
    assert body["channels"] == [{"channel": "nightly", "client_count": 2}]


@pytest.mark.parametrize(
    ("is_latest", "latest", "outdated"),
    [
        *((value, 1, 0) for value in ("1", "t", "T", "TRUE", "true", "True")),
        *((value, 0, 1) for value in ("0", "f", "F", "FALSE", "false", "False")),
        *((value, 0, 0) for value in (None, "", "yes", "tRuE", " true", "2", "\u00e9")),
    ],
)
async def test_is_latest_is_read_as_go_reads_a_bool(telemetry, is_latest, latest, outdated):
    _, client, headers = telemetry
    assert_taken(await beacon(client, is_latest=is_latest))
    counts = await summary(client, headers)
    assert counts["unique_clients"] == 1
    assert (counts["clients_using_latest_version"], counts["clients_outdated"]) == (
        latest,
        outdated,
    )


async def test_a_beacon_without_version_or_answer_keeps_what_a_check_recorded(telemetry):
    _, client, headers = telemetry
    response = await check(
        client, "dev1", "0.0.1.138", "nightly", "universalPlatform", "universalArch"
    )
    assert response.status_code == 200  # outdated, on 0.0.1.138
    assert_taken(await beacon(client, "dev1", version="", channel="stable"))
    assert_taken(await beacon(client, "dev2", version=""))  # no version, no answer: counted
    body = (await report(client, headers)).json()
    assert body["summary"] == {
        "total_requests": 3,
        "unique_clients": 2,
        "clients_using_latest_version": 0,
        "clients_outdated": 1,
        "total_active_apps": 1,
    }
    assert body["versions"]["known_versions"] == ["0.0.1.138"]
    assert body["versions"]["usage"] == [{"version": "0.0.1.138", "client_count": 1}]
    assert body["channels"] == [
        {"channel": "nightly", "client_count": 2},
        {"channel": "stable", "client_count": 1},
    ]
    # Then an answer: the device's version stays, its state changes.
    assert_taken(await beacon(client, "dev1", version="", is_latest="1"))
    counts = await summary(client, headers)
    assert (counts["clients_using_latest_version"], counts["clients_outdated"]) == (1, 0)


async def test_a_flushed_device_keeps_its_version_and_answer(telemetry):
    """The store keeps what a beacon without them does not say (across flushes)."""
    app, client, headers = telemetry
    await check(client, "dev1", "0.0.1.138", "nightly", "universalPlatform", "universalArch")
    await app.state.telemetry.flush()
    assert_taken(await beacon(client, "dev1", version=""))
    await app.state.telemetry.flush()
    assert_taken(await beacon(client, "dev2", version="", is_latest="x"))
    await app.state.telemetry.flush()
    assert_taken(await beacon(client, "dev2", version="0.0.2.138", is_latest="false"))
    body = (await report(client, headers)).json()
    assert body["summary"]["unique_clients"] == 2
    assert body["summary"]["clients_outdated"] == 2
    assert body["versions"]["usage"] == [
        {"version": "0.0.1.138", "client_count": 1},
        {"version": "0.0.2.138", "client_count": 1},
    ]


IGNORED = [
    pytest.param({"device": None}, id="no device id"),
    pytest.param({"device": ""}, id="empty device id"),
    *(pytest.param({name: None}, id=f"no {name}") for name in BEACON if name != "version"),
    *(pytest.param({name: ""}, id=f"empty {name}") for name in BEACON if name != "version"),
    pytest.param({"app_name": "test_app"}, id="app name syntax"),
    pytest.param({"channel": "night-ly"}, id="channel syntax"),
    pytest.param({"platform": "universal Platform"}, id="platform syntax"),
    pytest.param({"arch": "universal-Arch"}, id="arch syntax"),
    pytest.param({"version": "1.0b"}, id="version syntax"),
    pytest.param({"version": "1" * 257}, id="version over 256 characters"),
    pytest.param({"app_name": "otherapp"}, id="unknown app"),
    pytest.param({"app_name": "TESTAPP"}, id="names are case-sensitive"),
    pytest.param({"channel": "beta"}, id="unknown channel"),
    pytest.param({"platform": "linux"}, id="unknown platform"),
    pytest.param({"arch": "arm64"}, id="unknown arch"),
    pytest.param({"owner": "nobody"}, id="unknown owner"),
    pytest.param({"owner": "other"}, id="another tenant"),
    pytest.param({"app_name": "x" * 60_000}, id="huge app name"),
    pytest.param({"app_name": "test\udcffapp"}, id="lone surrogate"),
]


@pytest.mark.parametrize("params", IGNORED)
async def test_what_is_not_allowed_is_answered_204_and_not_counted(telemetry, params):
    _, client, headers = telemetry
    other = await admin_headers(client, "other")
    await create(client, other, "channel", "beta")
    params = dict(params)
    device = params.pop("device", "dev1")
    if params.get("app_name") == "test\udcffapp":
        # A lone surrogate cannot be sent as UTF-8: its bytes are sent percent-encoded.
        query = "&".join(f"{k}={v}" for k, v in {**BEACON, "app_name": ""}.items())
        response = await client.get(
            "/telemetry/beacon?" + query.replace("app_name=", "app_name=test%ED%B3%BFapp"),
            headers={"X-Device-ID": "dev1"},
        )
    else:
        response = await beacon(client, device, **params)
    assert_taken(response)
    body = (await report(client, headers)).json()
    assert body["summary"]["total_requests"] == 0
    assert body["daily_stats"] == []
    other_report = (await report(client, other)).json()
    assert other_report["daily_stats"] == []


async def test_another_tenants_app_of_the_same_name_counts_for_its_owner_only(telemetry):
    _, client, headers = telemetry
    other = await admin_headers(client, "other")
    await tenant(client, other)
    assert_taken(await beacon(client, owner="other"))
    assert (await summary(client, other))["total_requests"] == 1
    assert (await summary(client, headers))["total_requests"] == 0


async def test_huge_device_ids_and_repeated_parameters(telemetry):
    _, client, headers = telemetry
    response = await client.get(
        "/telemetry/beacon?" + "&".join(f"{k}={v}" for k, v in BEACON.items()) + "&owner=other",
        headers={"X-Device-ID": "d" * 60_000},
    )
    assert_taken(response)  # the first owner counts, as Gin's c.Query
    body = (await report(client, headers)).json()
    assert body["summary"]["unique_clients"] == 1


async def test_concurrent_beacons_are_all_counted(telemetry):
    _, client, headers = telemetry
    responses = await asyncio.gather(*(beacon(client, f"dev{i % 10}") for i in range(60)))
    for response in responses:
        assert_taken(response)
    counts = await summary(client, headers)
    assert (counts["total_requests"], counts["unique_clients"]) == (60, 10)


async def test_cors_headers_as_the_update_checks(settings_factory):
    settings = settings_factory(ENABLE_TELEMETRY="true", ALLOWED_CORS="http://localhost:3000")
    async with running(settings) as (_, client):
        response = await client.get(
            "/telemetry/beacon", headers={"Origin": "http://localhost:3000"}
        )
        assert_taken(response)
        assert response.headers["access-control-allow-origin"] == "http://localhost:3000"


@pytest.mark.parametrize("level", ["1.4.6", "2.1"])
async def test_telemetry_off_is_403(client_factory, level):
    async with client_factory(FAYNOSYNC_API_LEVEL=level) as client:
        for device in ("dev1", None):
            response = await beacon(client, device)
            assert_error(response, 403, "Telemetry is not enabled on this instance")


async def test_the_route_answers_as_the_layer_in_front(telemetry):
    """The route (reached when nothing answers in front of routing) gives the same answers."""
    app, client, headers = telemetry
    transport = httpx.ASGITransport(app=app._fastapi)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as routed:
        assert_taken(await beacon(routed, "dev1", is_latest="false"))
        assert_taken(await beacon(routed, "dev1", app_name="nothing"))
    counts = await summary(client, headers)
    assert (counts["total_requests"], counts["clients_outdated"]) == (1, 1)


async def test_the_route_refuses_when_telemetry_is_off(app):
    transport = httpx.ASGITransport(app=app._fastapi)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as routed:
        response = await beacon(routed)
    assert_error(response, 403, "Telemetry is not enabled on this instance")


async def counted(client, headers, **params: str) -> bool:
    """Whether a beacon with these parameters is counted now."""
    before = (await summary(client, headers))["total_requests"]
    assert_taken(await beacon(client, **params))
    return (await summary(client, headers))["total_requests"] == before + 1


async def test_the_allow_list_follows_the_catalog_and_versions(telemetry):
    _, client, headers = telemetry
    assert not await counted(client, headers, app_name="newapp")
    await client.post(
        "/app/create", files={"data": (None, gojson.dumps({"app": "newapp"}))}, headers=headers
    )
    assert not await counted(client, headers, app_name="newapp")  # no version yet
    data = {
        "app_name": "newapp",
        "version": "1.0",
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
    }
    response = await upload(client, headers, {**data, "publish": False}, ("a.dmg", b"x"))
    assert response.status_code == 200, response.text
    assert not await counted(client, headers, app_name="newapp")  # not published
    version_id = response.json()["uploadResult.Uploaded"]
    edit = {"id": version_id, **data, "publish": True}
    response = await client.post(
        "/apps/update", files={"data": (None, gojson.dumps(edit))}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert await counted(client, headers, app_name="newapp")
    # A renamed channel: the new name counts, the old one no longer.
    channels = (await client.get("/channel/list", headers=headers)).json()["channels"]
    nightly = next(c["ID"] for c in channels if c["ChannelName"] == "nightly")
    response = await client.post(
        "/channel/update", json={"id": nightly, "channel": "night"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert not await counted(client, headers, app_name="newapp")
    assert await counted(client, headers, app_name="newapp", channel="night")
    # The version deleted: no longer.
    response = await client.delete(f"/apps/delete?id={version_id}", headers=headers)
    assert response.status_code == 200, response.text
    assert not await counted(client, headers, app_name="newapp", channel="night")


async def test_another_process_on_the_same_database_sees_the_write(settings_factory):
    settings = settings_factory(ENABLE_TELEMETRY="true", FAYNOSYNC_TELEMETRY_FLUSH=3600)
    async with running(settings) as (_, first), running(settings) as (second_app, second):
        headers = await admin_headers(first)
        assert_taken(await beacon(second))  # builds the second's list: nothing is allowed
        await tenant(first, headers)
        written = time.monotonic()
        while True:
            assert_taken(await beacon(second))
            await second_app.state.telemetry.flush()
            if (await summary(second, headers))["total_requests"]:
                break
            assert time.monotonic() - written < 5, "the second process never allowed it"
            await asyncio.sleep(0.05)


async def test_other_methods_and_a_trailing_slash_as_gin_answers_them(telemetry):
    _, client, _ = telemetry
    response = await client.get("/telemetry/beacon/?owner=admin")
    location = "/telemetry/beacon?owner=admin"
    assert (response.status_code, response.headers["location"]) == (301, location)
    for method in ("POST", "HEAD", "PUT"):
        response = await client.request(method, "/telemetry/beacon", params=BEACON)
        assert response.status_code == 401  # unknown to Gin: the global token check answers
