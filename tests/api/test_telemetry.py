"""Telemetry: what update checks record, and GET /telemetry with every filter and range."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from faynosync.core import gojson
from faynosync.core.gojson import GoStruct
from faynosync.store.models import DeviceDay, TelemetryBatch
from faynosync.telemetry.collector import LONGEST, TelemetryCollector
from tests.support.api import (
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    create,
    create_app,
    login,
    running,
    upload,
)
from tests.support.factories import add_team_user

COMBOS = [
    (channel, platform, arch)
    for channel in ("nightly", "stable")
    for platform in ("universalPlatform", "secondPlatform")
    for arch in ("universalArch", "secondArch")
]
# Like the integration tests' five devices (spec 8.2): only 001 is nightly, universalPlatform
# and secondArch at once. The latest is 0.0.3.138 on nightly, 0.0.2.138 on stable (one version
# document per version, whatever the channel).
LATEST = {"nightly": "0.0.3.138", "stable": "0.0.2.138"}
DEVICES = [
    ("001", "0.0.1.138", "nightly", "universalPlatform", "secondArch"),
    ("002", "0.0.3.138", "nightly", "universalPlatform", "universalArch"),
    ("003", "0.0.2.138", "stable", "universalPlatform", "secondArch"),
    ("004", "0.0.1.138", "nightly", "secondPlatform", "secondArch"),
    ("005", "0.0.2.138", "stable", "secondPlatform", "universalArch"),
]


def today() -> date:
    return datetime.now(UTC).date()


def week() -> list[str]:
    return [(today() - timedelta(days=7 - i)).isoformat() for i in range(8)]


async def tenant(client, headers, app_name="testapp", *, catalog=True):
    await create_app(client, headers, app_name)
    names = {
        "channel": ("nightly", "stable"),
        "platform": ("universalPlatform", "secondPlatform"),
        "arch": ("universalArch", "secondArch"),
    }
    for kind, wanted in names.items() if catalog else ():
        for name in wanted:
            await create(client, headers, kind, name)
    for channel, platform, arch in COMBOS:
        data = {
            "app_name": app_name,
            "version": LATEST[channel],
            "channel": channel,
            "platform": platform,
            "arch": arch,
            "publish": True,
        }
        response = await upload(client, headers, data, ("app.dmg", b"d"))
        assert response.status_code == 200, response.text


async def check(client, device, version, channel, platform, arch, app="testapp", owner="admin"):
    params = {
        "app_name": app,
        "version": version,
        "channel": channel,
        "platform": platform,
        "arch": arch,
        "owner": owner,
    }
    headers = {"X-Device-ID": device} if device else {}
    response = await client.get("/checkVersion", params=params, headers=headers)
    return response


@pytest.fixture
async def telemetry(settings_factory):
    settings = settings_factory(ENABLE_TELEMETRY="true", FAYNOSYNC_TELEMETRY_FLUSH=3600)
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await tenant(client, headers)
        yield app, client, headers


async def report(client, headers, **params):
    response = await client.get("/telemetry", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


def zeros(day: str) -> GoStruct:
    return GoStruct(
        date=day,
        total_requests=0,
        unique_clients=0,
        clients_using_latest_version=0,
        clients_outdated=0,
    )


def daily(stats_today: tuple[int, int, int, int]) -> list[GoStruct]:
    days = [zeros(d) for d in week()]
    days[-1] = GoStruct(
        date=week()[-1],
        total_requests=stats_today[0],
        unique_clients=stats_today[1],
        clients_using_latest_version=stats_today[2],
        clients_outdated=stats_today[3],
    )
    return days


async def test_a_fixture_like_the_integration_tests(telemetry):
    _, client, headers = telemetry
    for device in DEVICES:
        assert (await check(client, *device)).status_code == 200
    response = await report(
        client,
        headers,
        range="week",
        apps="testapp",
        channels="nightly",
        platforms="universalPlatform",
        architectures="secondArch",
    )
    expected = GoStruct(
        date=week()[0],
        date_range=week(),
        admin="admin",
        summary=GoStruct(
            total_requests=5,
            unique_clients=1,
            clients_using_latest_version=0,
            clients_outdated=1,
            total_active_apps=1,
        ),
        versions=GoStruct(
            used_versions_count=1,
            known_versions=["0.0.1.138", "0.0.2.138", "0.0.3.138"],
            usage=[GoStruct(version="0.0.1.138", client_count=1)],
        ),
        platforms=[GoStruct(platform="universalPlatform", client_count=1)],
        architectures=[GoStruct(arch="secondArch", client_count=1)],
        channels=[GoStruct(channel="nightly", client_count=1)],
        daily_stats=daily((5, 1, 0, 1)),
    )
    assert_body(response, 200, gojson.dumps(expected))


async def test_without_filters_and_apps(telemetry):
    _, client, headers = telemetry
    for device in DEVICES:
        await check(client, *device)
    body = (await report(client, headers)).json()
    assert body["date_range"] == [today().isoformat()]
    assert body["summary"] == {
        "total_requests": 5,
        "unique_clients": 5,
        "clients_using_latest_version": 3,
        "clients_outdated": 2,
        "total_active_apps": 1,
    }
    assert body["versions"]["usage"] == [
        {"version": "0.0.1.138", "client_count": 2},
        {"version": "0.0.2.138", "client_count": 2},
        {"version": "0.0.3.138", "client_count": 1},
    ]
    assert body["platforms"] == [
        {"platform": "secondPlatform", "client_count": 2},
        {"platform": "universalPlatform", "client_count": 3},
    ]
    assert body["channels"] == [
        {"channel": "nightly", "client_count": 3},
        {"channel": "stable", "client_count": 2},
    ]
    assert body["daily_stats"] == [
        {
            "date": today().isoformat(),
            "total_requests": 5,
            "unique_clients": 5,
            "clients_using_latest_version": 3,
            "clients_outdated": 2,
        }
    ]


@pytest.mark.parametrize(
    ("params", "unique"),
    [
        ({"channels": "stable"}, 2),
        ({"platforms": "secondPlatform"}, 2),
        ({"architectures": "secondArch"}, 3),
        ({"channels": "nightly,stable", "architectures": "universalArch"}, 2),
        ({"channels": ",,nightly,"}, 3),
        ({"platforms": "nowhere"}, 0),
    ],
)
async def test_each_filter(telemetry, params, unique):
    _, client, headers = telemetry
    for device in DEVICES:
        await check(client, *device)
    body = (await report(client, headers, **params)).json()
    assert body["summary"]["unique_clients"] == unique
    assert body["summary"]["total_requests"] == 5  # requests are never filtered


async def test_repeated_devices_count_once_with_their_last_state(telemetry):
    _, client, headers = telemetry
    await check(client, "001", "0.0.1.138", "nightly", "universalPlatform", "universalArch")
    await check(client, "001", "0.0.3.138", "stable", "secondPlatform", "universalArch")
    body = (await report(client, headers)).json()
    assert body["summary"] == {
        "total_requests": 2,
        "unique_clients": 1,
        "clients_using_latest_version": 1,
        "clients_outdated": 0,
        "total_active_apps": 1,
    }
    assert body["versions"]["usage"] == [{"version": "0.0.3.138", "client_count": 1}]
    assert body["versions"]["known_versions"] == ["0.0.1.138", "0.0.3.138"]
    # A device stays in every channel and platform it asked from that day.
    assert [c["channel"] for c in body["channels"]] == ["nightly", "stable"]


async def test_unknown_platforms_are_recorded_empty_and_errors_not_at_all(telemetry):
    _, client, headers = telemetry
    response = await check(client, "001", "0.0.1", "nightly", "linux", "arm64")
    assert response.status_code == 400  # no version without platform: not recorded
    await check(client, "002", "bad", "nightly", "universalPlatform", "universalArch")
    await check(client, "", "0.0.1", "nightly", "universalPlatform", "universalArch")
    body = (await report(client, headers)).json()
    assert body["summary"]["total_requests"] == 0
    assert body["daily_stats"] == []


async def test_cache_hits_are_counted(settings_factory):
    settings = settings_factory(ENABLE_TELEMETRY="1", PERFORMANCE_MODE="1")
    async with running(settings) as (_, client):
        headers = await admin_headers(client)
        await tenant(client, headers)
        for device in ("a", "b", "a"):
            await check(client, device, "0.0.1", "nightly", "universalPlatform", "universalArch")
        body = (await report(client, headers)).json()
    assert body["summary"]["total_requests"] == 3
    assert body["summary"]["unique_clients"] == 2


async def test_several_apps_and_the_last_apps_counts(telemetry):
    _, client, headers = telemetry
    await tenant(client, headers, "second", catalog=False)
    await check(client, "001", "0.0.1", "nightly", "universalPlatform", "universalArch")
    await check(
        client, "002", "0.0.3.138", "nightly", "universalPlatform", "universalArch", app="second"
    )
    both = (await report(client, headers)).json()
    assert both["summary"]["total_active_apps"] == 2
    assert both["versions"]["used_versions_count"] == 2
    listed = (await report(client, headers, apps="testapp,second,idle")).json()
    # Summed per app, but these two are the last app's (an idle one): the original's quirk.
    assert listed["summary"]["unique_clients"] == 2
    assert listed["summary"]["total_active_apps"] == 0
    assert listed["versions"]["used_versions_count"] == 0
    assert listed["versions"]["known_versions"] == ["0.0.1", "0.0.3.138"]


async def test_dates_and_ranges(telemetry):
    _, client, headers = telemetry
    await check(client, "001", "0.0.1", "nightly", "universalPlatform", "universalArch")
    month = (await report(client, headers, range="month", date="2020-01-01")).json()
    assert len(month["date_range"]) == 31
    assert month["date"] == (today() - timedelta(days=30)).isoformat()
    assert month["summary"]["total_requests"] == 1
    old = (await report(client, headers, date="2020-01-01")).json()
    assert old["date_range"] == ["2020-01-01"] and old["summary"]["total_requests"] == 0
    response = await client.get("/telemetry", params={"range": "year"}, headers=headers)
    assert_error(response, 400, "Invalid range parameter. Use 'week' or 'month'")


async def test_team_users_see_their_admins_data_and_other_admins_nothing(telemetry):
    app, client, _ = telemetry
    await check(client, "001", "0.0.1", "nightly", "universalPlatform", "universalArch")
    await add_team_user(app, "viewer", "pw")
    team = bearer(await login(client, "viewer", "pw"))
    body = (await report(client, team)).json()
    assert (body["admin"], body["summary"]["total_requests"]) == ("admin", 1)
    other = await admin_headers(client, "other")
    body = (await report(client, other, apps="testapp")).json()
    assert (body["admin"], body["summary"]["total_requests"]) == ("other", 0)


async def test_retention(telemetry):
    app, client, headers = telemetry
    old = (today() - timedelta(days=40)).isoformat()
    kept = (today() - timedelta(days=30)).isoformat()
    batch = TelemetryBatch(today=old)
    for day in (old, kept):
        batch.requests[("admin", "testapp", day)] = 7
        batch.devices[("admin", "testapp", day, "x")] = DeviceDay(
            "admin", "testapp", day, "x", "0.0.1", True, {"nightly"}
        )
    batch.versions[("admin", "testapp")] = {"0.0.1"}
    await app.state.store.telemetry.merge(batch)
    await check(client, "001", "0.0.3.138", "nightly", "universalPlatform", "universalArch")
    body = (await report(client, headers, range="month")).json()  # flushes, and so purges
    assert body["summary"]["total_requests"] == 8
    store = app.state.store.telemetry
    assert await store.requests("admin", [old]) == {}
    assert await store.requests("admin", [kept]) == {("testapp", kept): 7}


async def test_disabled_and_unauthenticated(client):
    assert_error(await client.get("/telemetry"), 401, "missing authorization header")
    headers = await admin_headers(client)
    assert_error(
        await client.get("/telemetry", headers=headers),
        403,
        "Telemetry is not enabled on this instance",
    )


async def test_a_report_of_nothing(telemetry):
    _, client, headers = telemetry
    response = await report(client, headers, date="2024-03-13")
    assert_body(
        response,
        200,
        '{"date":"2024-03-13","date_range":["2024-03-13"],"admin":"admin","summary":'
        '{"total_requests":0,"unique_clients":0,"clients_using_latest_version":0,'
        '"clients_outdated":0,"total_active_apps":0},"versions":{"used_versions_count":0,'
        '"known_versions":null,"usage":null},"platforms":null,"architectures":null,'
        '"channels":null,"daily_stats":[]}',
    )


def hashed(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


async def test_over_long_device_ids_and_versions_are_stored_hashed(telemetry):
    app, client, headers = telemetry
    device = "d" * 5000
    version = "0.0.1" + ".0" * 70  # 145 characters, a valid version below the latest
    exact = "x" * LONGEST
    for _ in range(2):
        response = await check(
            client, device, version, "nightly", "universalPlatform", "secondArch"
        )
        assert response.json()["update_available"] is True
    await check(client, exact, "0.0.1", "nightly", "universalPlatform", "secondArch")
    body = (await report(client, headers)).json()
    assert (body["summary"]["total_requests"], body["summary"]["unique_clients"]) == (3, 2)
    assert body["versions"]["known_versions"] == ["0.0.1", hashed(version)]
    days = await app.state.store.telemetry.devices("admin", ["testapp"], [today().isoformat()])
    assert sorted((d.device, d.version) for d in days) == [
        (hashed(device), hashed(version)),
        (exact, "0.0.1"),
    ]


async def test_devices_past_the_daily_bound_count_as_requests_only(settings_factory, caplog):
    settings = settings_factory(
        ENABLE_TELEMETRY="true",
        FAYNOSYNC_TELEMETRY_FLUSH=3600,
        FAYNOSYNC_TELEMETRY_MAX_DEVICES=3,
    )
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await tenant(client, headers)
        await tenant(client, headers, "second", catalog=False)
        for device in ("a", "b", "c"):
            await check(client, device, "0.0.1", "nightly", "universalPlatform", "universalArch")
        await report(client, headers)  # a flush: the three are stored and remembered
        for device in ("d", "a", "e", "d"):
            await check(client, device, "0.0.3.138", "stable", "secondPlatform", "secondArch")
        # The bound is per app.
        await check(client, "d", "0.0.1", "nightly", "universalPlatform", "universalArch", "second")
        body = (await report(client, headers, apps="testapp")).json()
        assert app.state.telemetry._stored.keys() == {
            ("admin", app_name, today().isoformat(), device)
            for app_name, device in [("testapp", "a"), ("testapp", "b"), ("testapp", "c")]
        } | {("admin", "second", today().isoformat(), "d")}
    assert body["summary"]["total_requests"] == 7
    assert body["summary"]["unique_clients"] == 3
    # A device already counted keeps being recorded: "a" moved to stable and 0.0.3.138.
    assert body["channels"] == [
        {"channel": "nightly", "client_count": 3},
        {"channel": "stable", "client_count": 1},
    ]
    assert body["versions"]["usage"] == [
        {"version": "0.0.1", "client_count": 2},
        {"version": "0.0.3.138", "client_count": 1},
    ]
    warnings = [r.getMessage() for r in caplog.records if "distinct devices" in r.getMessage()]
    assert warnings == [
        f"telemetry: app 'testapp' of 'admin' reached 3 distinct devices on {today()}; more are"
        " not recorded until the next UTC day (their checks still count as requests)"
    ]


async def test_versions_past_the_daily_bound_are_not_recorded_as_known(app_and_client):
    app, _ = app_and_client
    collector = TelemetryCollector(app.state.store, interval=3600, max_versions=2)
    for device, version in (("a", "1"), ("b", "2"), ("c", "3"), ("a", "2"), ("d", "1")):
        collector.record(
            owner="admin",
            app="testapp",
            version=version,
            channel="",
            platform="",
            arch="",
            device=device,
            has_update=False,
        )
    await collector.flush()
    store = app.state.store.telemetry
    assert await store.known_versions("admin", ["testapp"]) == {"testapp": {"1", "2"}}
    assert await store.requests("admin", [today().isoformat()]) == {
        ("testapp", today().isoformat()): 5
    }
    days = await store.devices("admin", ["testapp"], [today().isoformat()])
    assert sorted((d.device, d.version) for d in days) == [
        ("a", "2"),
        ("b", "2"),
        ("c", "3"),
        ("d", "1"),
    ]


async def test_an_api_token_reads_the_telemetry_of_its_apps_only(telemetry):
    """Deviation 39: FaynoSync v2.1 shows a token the whole tenant's telemetry."""
    _, client, headers = telemetry
    await tenant(client, headers, "otherapp", catalog=False)
    await check(client, "d1", "0.0.1.137", "nightly", "universalPlatform", "universalArch")
    for device in ("d2", "d3"):
        await check(
            client,
            device,
            "0.0.1.137",
            "nightly",
            "universalPlatform",
            "universalArch",
            app="otherapp",
        )
    apps = (await client.get("/app/list", headers=headers)).json()["apps"]
    other_id = next(a["ID"] for a in apps if a["AppName"] == "otherapp")
    made = await client.post(
        "/token/create", json={"name": "ci", "allowed_apps": [other_id]}, headers=headers
    )
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    assert (await report(client, headers)).json()["summary"]["unique_clients"] == 3
    assert (await report(client, token)).json()["summary"]["unique_clients"] == 2
    assert (await report(client, token, apps="testapp")).json()["summary"]["total_requests"] == 0


def _period_batch() -> TelemetryBatch:
    """Device A on testapp two days ago (outdated, 0.0.1.138) and today (on the latest,
    0.0.3.138), device B on testapp today, device A on otherapp today."""
    earlier = (today() - timedelta(days=2)).isoformat()
    now = today().isoformat()
    batch = TelemetryBatch(today=now)
    dims = ({"nightly"}, {"universalPlatform"}, {"universalArch"})
    for app, day, device, version, outdated in (
        ("testapp", earlier, "A", "0.0.1.138", True),
        ("testapp", now, "A", "0.0.3.138", False),
        ("testapp", now, "B", "0.0.3.138", False),
        ("otherapp", now, "A", "0.0.3.138", False),
    ):
        key = ("admin", app, day)
        batch.requests[key] = batch.requests.get(key, 0) + 1
        batch.devices[(*key, device)] = DeviceDay(
            "admin", app, day, device, version, outdated, *(set(d) for d in dims)
        )
        batch.versions.setdefault(("admin", app), set()).add(version)
    return batch


def _period_summary(body) -> tuple:
    usage = {u["version"]: u["client_count"] for u in body["versions"]["usage"]}
    days = {d["date"]: d["unique_clients"] for d in body["daily_stats"] if d["unique_clients"]}
    return (
        tuple(body["summary"].values()),
        usage,
        body["platforms"][0]["client_count"],
        body["architectures"][0]["client_count"],
        body["channels"][0]["client_count"],
        body["versions"]["used_versions_count"],
        sorted(days.values()),
    )


@pytest.mark.parametrize(
    ("level", "apps", "expected"),
    [
        # 1.4.6: sums of the daily sizes, per app.
        ("1.4.6", "", ((4, 4, 3, 1, 2), {"0.0.1.138": 1, "0.0.3.138": 3}, 4, 4, 4, 2, [1, 3])),
        (
            "1.4.6",
            "testapp,otherapp",
            ((4, 4, 3, 1, 1), {"0.0.1.138": 1, "0.0.3.138": 3}, 4, 4, 4, 1, [1, 3]),
        ),
        # 2.1, all apps: one device once over the period and across apps.
        ("2.1", "", ((4, 2, 2, 1, 2), {"0.0.1.138": 1, "0.0.3.138": 2}, 2, 2, 2, 2, [1, 2])),
        # 2.1 with apps: once over the period within each app, the apps' numbers added.
        (
            "2.1",
            "testapp,otherapp",
            ((4, 3, 3, 1, 1), {"0.0.1.138": 1, "0.0.3.138": 3}, 3, 3, 3, 1, [1, 3]),
        ),
        ("2.1", "testapp", ((3, 2, 2, 1, 1), {"0.0.1.138": 1, "0.0.3.138": 2}, 2, 2, 2, 2, [1, 2])),
    ],
)
async def test_a_period_counts_a_device_once_at_level_2_1(settings_factory, level, apps, expected):
    settings = settings_factory(ENABLE_TELEMETRY="true", FAYNOSYNC_API_LEVEL=level)
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await app.state.store.telemetry.merge(_period_batch())
        params = {"range": "week", **({"apps": apps} if apps else {})}
        body = (await report(client, headers, **params)).json()
        assert _period_summary(body) == expected
        # One day: the same at both levels (a day's counts are its sets' sizes).
        one_day = (await report(client, headers, apps="testapp")).json()
        assert one_day["summary"]["unique_clients"] == 2


async def test_a_period_at_level_2_1_with_filters(settings_factory):
    settings = settings_factory(ENABLE_TELEMETRY="true", FAYNOSYNC_API_LEVEL="2.1")
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await app.state.store.telemetry.merge(_period_batch())
        body = (await report(client, headers, range="month", channels="nightly")).json()
        assert body["summary"]["unique_clients"] == 2
        body = (await report(client, headers, range="month", channels="stable")).json()
        assert body["summary"]["unique_clients"] == 0
        assert body["summary"]["total_requests"] == 4  # never filtered


@pytest.mark.parametrize(("level", "recorded"), [("1.4.6", "0-0-1-138"), ("2.1", "0.0.1.138")])
async def test_update_checks_record_as_v2_1_does(settings_factory, level, recorded):
    """Delta §6.3: cache hits recorded with the answer they carry (both levels, deviation 25);
    at 2.1 the version dash-normalised."""
    settings = settings_factory(
        ENABLE_TELEMETRY="true", PERFORMANCE_MODE="true", FAYNOSYNC_API_LEVEL=level
    )
    async with running(settings) as (_, client):
        headers = await admin_headers(client)
        await tenant(client, headers)
        for device, version in (("a", "0-0-1-138"), ("b", "0.0.3.138")):
            for _ in range(2):  # a miss, then a hit
                response = await check(
                    client, device, version, "nightly", "universalPlatform", "universalArch"
                )
                assert response.status_code == 200, response.text
        body = (await report(client, headers)).json()
    assert body["summary"] == {
        "total_requests": 4,
        "unique_clients": 2,
        "clients_using_latest_version": 1,
        "clients_outdated": 1,
        "total_active_apps": 1,
    }
    assert body["versions"]["known_versions"] == sorted([recorded, "0.0.3.138"])
