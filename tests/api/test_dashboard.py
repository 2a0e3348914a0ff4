"""FaynoSync's dashboard (v1.2.4) against faynosync at API level 2.1: every call the dashboard
makes of what v2.1 added or changed (delta §18), sent as the dashboard sends it (JSON or a
multipart ``data`` field, its flag strings, ``rollout`` on every edit, its query strings, the
browser's Origin and preflights), answered as FaynoSync v2.1.0 answers it.

Left out: the TUF pages (faynosync has no TUF; they fail gracefully on 404), and the report
keys and reports pages, built elsewhere.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.api import admin_headers, running

ORIGIN = "http://localhost:3000"  # the dashboard's origin in docker-compose.yml


@pytest.fixture
async def dashboard(settings_factory):
    settings = settings_factory(
        FAYNOSYNC_API_LEVEL="2.1",
        ALLOWED_CORS=ORIGIN,
        ENABLE_TELEMETRY="true",
        FAYNOSYNC_TELEMETRY_FLUSH=3600,
    )
    async with running(settings) as (_, client):
        headers = {**await admin_headers(client), "Origin": ORIGIN}
        yield client, headers


def form(data: dict, *files: tuple[str, bytes]) -> list:
    """The dashboard's FormData: ``data`` as JSON.stringify writes it, then the files."""
    parts: list = [("data", (None, json.dumps(data, separators=(",", ":"))))]
    parts += [("file", (name, content)) for name, content in files]
    return parts


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    body: dict = response.json()
    return body


async def test_preflights_allow_the_dashboards_methods(dashboard):
    client, _ = dashboard
    for method in ("GET", "POST", "DELETE", "PATCH"):
        response = await client.options(
            "/token/delete",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert method in response.headers["access-control-allow-methods"].split(", ")


async def catalog(client, headers) -> dict[str, str]:
    """Settings: a channel, an arch and a platform with the velopack updater offered."""
    ids = {}
    ids["channel"] = ok(
        await client.post("/channel/create", json={"channel": "stable"}, headers=headers)
    )["createChannelResult.Created"]
    ids["arch"] = ok(await client.post("/arch/create", json={"arch": "x64"}, headers=headers))[
        "createArchResult.Created"
    ]
    updaters = [{"type": "velopack", "default": True}]
    body = {"platform": "windows", "updaters": updaters}
    ids["platform"] = ok(await client.post("/platform/create", json=body, headers=headers))[
        "createPlatformResult.Created"
    ]
    platforms = ok(await client.get("/platform/list", headers=headers))["platforms"]
    assert platforms[0]["Updaters"] == [{"type": "velopack", "default": True}]
    return ids


async def test_apps_with_their_v2_flags(dashboard):
    client, headers = dashboard
    data = {"app": "demo", "description": "d", "tuf": "false", "reports": "false", "cdn": "true"}
    created = ok(await client.post("/app/create", files=form(data), headers=headers))
    app_id = created["createAppResult.Created"]
    apps = ok(await client.get("/app/list", headers=headers))["apps"]
    assert list(apps[0]) == [
        "ID",
        "AppName",
        "Logo",
        "Private",
        "Tuf",
        "Reports",
        "CdnEdge",
        "Description",
        "Owner",
        "Updated_at",
    ]
    assert (apps[0]["Tuf"], apps[0]["Reports"], apps[0]["CdnEdge"]) == (False, False, True)
    # EditAppModal sends every flag, as strings.
    edit = {"id": app_id, "app": "demo", "description": "e", "tuf": "false"}
    edit |= {"reports": "false", "cdn": "false"}
    ok(await client.post("/app/update", files=form(edit), headers=headers))
    apps = ok(await client.get("/app/list", headers=headers))["apps"]
    assert (apps[0]["Description"], apps[0]["CdnEdge"]) == ("e", False)
    # An app another tab deleted: v2.1.0's 404.
    gone = {**edit, "id": "0" * 24}
    response = await client.post("/app/update", files=form(gone), headers=headers)
    assert (response.status_code, response.json()) == (404, {"error": "app not found"})
    ok(await client.delete(f"/app/delete?id={app_id}", headers=headers))


async def test_versions_rollouts_and_their_adoption(dashboard):
    client, headers = dashboard
    await catalog(client, headers)
    flags = {"tuf": "false", "reports": "false", "cdn": "false"}
    ok(await client.post("/app/create", files=form({"app": "demo", **flags}), headers=headers))
    upload = {
        "app_name": "demo",
        "version": "1.0.0",
        "channel": "stable",
        "publish": True,
        "critical": False,
        "intermediate": False,
        "platform": "windows",
        "arch": "x64",
        "changelog": "first",
        "updater": "manual",
    }
    files = (("demo-1.0.0.exe", b"exe"), ("demo-1.0.0.zip", b"zip"))
    version_id = ok(await client.post("/upload", files=form(upload, *files), headers=headers))[
        "uploadResult.Uploaded"
    ]
    query = "/search?app_name=demo&limit=9&page=1&channel=stable&published=true"
    item = ok(await client.get(query, headers=headers))["items"][0]
    assert list(item)[-1] == "RolloutPercent" and item["RolloutPercent"] == 100
    for artifact in item["Artifacts"]:
        assert list(artifact)[-2:] == ["TufTaskID", "TufSigned"]
        assert (artifact["TufTaskID"], artifact["TufSigned"]) == (None, False)
    # Devices check (before the rollout: each would be in or out of it by its seed).
    check = {
        "app_name": "demo",
        "version": "0.9.0",
        "channel": "stable",
        "platform": "windows",
        "arch": "x64",
        "owner": "admin",
    }
    for device in ("a", "b"):
        response = await client.get("/checkVersion", params=check, headers={"X-Device-ID": device})
        assert response.json()["update_available"] is True
    # EditVersionModal: every edit sends rollout (here a staged one).
    edit = {
        "id": version_id,
        "app_name": "demo",
        "version": "1.0.0",
        "channel": "stable",
        "publish": True,
        "critical": False,
        "intermediate": False,
        "changelog": "first",
        "rollout": 25,
    }
    ok(await client.post("/apps/update", files=form(edit), headers=headers))
    # Rollout Health: the versions below 100% ...
    query = "/search?app_name=demo&limit=100&page=1&channel=stable&platform=windows&arch=x64"
    items = ok(await client.get(query, headers=headers))["items"]
    assert [(i["Version"], i["RolloutPercent"]) for i in items] == [("1.0.0", 25)]
    # ... and their adoption.
    for params in ("range=week", f"date={datetime.now(UTC).date().isoformat()}"):
        query = f"/telemetry?apps=demo&channels=stable&platforms=windows&{params}"
        body = ok(await client.get(query, headers=headers))
        assert body["summary"]["unique_clients"] == 2
        assert body["versions"]["usage"][0]["version"] == "0.9.0"
        assert body["versions"]["usage"][0]["client_count"] == 2
    # Deleting one artifact, then the version.
    delete = {
        "id": version_id,
        "app_name": "demo",
        "version": "1.0.0",
        "artifacts_to_delete": ["0"],
    }
    assert ok(await client.post("/artifact/delete", files=form(delete), headers=headers)) == {
        "deleteSpecificArtifactResult": True
    }
    ok(await client.delete(f"/apps/delete?id={version_id}", headers=headers))
    assert ok(await client.get("/search?app_name=demo&limit=9&page=1", headers=headers))[
        "items"
    ] in (None, [])


async def test_api_tokens_in_settings(dashboard):
    client, headers = dashboard
    flags = {"tuf": "false", "reports": "false", "cdn": "false"}
    app_id = ok(
        await client.post("/app/create", files=form({"app": "demo", **flags}), headers=headers)
    )["createAppResult.Created"]
    listed = ok(await client.get("/token/list", headers=headers))
    assert listed.get("tokens") in (None, [])
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    for payload in (
        {"name": "ci", "allowed_apps": [app_id], "expires_at": expires},
        {"name": "forever", "allowed_apps": [app_id]},  # "never expires": no expires_at
    ):
        created = ok(await client.post("/token/create", json=payload, headers=headers), 201)
        assert created["token"].startswith("fns_")
    tokens = ok(await client.get("/token/list", headers=headers))["tokens"]
    assert sorted(t["name"] for t in tokens) == ["ci", "forever"]
    for token in tokens:
        assert {"id", "name", "created_at"} <= set(token)
    response = await client.request(
        "DELETE", "/token/delete", json={"id": tokens[0]["id"]}, headers=headers
    )
    assert isinstance(ok(response)["message"], str)
    assert len(ok(await client.get("/token/list", headers=headers))["tokens"]) == 1
    # A refusal the dashboard shows as a toast: {"error": ...}.
    response = await client.post("/token/create", json={"name": "x"}, headers=headers)
    assert response.status_code == 400 and isinstance(response.json()["error"], str)


async def test_the_tuf_pages_fail_gracefully(dashboard):
    client, headers = dashboard
    for method, path in (("GET", "/tuf/v1/bootstrap"), ("GET", "/tuf/v1/config")):
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 404
