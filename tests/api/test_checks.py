"""GET /checkVersion, the RELEASES route and GET /apps/latest: the spec's scenarios, golden."""

from __future__ import annotations

import pytest

from faynosync.core import gojson
from tests.support.api import (
    admin_headers,
    assert_body,
    assert_error,
    create,
    create_app,
    upload,
)
from tests.support.checks import (
    INTERMEDIATE_ANSWERS,
    INTERMEDIATES,
    SECOND,
    check,
    latest,
    link,
    publish,
    second,
    set_up_tenant,
    urls,
)


@pytest.fixture
async def tenant(client):
    return await set_up_tenant(client)


# --- spec 6.1 examples ------------------------------------------------------------------------


async def test_a_newer_client_is_told_it_may_roll_back(client, tenant):
    response = await check(client, "0.0.3.137")
    assert_body(
        response,
        200,
        gojson.dumps(
            {
                "changelog": "### Changelog\n",
                "critical": True,
                "possible_rollback": True,
                "update_available": False,
                **urls("0.0.2.137"),
            }
        ),
    )
    assert response.text.startswith('{"changelog":"### Changelog\\n","critical":true,"possible')


async def test_an_up_to_date_client(client, tenant):
    response = await check(client, "0.0.2.137")
    assert_body(
        response,
        200,
        gojson.dumps(
            {
                "critical": False,
                "possible_rollback": False,
                "update_available": False,
                **urls("0.0.2.137"),
            }
        ),
    )


async def test_an_older_client_gets_the_update(client, tenant):
    response = await check(client, "0.0.1.137")
    assert_body(
        response,
        200,
        gojson.dumps(
            {
                "changelog": "### Changelog\n",
                "critical": True,
                "update_available": True,
                **urls("0.0.2.137"),
            }
        ),
    )


async def test_a_dashed_client_version_is_a_prerelease(client, tenant):
    """0.0.2-137 < 0.0.2 < 0.0.2.137 in go-version: told to update (Q12)."""
    body = (await check(client, "0.0.2-137")).json()
    assert body["update_available"] is True


async def test_unpublished_versions_are_not_offered(client, tenant):
    await publish(client, tenant, "0.0.3.137", ("app.dmg", b"d"), publish=False)
    body = (await check(client, "0.0.2.137")).json()
    assert body["update_available"] is False


async def test_without_a_channel_every_channel_counts(client, tenant):
    await create(client, tenant, "channel", "beta")
    await publish(client, tenant, "0.0.9", ("app.dmg", b"d"), channel="beta")
    assert_error(
        await check(client, "0.0.1", channel=""),
        400,
        "you have a created channels, setting channel is required",
    )
    body = (await check(client, "0.0.1", channel="beta")).json()
    assert body["update_url_dmg"].endswith("testapp-0.0.9.dmg")


# --- intermediate builds ----------------------------------------------------------------------


@pytest.fixture
async def intermediates(client, tenant):
    await create(client, tenant, "platform", "secondPlatform")
    await create(client, tenant, "arch", "secondArch")
    for version, flags in INTERMEDIATES:
        await publish(client, tenant, version, ("app.dmg", b"d"), **SECOND, **flags)
    return SECOND


@pytest.mark.parametrize(("client_version", "expected"), INTERMEDIATE_ANSWERS)
async def test_required_intermediate_builds(client, intermediates, client_version, expected):
    response = await check(client, client_version, **intermediates)
    assert_body(response, 200, gojson.dumps(expected))


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"app_name": "bad_name"}, "invalid app_name parameter"),
        ({"app_name": None}, "invalid app_name parameter"),
        ({"version": "1.0a"}, "invalid version parameter"),
        ({"version": None}, "invalid version parameter"),
        ({"channel": "night-ly"}, "invalid channel parameter"),
        ({"platform": "a b"}, "invalid platform parameter"),
        ({"arch": "x86_64"}, "invalid arch parameter"),
        ({"channel": "stable"}, "wrong name of channel. Channel does not exist"),
        ({"app_name": "other"}, "app_name not found in apps_meta collection"),
        # Without an owner there is no tenant, so no channel of that name.
        ({"owner": None}, "wrong name of channel. Channel does not exist"),
        ({"version": "1..2"}, "Malformed version: 1..2"),
        (
            {"version": "1.99999999999999999999"},
            'Error parsing version: strconv.ParseInt: parsing "99999999999999999999": '
            "value out of range",
        ),
        ({"platform": "linux"}, "no matching documents found for app_name: testapp"),
        ({"arch": ""}, "no matching documents found for app_name: testapp"),
    ],
)
async def test_refusals(client, tenant, params, error):
    assert_error(await check(client, **{"version": "0.0.1.137", **params}), 400, error)


async def test_an_unorderable_stored_version(client, tenant):
    await publish(client, tenant, "1..2", ("app.dmg", b"d"))
    response = await check(client, "0.0.1")
    assert_error(
        response,
        400,
        "(ConversionFailure) Failed to parse number '' in $convert with no onError value: "
        "No digits",
    )


async def test_an_unparseable_intermediate_is_a_500_with_a_body(client, tenant):
    """Orderable (four parts convert) but not a go-version: the original panics (Q14)."""
    await publish(client, tenant, "0.0.1.5.", ("app.zip", b"z"), intermediate=True)
    response = await check(client, "0.0.1")
    assert_error(response, 500, "Malformed version: 0.0.1.5.")
    # An up-to-date client too (and a newer one): the original reads every intermediate.
    for version in ("0.0.2.137", "0.0.3"):
        assert_error(await check(client, version), 500, "Malformed version: 0.0.1.5.")


async def test_tenants_are_separate(client, tenant):
    other = await admin_headers(client, "other")
    await create_app(client, other, "testapp")
    response = await check(client, "0.0.1", owner="other", channel="", platform="", arch="")
    assert_error(response, 400, "no matching documents found for app_name: testapp")
    # The other tenant has no channel named nightly (the original looked across tenants).
    assert_error(
        await check(client, "0.0.1", owner="other"),
        400,
        "wrong name of channel. Channel does not exist",
    )


async def test_renaming_a_platform_hides_its_old_links(client, tenant):
    """Links are filtered by the platform's name (Q11); renames do not touch stored links."""
    platforms = (await client.get("/platform/list", headers=tenant)).json()["platforms"]
    body = {
        "id": platforms[0]["ID"],
        "platform": "renamed",
        "updaters": [{"type": "manual", "default": True}],
    }
    assert (await client.post("/platform/update", json=body, headers=tenant)).status_code == 200
    response = await check(client, "0.0.1.137", platform="renamed")
    assert_body(
        response, 200, '{"changelog":"### Changelog\\n","critical":true,"update_available":true}'
    )


# --- updaters ---------------------------------------------------------------------------------


@pytest.fixture
async def feeds(client):
    """The integration tests' public app "updaters", with one platform per updater."""
    headers = await admin_headers(client)
    await create_app(client, headers, "updaters")
    await create(client, headers, "channel", "nightly")
    await create(client, headers, "arch", "universalArch")
    platforms = {
        "macosSquirrel": "squirrel_darwin",
        "macosTauri": "tauri",
        "macos": "electron-builder",
        "windows": "squirrel_windows",
        "sparklePlatform": "sparkle",
    }
    for name, updater in platforms.items():
        updaters = [{"type": "manual", "default": False}, {"type": updater, "default": True}]
        await create(client, headers, "platform", name, updaters=updaters)
    files = {
        "macosSquirrel": [("app.zip", b"z"), ("app.dmg", b"d")],
        "macosTauri": [("app.zip", b"z")],
        "macos": [("latest-mac.yml", b"y"), ("app.zip", b"z"), ("latest.yaml", b"y")],
        "windows": [("RELEASES", b"r"), ("app-full.nupkg", b"n")],
        "sparklePlatform": [("appcast.xml", b"x")],
    }
    for name, updater in platforms.items():
        for version in ("0.0.1.137", "0.0.2.137"):
            data = {
                "app_name": "updaters",
                "version": version,
                "channel": "nightly",
                "platform": name,
                "arch": "universalArch",
                "publish": True,
                "updater": updater,
                "signature": "dW50cnVzdGVk",
            }
            response = await upload(client, headers, data, *files[name])
            assert response.status_code == 200, response.text
    return headers


async def feed(client, platform: str, version: str, **params):
    query = {
        "app_name": "updaters",
        "version": version,
        "channel": "nightly",
        "platform": platform,
        "arch": "universalArch",
        "owner": "admin",
        **params,
    }
    return await client.get("/checkVersion", params=query)


def public(app, key: str) -> str:
    return app.state.storage.public_link(key)


DEFAULT = "updaters-admin/nightly/{}/universalArch/updaters-0.0.2.137{}"
NESTED = "{}/updaters-admin/0.0.2.137/nightly/{}/universalArch/{}"


async def test_squirrel_darwin(app, client, feeds):
    response = await feed(client, "macosSquirrel", "0.0.2.137")
    assert (response.status_code, response.content) == (204, b"")
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    response = await feed(client, "macosSquirrel", "0.0.1.137")
    url = public(app, DEFAULT.format("macosSquirrel", ".zip"))
    assert_body(
        response,
        200,
        gojson.dumps(
            {"critical": False, "signature": "dW50cnVzdGVk", "update_available": True, "url": url}
        ),
    )


async def test_tauri(app, client, feeds):
    assert (await feed(client, "macosTauri", "0.0.2.137")).status_code == 204
    response = await feed(client, "macosTauri", "0.0.1.137")
    url = public(app, DEFAULT.format("macosTauri", ".zip"))
    assert_body(
        response,
        200,
        f'{{"signature":"dW50cnVzdGVk","url":"{url}","version":"0.0.2.137"}}',
    )
    response = await feed(client, "macosTauri", "0.0.3")  # a rollback answer still names it
    assert response.json()["version"] == "0.0.2.137"


async def test_electron_builder(app, client, feeds):
    assert (await feed(client, "macos", "0.0.2.137")).status_code == 204
    response = await feed(client, "macos", "0.0.1.137")
    location = public(app, NESTED.format("electron-builder", "macos", "latest-mac.yml"))
    assert response.status_code == 302
    assert response.headers["location"] == location
    assert response.text == f'<a href="{location}">Found</a>.\n\n'


async def test_squirrel_windows_always_redirects(app, client, feeds):
    releases = public(app, NESTED.format("squirrel_windows", "windows", "RELEASES"))
    for version in ("0.0.2.137", "0.0.1.137", "9.9"):
        response = await feed(client, "windows", version)
        assert (response.status_code, response.headers["location"]) == (302, releases)
    response = await client.get(
        "/update/admin/updaters/nightly/windows/universalArch/0.0.1.137/RELEASES",
        params={"id": "App", "localVersion": "0.0.1.137", "arch": "amd64"},
    )
    assert (response.status_code, response.headers["location"]) == (302, releases)


async def test_sparkle_is_a_stub(client, feeds):
    response = await feed(client, "sparklePlatform", "0.0.1.137")
    assert_body(response, 200, '{"status":"test_stub","updater":"sparkle"}')


async def test_the_updater_parameter(app, client, feeds):
    response = await feed(client, "macosSquirrel", "0.0.1.137", updater="manual")
    assert response.json()["update_url_zip"].endswith(".zip")
    response = await feed(client, "macosSquirrel", "0.0.1.137", updater="squirrel")
    assert "url" in response.json()
    response = await feed(client, "macosSquirrel", "0.0.1.137", updater="tauri")
    assert "update_url_zip" in response.json()  # not configured: the generic answer
    # The RELEASES route on a platform without squirrel_windows answers generic JSON.
    response = await client.get(
        "/update/admin/updaters/nightly/macosTauri/universalArch/0.0.1.137/RELEASES"
    )
    assert response.status_code == 200
    assert response.json()["update_available"] is True


async def test_an_empty_redirect_target_is_relative(client, feeds):
    """squirrel_windows without a RELEASES link: Go resolves "" against the request path."""
    response = await feed(client, "macosSquirrel", "0.0.1.137", updater="squirrel_windows")
    assert response.json()["update_available"] is True  # not configured there: generic
    headers = feeds
    await create(
        client,
        headers,
        "platform",
        "bare",
        updaters=[{"type": "squirrel_windows", "default": True}],
    )
    data = {
        "app_name": "updaters",
        "version": "1.0",
        "channel": "nightly",
        "platform": "bare",
        "arch": "universalArch",
        "publish": True,
    }
    assert (await upload(client, headers, data, ("app.exe", b"e"))).status_code == 200
    response = await feed(client, "bare", "0.1")
    assert (response.status_code, response.headers["location"]) == (302, "/")
    response = await client.get("/update/admin/updaters/nightly/bare/universalArch/0.1/RELEASES")
    assert response.headers["location"] == "/update/admin/updaters/nightly/bare/universalArch/0.1/"


# --- /apps/latest -----------------------------------------------------------------------------


async def test_latest_downloads(client, tenant):
    response = await latest(client, platform="universalPlatform", arch="universalArch")
    assert_body(
        response,
        200,
        gojson.dumps(
            {
                "nightly": {
                    "universalPlatform": {
                        "universalArch": {
                            "dmg": {"url": link("0.0.2.137", ".dmg")},
                            "no-extension": {"url": link("0.0.2.137")},
                            "pkg": {"url": link("0.0.2.137", ".pkg")},
                        }
                    }
                }
            }
        ),
    )
    assert response.text.startswith('{"nightly":{"universalPlatform":{"universalArch":{"dmg"')


async def test_a_single_link_is_a_redirect(client, tenant):
    for package, ext in (("dmg", ".dmg"), ("no-extension", "")):
        response = await latest(client, package=package)
        assert (response.status_code, response.headers["location"]) == (302, link("0.0.2.137", ext))


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"app_name": None}, 400, "Parameters 'app_name' and 'channel' are required"),
        ({"channel": ""}, 400, "Parameters 'app_name' and 'channel' are required"),
        ({"app_name": "nope"}, 500, "app_name not found in apps_meta collection"),
        ({"channel": "stable"}, 500, "channel not found in apps_meta collection"),
        ({"owner": "other"}, 500, "app_name not found in apps_meta collection"),
        ({"platform": "linux"}, 404, "No matching data found for the provided parameters"),
        ({"package": "exe"}, 404, "No matching data found for the provided parameters"),
    ],
)
async def test_latest_refusals(client, tenant, params, status, error):
    assert_error(await latest(client, **params), status, error)


async def test_the_newest_version_decides_even_without_the_platform(client, tenant):
    await create(client, tenant, "platform", "linux")
    await publish(client, tenant, "0.0.3", ("app.deb", b"d"), platform="linux")
    assert_error(
        await latest(client, platform="universalPlatform"),
        404,
        "No matching data found for the provided parameters",
    )


async def test_a_prerelease_client_below_an_intermediate(client, intermediates):
    body = (await check(client, "0.0.7-1", **intermediates)).json()
    assert body["is_intermediate_required"] is True
    assert body["update_url_dmg"] == second("0.0.7.137")
    body = (await check(client, "0.0.9-0", **intermediates)).json()
    assert body["update_url_dmg"] == second("0.0.9.137")
