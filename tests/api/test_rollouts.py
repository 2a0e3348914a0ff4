"""Staged rollouts over HTTP on both stores: v2.1's wire (delta §3), enforced for devices
outside a rollout through every updater and the cache, schedules, pause, bad input
(docs/behaviour.md#staged-rollouts)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from faynosync.core import gojson
from faynosync.core.rollouts import bucket
from tests.support.api import (
    admin_headers,
    assert_body,
    assert_error,
    create,
    create_app,
    running,
    upload,
)
from tests.support.checks import check, link, publish
from tests.support.factories import catalog

Tenant = tuple[FastAPI, httpx.AsyncClient, dict[str, str]]


@pytest.fixture(params=["1.4.6", "2.1"])
def level(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _tenant(settings: Any) -> AsyncIterator[Tenant]:
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await catalog(client, headers)
        yield app, client, headers


@pytest.fixture
async def tenant(settings_factory, level) -> AsyncIterator[Tenant]:
    """testapp's catalog on a server at ``level``."""
    async for made in _tenant(settings_factory(FAYNOSYNC_API_LEVEL=level)):
        yield made


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
async def cached(settings_factory, request) -> AsyncIterator[Tenant]:
    """testapp's catalog, with the response cache off and on."""
    mode = "true" if request.param else "false"
    async for made in _tenant(settings_factory(PERFORMANCE_MODE=mode)):
        yield made


async def seed_of(app: FastAPI, version_id: str) -> str:
    version = await app.state.store.versions.get(version_id)
    assert version is not None and version.rollout_seed is not None
    return str(version.rollout_seed)


def device(seed: str, percent: int, *, inside: bool) -> str:
    """A device id inside (or outside) a rollout of this seed and percent."""
    return next(
        f"device-{n}" for n in range(10_000) if (bucket(f"device-{n}", seed) < percent) == inside
    )


async def edit(client, headers, version_id: str, version: str, **data: object) -> httpx.Response:
    body = {
        "id": version_id,
        "app_name": "testapp",
        "version": version,
        "channel": "nightly",
        "publish": True,
        **data,
    }
    return await client.post(
        "/apps/update", files={"data": (None, gojson.dumps(body))}, headers=headers
    )


async def check_as(client, version: str, who: str | None, **params: str) -> httpx.Response:
    return await check(client, version, device=who, **params)


# --- v2.1's wire --------------------------------------------------------------------------------


async def test_the_answer_carries_the_rollout_of_the_version_offered(tenant):
    app, client, headers = tenant
    await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"), rollout=60)
    seed = await seed_of(app, version_id)
    assert re.fullmatch(r"[0-9a-f]{16}", seed)
    # Without a device id, v2.1's answer (delta §3.3's example), keys sorted.
    expected = (
        '{"critical":false,"rollout":{"percent":60,"seed":"' + seed + '"},'
        '"update_available":true,"update_url_dmg":"' + link("1.0.2", ".dmg") + '"}'
    )
    assert_body(await check(client, "1.0.1"), 200, expected)
    # Up to date, or a rollback: no rollout.
    assert "rollout" not in (await check(client, "1.0.2")).json()
    assert "rollout" not in (await check(client, "1.0.3")).json()


async def test_a_version_without_a_rollout_answers_as_before(tenant, level):
    app, client, headers = tenant
    await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"))
    assert "rollout" not in (await check(client, "1.0.1")).json()
    stored = await app.state.store.versions.get(version_id)
    item = (await client.get("/search?app_name=testapp", headers=headers)).json()["items"][0]
    if level == "2.1":
        # As v2.1: every new version has a percent (100) and a seed; /search shows it last.
        assert (stored.rollout_percent, len(stored.rollout_seed)) == (100, 16)
        assert list(item)[-1] == "RolloutPercent" and item["RolloutPercent"] == 100
    else:
        # At 1.4.6 nothing is stored and nothing shown unless a rollout is asked for.
        assert (stored.rollout_percent, stored.rollout_seed) == (None, None)
        assert "RolloutPercent" not in item


async def test_an_edit_keeps_the_seed(tenant, level):
    app, client, headers = tenant
    version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"), rollout=10)
    seed = await seed_of(app, version_id)
    # Another file for the same version: its rollout is left as it was (v2.1).
    await publish(client, headers, "1.0.2", ("app.zip", b"z"), rollout=90)
    assert (await app.state.store.versions.get(version_id)).rollout_percent == 10
    response = await edit(client, headers, version_id, "1.0.2", rollout=50)
    assert response.status_code == 200, response.text
    stored = await app.state.store.versions.get(version_id)
    assert (stored.rollout_percent, stored.rollout_seed) == (50, seed)
    if level == "2.1":
        item = (await client.get("/search?app_name=testapp", headers=headers)).json()["items"][0]
        assert item["RolloutPercent"] == 50
    # An edit without rollout leaves it.
    await edit(client, headers, version_id, "1.0.2", changelog="more")
    assert (await app.state.store.versions.get(version_id)).rollout_percent == 50


async def test_a_version_without_a_seed_gets_one_with_its_first_rollout(tenant):
    app, client, headers = tenant
    version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"))
    stored = await app.state.store.versions.get(version_id)
    stored.rollout_percent, stored.rollout_seed = None, None
    await app.state.store.versions.save(stored)
    await edit(client, headers, version_id, "1.0.2", rollout=0)
    stored = await app.state.store.versions.get(version_id)
    assert stored.rollout_percent == 0 and re.fullmatch(r"[0-9a-f]{16}", stored.rollout_seed)


@pytest.mark.parametrize(
    ("rollout", "error"),
    [
        ("101", "rollout must be an integer between 0 and 100"),
        ("-1", "rollout must be an integer between 0 and 100"),
        ("5000000000", "rollout must be an integer between 0 and 100"),
        ('"abc"', "Invalid JSON data"),
        ('"50"', "Invalid JSON data"),
        ("50.5", "Invalid JSON data"),
        ("50.0", "Invalid JSON data"),
        ("1e30", "Invalid JSON data"),
        ("99999999999999999999", "Invalid JSON data"),
        ("true", "Invalid JSON data"),
    ],
)
async def test_bad_rollouts_are_refused_on_every_route(cached, rollout, error):
    _, client, headers = cached
    version_id = await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    fields = '"app_name":"testapp","channel":"nightly","platform":"universalPlatform"'
    data = f'{{{fields},"arch":"universalArch","version":"1.0.2","rollout":{rollout}}}'
    files: Any = {"data": (None, data), "file": ("app.dmg", b"d")}
    assert_error(await client.post("/upload", files=files, headers=headers), 400, error)
    data = f'{{"id":"{version_id}",{fields},"version":"1.0.1","rollout":{rollout}}}'
    for route in ("/apps/update", "/artifact/delete"):
        response = await client.post(route, files={"data": (None, data)}, headers=headers)
        assert_error(response, 400, error)
    items = (await client.get("/search?app_name=testapp", headers=headers)).json()["items"]
    assert [i["Version"] for i in items] == ["1.0.1"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"rollout": 5, "rollout_schedule": [{"percent": 5, "after": "1h"}]},
            "give either rollout or rollout_schedule, not both",
        ),
        (
            {"rollout_schedule": [{"percent": 101, "after": "1h"}]},
            "rollout_schedule step 1: percent must be an integer between 0 and 100",
        ),
        (
            {"rollout_schedule": [{"after": "1h"}]},
            "rollout_schedule step 1: percent must be an integer between 0 and 100",
        ),
        (
            {"rollout_schedule": [{"percent": 5}]},
            "rollout_schedule step 1: give either at (an RFC 3339 time) or after (a duration "
            "such as 24h)",
        ),
        (
            {"rollout_schedule": [{"percent": 5, "after": "1 day"}]},
            "rollout_schedule step 1: after must be a whole number of s, m, h or d",
        ),
        (
            {"rollout_schedule": [{"percent": 5, "at": "2030-01-01T00:00:00"}]},
            "rollout_schedule step 1: at must be an RFC 3339 time with its zone",
        ),
        (
            {"rollout_schedule": [{"percent": 5, "at": "tomorrow"}]},
            "rollout_schedule step 1: at must be an RFC 3339 time with its zone",
        ),
        (
            {"rollout_schedule": [{"percent": 5, "after": "2d"}, {"percent": 9, "after": "1d"}]},
            "rollout_schedule steps must be in time order",
        ),
        (
            {"rollout_schedule": [{"percent": 1, "after": "1h"}] * 101},
            "rollout_schedule has more than 100 steps",
        ),
    ],
)
async def test_bad_schedules_are_refused(tenant, data, error):
    app, client, headers = tenant
    version_id = await publish(client, headers, "1.0.1", ("app.dmg", b"d"), rollout=7)
    assert_error(await edit(client, headers, version_id, "1.0.1", **data), 400, error)
    assert (await app.state.store.versions.get(version_id)).rollout_percent == 7


# --- enforced ------------------------------------------------------------------------------------


async def test_a_device_outside_is_answered_as_if_the_version_did_not_exist(cached):
    app, client, headers = cached
    await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    await publish(client, headers, "1.0.2", ("app.dmg", b"d"))
    seed = await seed_of(
        app, await publish(client, headers, "1.0.3", ("app.dmg", b"d"), rollout=20)
    )
    inside, outside = device(seed, 20, inside=True), device(seed, 20, inside=False)
    rollout = {"percent": 20, "seed": seed}
    for _ in range(3):  # the second and third rounds are cache hits when the cache is on
        offered = (await check_as(client, "1.0.1", inside)).json()
        assert (offered["update_url_dmg"], offered["rollout"]) == (link("1.0.3", ".dmg"), rollout)
        assert (await check_as(client, "1.0.1", None)).json()["rollout"] == rollout
        # Outside: offered the newest version it may have, without a rollout.
        assert (await check_as(client, "1.0.1", outside)).json() == {
            "critical": False,
            "update_available": True,
            "update_url_dmg": link("1.0.2", ".dmg"),
        }
        # Already on the version before it: up to date, never offered a rollback.
        assert (await check_as(client, "1.0.2", outside)).json() == {
            "critical": False,
            "possible_rollback": False,
            "update_available": False,
            "update_url_dmg": link("1.0.2", ".dmg"),
        }
        # A device that has the version keeps it (even if it is outside now).
        on_it = (await check_as(client, "1.0.3", outside)).json()
        assert (on_it["update_available"], on_it["possible_rollback"]) == (False, False)


async def test_the_required_intermediate_build_holds_a_device_outside_below_it(cached):
    app, client, headers = cached
    await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    await publish(client, headers, "1.0.2", ("app.dmg", b"d"))
    step = await publish(client, headers, "1.1.0", ("app.dmg", b"d"), intermediate=True, rollout=30)
    await publish(client, headers, "2.0.0", ("app.dmg", b"d"))
    seed = await seed_of(app, step)
    inside, outside = device(seed, 30, inside=True), device(seed, 30, inside=False)
    for _ in range(2):
        offered = (await check_as(client, "1.0.1", inside)).json()
        assert offered["is_intermediate_required"] is True
        assert offered["update_url_dmg"] == link("1.1.0", ".dmg")
        assert offered["rollout"] == {"percent": 30, "seed": seed}
        held = (await check_as(client, "1.0.1", outside)).json()
        assert held == {
            "critical": False,
            "update_available": True,
            "update_url_dmg": link("1.0.2", ".dmg"),
        }
        assert (await check_as(client, "1.0.2", outside)).json()["update_available"] is False
        # Past the step, the rest of the way is open.
        assert (await check_as(client, "1.1.0", outside)).json()["update_url_dmg"] == link(
            "2.0.0", ".dmg"
        )


async def test_nothing_left_for_a_device_outside_is_no_version_at_all(cached):
    app, client, headers = cached
    seed = await seed_of(
        app, await publish(client, headers, "1.0.3", ("app.dmg", b"d"), rollout=20)
    )
    outside = device(seed, 20, inside=False)
    for _ in range(2):
        assert_error(
            await check_as(client, "1.0.1", outside),
            400,
            "no matching documents found for app_name: testapp",
        )
        assert (await check_as(client, "1.0.1", None)).json()["update_available"] is True


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
async def feeds(settings_factory, request) -> AsyncIterator[Tenant]:
    """An app with one platform per updater, 0.0.1 for all and 0.0.2 at 20% (one seed)."""
    mode = "true" if request.param else "false"
    async with running(settings_factory(PERFORMANCE_MODE=mode)) as (app, client):
        headers = await admin_headers(client)
        await catalog(client, headers, private=False)
        platforms = {
            "macosSquirrel": ("squirrel_darwin", [("app.zip", b"z")]),
            "macosTauri": ("tauri", [("app.zip", b"z")]),
            "macos": ("electron-builder", [("latest-mac.yml", b"y"), ("app.zip", b"z")]),
            "windows": ("squirrel_windows", [("RELEASES", b"r"), ("app-full.nupkg", b"n")]),
            "plain": ("manual", [("app.zip", b"z")]),
        }
        for name, (updater, _) in platforms.items():
            await create(
                client, headers, "platform", name, updaters=[{"type": updater, "default": True}]
            )
        for name, (updater, files) in platforms.items():
            for version, rollout in (("0.0.1", None), ("0.0.2", 20)):
                data = {
                    "app_name": "testapp",
                    "version": version,
                    "channel": "nightly",
                    "platform": name,
                    "arch": "universalArch",
                    "publish": True,
                    "updater": updater,
                    "signature": "c2ln",
                    **({"rollout": rollout} if rollout else {}),
                }
                response = await upload(client, headers, data, *files)
                assert response.status_code == 200, response.text
        yield app, client, headers


async def test_no_updater_offers_the_version_to_a_device_outside(feeds):
    app, client, headers = feeds
    items = (await client.get("/search?app_name=testapp&limit=1", headers=headers)).json()
    seed = await seed_of(app, items["items"][0]["ID"])
    inside, outside = device(seed, 20, inside=True), device(seed, 20, inside=False)

    async def ask(platform: str, who: str) -> httpx.Response:
        return await check_as(client, "0.0.1", who, platform=platform)

    async def releases(who: str) -> httpx.Response:
        path = "/update/admin/testapp/nightly/windows/universalArch/0.0.1/RELEASES"
        return await client.get(path, headers={"X-Device-ID": who})

    for _ in range(2):
        for who in (outside, inside, outside):
            fed = who == inside
            darwin, tauri = await ask("macosSquirrel", who), await ask("macosTauri", who)
            builder, windows = await ask("macos", who), await ask("windows", who)
            plain = await ask("plain", who)
            if fed:
                assert darwin.json()["rollout"] == {"percent": 20, "seed": seed}
                assert list(tauri.json()) == ["rollout", "signature", "url", "version"]
                assert tauri.json()["version"] == "0.0.2"
                assert builder.status_code == 302 and "0.0.2" in builder.headers["location"]
                assert plain.json()["update_available"] is True
            else:
                assert (darwin.status_code, tauri.status_code, builder.status_code) == (
                    204,
                    204,
                    204,
                )
                assert plain.json()["update_available"] is False
                assert "rollout" not in plain.json()
            location = windows.headers["location"]
            assert ("0.0.2" in location) is fed and ("0.0.1" in location) is not fed
            assert ("0.0.2" in (await releases(who)).headers["location"]) is fed


# --- the operator's controls ----------------------------------------------------------------------


async def test_pause_and_resume(tenant):
    app, client, headers = tenant
    await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"), rollout=50)
    seed = await seed_of(app, version_id)
    inside = device(seed, 50, inside=True)
    assert (await check_as(client, "1.0.1", inside)).json()["update_available"] is True
    assert (
        await edit(client, headers, version_id, "1.0.2", rollout_paused=True)
    ).status_code == 200
    # Paused: nobody new gets it; v2.1 clients read percent 0; updated devices stay.
    assert (await check_as(client, "1.0.1", inside)).json()["update_available"] is False
    assert (await check_as(client, "1.0.1", None)).json()["rollout"] == {"percent": 0, "seed": seed}
    on_it = (await check_as(client, "1.0.2", inside)).json()
    assert (on_it["update_available"], on_it["possible_rollback"]) == (False, False)
    await edit(client, headers, version_id, "1.0.2", rollout_paused=False)
    assert (await check_as(client, "1.0.1", inside)).json()["rollout"]["percent"] == 50


async def test_a_schedule_sets_the_percent_in_force(tenant, level):
    app, client, headers = tenant
    await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"))
    schedule = [
        {"percent": 5, "at": "2020-01-01T00:00:00Z"},
        {"percent": 25, "after": "1d"},
        {"percent": 100, "after": "3d"},
    ]
    response = await edit(client, headers, version_id, "1.0.2", rollout_schedule=schedule)
    assert response.status_code == 200, response.text
    stored = await app.state.store.versions.get(version_id)
    assert stored.rollout_percent == 5  # what v2.1 reads: the percent in force at the edit
    assert [s.percent for s in stored.rollout_plan.schedule] == [5, 25, 100]
    assert (await check_as(client, "1.0.1", None)).json()["rollout"]["percent"] == 5
    if level == "2.1":
        item = (await client.get("/search?app_name=testapp", headers=headers)).json()["items"][0]
        assert item["RolloutPercent"] == 5
    # A fixed percent replaces the schedule.
    await edit(client, headers, version_id, "1.0.2", rollout=40)
    stored = await app.state.store.versions.get(version_id)
    assert (stored.rollout_percent, stored.rollout_plan) == (40, None)


async def test_a_critical_version_may_skip_the_rollout(tenant):
    app, client, headers = tenant
    await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
    version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"), rollout=10)
    outside = device(await seed_of(app, version_id), 10, inside=False)
    await edit(client, headers, version_id, "1.0.2", critical=True)
    # Critical alone follows the rollout.
    assert (await check_as(client, "1.0.1", outside)).json()["update_available"] is False
    await edit(client, headers, version_id, "1.0.2", critical=True, rollout_skip_critical=True)
    offered = (await check_as(client, "1.0.1", outside)).json()
    assert (offered["update_available"], offered["critical"]) == (True, True)
    assert "rollout" not in offered


async def test_enforcement_can_be_turned_off(settings_factory):
    settings = settings_factory(FAYNOSYNC_ROLLOUT_ENFORCE="false", PERFORMANCE_MODE="true")
    async for app, client, headers in _tenant(settings):
        await publish(client, headers, "1.0.1", ("app.dmg", b"d"))
        version_id = await publish(client, headers, "1.0.2", ("app.dmg", b"d"), rollout=10)
        seed = await seed_of(app, version_id)
        for _ in range(2):
            offered = (await check_as(client, "1.0.1", device(seed, 10, inside=False))).json()
            assert offered["rollout"] == {"percent": 10, "seed": seed}


# --- telemetry ------------------------------------------------------------------------------------


async def test_telemetry_shows_the_percent_in_force_beside_adoption(settings_factory, level):
    """A report of one app gives each used version's percent in force when it is below 100%;
    over several apps a version number may name several versions, so none is given."""
    settings = settings_factory(
        ENABLE_TELEMETRY="true", FAYNOSYNC_API_LEVEL=level, FAYNOSYNC_TELEMETRY_FLUSH=3600
    )
    async for app, client, headers in _tenant(settings):
        await publish(client, headers, "1.0.1", ("app.dmg", b"a"))
        staged = await publish(client, headers, "1.0.2", ("app.dmg", b"b"), rollout=20)
        seed = await seed_of(app, staged)
        inside = device(seed, 20, inside=True)
        for who, running_version in ((inside, "1.0.2"), ("plain-device", "1.0.1")):
            assert (await check_as(client, running_version, who)).status_code == 200
        for params in ({"apps": "testapp"}, {}):
            response = await client.get("/telemetry", params=params, headers=headers)
            assert response.status_code == 200, response.text
            assert response.json()["versions"]["usage"] == [
                {"version": "1.0.1", "client_count": 1},
                {"version": "1.0.2", "client_count": 1, "rollout_percent": 20},
            ]
        paused = await edit(client, headers, staged, "1.0.2", rollout_paused=True)
        assert paused.status_code == 200, paused.text
        response = await client.get("/telemetry", params={"apps": "testapp"}, headers=headers)
        assert response.json()["versions"]["usage"][1]["rollout_percent"] == 0
        await create_app(client, headers, "second")
        response = await client.get(
            "/telemetry", params={"apps": "testapp,second"}, headers=headers
        )
        assert response.json()["versions"]["usage"] == [
            {"version": "1.0.1", "client_count": 1},
            {"version": "1.0.2", "client_count": 1},
        ]
