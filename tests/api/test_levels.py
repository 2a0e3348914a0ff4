"""API levels (FAYNOSYNC_API_LEVEL): each answer that FaynoSync v2.1 changed, at 1.4.6 (as
v1.4.6) and at 2.1 (as v2.1.0), on both stores; docs/compatibility.md#api-levels."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from faynosync.core import gojson
from faynosync.store.models import AppPermissions, Kind, ResourcePermissions
from tests.support.api import (
    admin_headers,
    assert_error,
    bearer,
    login,
    running,
)
from tests.support.checks import check, link, publish
from tests.support.factories import add_team_user, catalog
from tests.support.storage import stored_objects

LEVELS = ["1.4.6", "2.1"]


@pytest.fixture(params=LEVELS)
def level(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def leveled(client_factory, level) -> AsyncIterator[tuple[httpx.AsyncClient, dict]]:
    """A server at ``level`` with testapp's catalog (private app)."""
    async with client_factory(FAYNOSYNC_API_LEVEL=level) as client:
        headers = await admin_headers(client)
        await catalog(client, headers)
        yield client, headers


async def test_check_version_reads_dashes_as_dots_at_2_1(leveled, level):
    client, headers = leveled
    await publish(client, headers, "0.0.2", ("app.dmg", b"d"))
    response = await check(client, "0-0-2")
    if level == "1.4.6":
        # go-version reads 0-0-2 as 0 with the prerelease 0-2: older than 0.0.2.
        assert response.json()["update_available"] is True
    else:
        assert response.json() == {
            "critical": False,
            "possible_rollback": False,
            "update_available": False,
            "update_url_dmg": link("0.0.2", ".dmg"),
        }
    releases = await client.get(
        "/update/admin/testapp/nightly/universalPlatform/universalArch/0-0-2/RELEASES"
    )
    assert releases.status_code in (200, 204, 302)


async def test_check_version_leaves_out_blockmap_and_nupkg_links_at_2_1(leveled, level):
    client, headers = leveled
    files = (("app.dmg", b"d"), ("app.dmg.blockmap", b"b"), ("app.nupkg", b"n"))
    await publish(client, headers, "0.0.2", *files)
    body = (await check(client, "0.0.1")).json()
    expected = {
        "critical": False,
        "update_available": True,
        "update_url_dmg": link("0.0.2", ".dmg"),
    }
    if level == "1.4.6":
        expected["update_url_blockmap"] = link("0.0.2", ".blockmap")
        expected["update_url_nupkg"] = link("0.0.2", ".nupkg")
    assert (await check(client, "0.0.1")).text == gojson.dumps(expected)
    assert body == expected


async def test_app_flags_at_2_1_only(settings_factory, level):
    """/app/create and /app/update take tuf, reports and cdn ("true" only) at 2.1, /app/list
    shows them after Private; at 1.4.6 they are ignored and what is stored stays."""
    async with running(settings_factory(FAYNOSYNC_API_LEVEL=level)) as (app, client):
        headers = await admin_headers(client)
        data = {"app": "flagged", "tuf": "true", "reports": "true", "cdn": "yes"}
        response = await client.post(
            "/app/create", files={"data": (None, gojson.dumps(data))}, headers=headers
        )
        app_id = response.json()["createAppResult.Created"]
        item = (await client.get("/app/list", headers=headers)).json()["apps"][0]
        stored = await app.state.store.meta.get(Kind.APP, app_id)
        if level == "1.4.6":
            assert list(item) == [
                "ID",
                "AppName",
                "Logo",
                "Private",
                "Description",
                "Owner",
                "Updated_at",
            ]
            assert (stored.tuf, stored.reports, stored.cdn_edge) == (False, False, False)
            # What v2.1 stored stays through a 1.4.6 edit.
            stored.tuf = stored.reports = True
            await app.state.store.meta.update(stored, flags=True)
        else:
            assert list(item)[:7] == [
                "ID",
                "AppName",
                "Logo",
                "Private",
                "Tuf",
                "Reports",
                "CdnEdge",
            ]
            assert (item["Tuf"], item["Reports"], item["CdnEdge"]) == (True, True, False)
        edit = {"id": app_id, "app": "flagged2", "cdn": "true"}
        response = await client.post(
            "/app/update", files={"data": (None, gojson.dumps(edit))}, headers=headers
        )
        assert response.status_code == 200, response.text
        stored = await app.state.store.meta.get(Kind.APP, app_id)
        # 2.1: tuf is written always (absent: false), reports kept, cdn given.
        expected = (True, True, False) if level == "1.4.6" else (False, True, True)
        assert (stored.tuf, stored.reports, stored.cdn_edge) == expected


async def test_app_update_of_a_missing_or_foreign_app(leveled, level):
    client, headers = leveled
    other = await admin_headers(client, "other")
    theirs = (await client.get("/app/list", headers=headers)).json()["apps"][0]["ID"]
    for app_id, v1 in (
        (theirs, "you don't have permission to update this app"),
        ("0" * 24, "app not found"),
    ):
        edit = {"id": app_id, "app": "stolen"}
        response = await client.post(
            "/app/update", files={"data": (None, gojson.dumps(edit))}, headers=other
        )
        if level == "1.4.6":
            assert_error(response, 500, v1)
        else:
            assert_error(response, 404, "app not found")


async def test_search_artifacts_carry_tuf_fields_at_2_1(leveled, level):
    client, headers = leveled
    await publish(client, headers, "0.0.2", ("app.dmg", b"d"))
    response = await client.get("/search?app_name=testapp", headers=headers)
    artifact = response.json()["items"][0]["Artifacts"][0]
    keys = ["link", "platform", "arch", "package"]
    if level == "2.1":
        keys += ["TufTaskID", "TufSigned"]
        assert (artifact["TufTaskID"], artifact["TufSigned"]) == (None, False)
    assert list(artifact) == keys
    everything = (await client.get("/", headers=headers)).json()["apps"][0]
    assert list(everything["Artifacts"][0]) == keys


async def test_platforms_take_velopack_at_2_1(leveled, level):
    client, headers = leveled
    body = {"platform": "windows", "updaters": [{"type": "velopack", "default": True}]}
    response = await client.post("/platform/create", json=body, headers=headers)
    if level == "1.4.6":
        assert_error(
            response,
            400,
            "invalid updater type: velopack. Valid types are: "
            "[manual squirrel_darwin squirrel_windows sparkle electron-builder tauri]",
        )
    else:
        assert response.status_code == 200, response.text
        body = {"platform": "linux", "updaters": [{"type": "nope", "default": True}]}
        response = await client.post("/platform/create", json=body, headers=headers)
        assert_error(
            response,
            400,
            "invalid updater type: nope. Valid types are: "
            "[manual squirrel_darwin squirrel_windows sparkle electron-builder tauri velopack]",
        )
        # A check on a velopack platform answers the generic JSON (the feeds come later).
        await publish(client, headers, "0.0.2", ("app.exe", b"e"), platform="windows")
        response = await check(client, "0.0.1", platform="windows")
        assert response.status_code == 200
        assert response.json()["update_available"] is True


async def test_edit_keys_are_the_admins_at_2_1(settings_factory, level):
    """A team user adding a file through /apps/update: v1.4.6 names the key after the team
    user, v2.1 after its admin."""
    async with running(settings_factory(FAYNOSYNC_API_LEVEL=level)) as (app, client):
        headers = await admin_headers(client)
        ids = await catalog(client, headers)
        version_id = await publish(client, headers, "0.0.2", ("app.dmg", b"d"))
        await add_team_user(
            app,
            "editor",
            "pw",
            apps=AppPermissions(edit=True, allowed=[ids.app]),
            channels=ResourcePermissions(allowed=[ids.channel]),
            platforms=ResourcePermissions(allowed=[ids.platform]),
            archs=ResourcePermissions(allowed=[ids.arch]),
        )
        editor = bearer(await login(client, "editor", "pw"))
        data = {
            "id": version_id,
            "app_name": "testapp",
            "version": "0.0.2",
            "channel": "nightly",
            "platform": "universalPlatform",
            "arch": "universalArch",
            "publish": True,
        }
        response = await client.post(
            "/apps/update",
            files={"data": (None, gojson.dumps(data)), "file": ("app.zip", b"z")},
            headers=editor,
        )
        assert response.status_code == 200, response.text
        version = await app.state.store.versions.get(version_id)
        who = "editor" if level == "1.4.6" else "admin"
        assert version.artifacts[1].link.endswith(
            f"key=testapp-{who}%2Fnightly%2FuniversalPlatform%2FuniversalArch%2Ftestapp-0.0.2.zip"
        )


async def test_private_links_query_escaped_at_2_1(settings_factory, level):
    """electron-builder keeps file names in keys: a space is %20 in v1.4.6's links and + in
    v2.1's; either way /download finds the key and a delete removes the object."""
    settings = settings_factory(FAYNOSYNC_API_LEVEL=level)
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await catalog(client, headers)
        files = (("latest.yml", b"version: 1.0.0\n"), ("My App:1.0.exe", b"x"))
        version_id = await publish(client, headers, "1.0.0", *files, updater="electron-builder")
        version = await app.state.store.versions.get(version_id)
        exe = next(a.link for a in version.artifacts if a.package == ".exe")
        escaped = "My+App%3A1.0.exe" if level == "2.1" else "My%20App:1.0.exe"
        assert exe.endswith("%2F" + escaped)
        key = exe.partition("key=")[2]
        response = await client.get(f"/download?key={key}", headers=headers)
        assert response.status_code == 200, response.text
        assert any("My App:1.0.exe" in obj[1] for obj in stored_objects(settings))
        response = await client.delete(f"/apps/delete?id={version_id}", headers=headers)
        assert response.status_code == 200
        assert stored_objects(settings) == set()
