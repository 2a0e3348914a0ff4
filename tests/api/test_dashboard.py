"""FaynoSync's dashboard (v1.2.4) against faynosync at API level 2.1: every call the dashboard
makes of what v2.1 added or changed (delta §18), sent as the dashboard sends it (JSON or a
multipart ``data`` field, its flag strings, ``rollout`` on every edit, its query strings, the
browser's Origin and preflights), answered as FaynoSync v2.1.0 answers it.

The report keys panel (``GET /report-keys/list`` on every app selection, with reports on or
off; ``POST /report-keys/regenerate``) and the Reports page (``GET /reports/groups`` with its
paging, status tab and filters, the blobs, ``PATCH`` and ``DELETE`` of a group) are sent as
``Dashboard.tsx`` and ``useReportsQuery.ts`` send them; the reports themselves come in as a
client's SDK sends them.

Left out: the TUF pages (faynosync has no TUF; they fail gracefully on 404).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from faynosync.core import gojson
from faynosync.http.middleware import CORS_ALLOW_HEADERS
from faynosync.store.models import AppPermissions
from tests.support.api import (
    API_URL,
    JSON_TYPE,
    TEXT_TYPE,
    admin_headers,
    bearer,
    login,
    running,
)
from tests.support.factories import add_team_user
from tests.support.storage import read_object, storage_overrides, stored_objects

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


# --- report keys and the Reports page ---------------------------------------------------------

KEY = re.compile(r"rpk_[0-9a-f]{64}")
ID = re.compile(r"[0-9a-f]{24}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z")


@pytest.fixture
async def reporting(request, settings_factory):
    """The server with reports on, its details stored on local disk (or, as a parameter, on
    S3: moto)."""
    storage = storage_overrides(getattr(request, "param", "local"), request)
    settings = settings_factory(
        FAYNOSYNC_API_LEVEL="2.1", ALLOWED_CORS=ORIGIN, REPORTS_ENABLED="true", **storage
    )
    async with running(settings) as (app, client):
        headers = {**await admin_headers(client), "Origin": ORIGIN}
        yield app, client, headers, settings


def in_order(value: Any) -> Any:
    """``value`` to be written with its keys in the order given here (Go's structs; the
    ``gin.H`` maps are given sorted, as Go writes them)."""
    if isinstance(value, dict):
        return gojson.GoStruct((k, in_order(v)) for k, v in value.items())
    if isinstance(value, list):
        return [in_order(v) for v in value]
    return value


def exactly(response: httpx.Response, status: int, body: Any) -> None:
    """The status, the dashboard's CORS header and the body byte for byte (key order, Go's
    escapes)."""
    assert (response.status_code, response.text) == (status, gojson.dumps(in_order(body)))
    assert response.headers["content-type"] == JSON_TYPE
    assert response.headers["access-control-allow-origin"] == ORIGIN


def iso(moment: datetime) -> str:
    """A date picker's date as ``Date.toISOString`` writes it (milliseconds, ``Z``)."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


async def create_modal(client, headers, name: str, reports: str) -> str:
    """CreateAppModal: every flag as a string, ``private`` left out when unticked."""
    data = {"app": name, "description": f"{name} app", "tuf": "false", "reports": reports}
    data["cdn"] = "false"
    response = await client.post("/app/create", files=form(data), headers=headers)
    app_id = ok(response)["createAppResult.Created"]
    exactly(response, 200, {"createAppResult.Created": app_id})
    return str(app_id)


async def edit_modal(client, headers, app_id: str, name: str, reports: str) -> None:
    data = {"id": app_id, "app": name, "description": f"{name} app", "tuf": "false"}
    data |= {"reports": reports, "cdn": "false"}
    response = await client.post("/app/update", files=form(data), headers=headers)
    exactly(response, 200, {"updateAppResult.Updated": True})


async def select_app(client, headers, name: str) -> tuple[dict, dict | None]:
    """Dashboard.tsx on an app selection: ``/app/list`` for the app, ``/report-keys/list``
    for its key (matched by id or name, the newest first). Returns the list and the key."""
    apps = ok(await client.get("/app/list", headers=headers))["apps"]
    app = next(a for a in apps if a["AppName"] == name)
    listed = ok(await client.get("/report-keys/list", headers=headers))
    keys = [
        k for k in listed["report_keys"] or [] if k["app_name"] == name or k["app_id"] == app["ID"]
    ]
    keys.sort(key=lambda k: k["updated_at"], reverse=True)
    return listed, (keys[0] if keys else None)


def key_item(key: dict, app_id: str, name: str) -> dict:
    assert ID.fullmatch(key["id"]) and KEY.fullmatch(key["key_value"])
    assert TIME.fullmatch(key["updated_at"])
    return {
        "id": key["id"],
        "app_id": app_id,
        "app_name": name,
        "key_value": key["key_value"],
        "updated_at": key["updated_at"],
    }


async def test_the_report_key_panel_on_every_app_selection(reporting):
    _, client, headers, _ = reporting
    quiet = await create_modal(client, headers, "quiet", "false")
    listed, key = await select_app(client, headers, "quiet")
    assert (listed, key) == ({"report_keys": None}, None)
    exactly(await client.get("/report-keys/list", headers=headers), 200, {"report_keys": None})
    demo = await create_modal(client, headers, "demo", "true")
    apps = ok(await client.get("/app/list", headers=headers))["apps"]
    assert {a["AppName"]: a["Reports"] for a in apps} == {"quiet": False, "demo": True}
    for name in ("demo", "quiet", "demo"):  # each selection asks again, same answer
        listed, key = await select_app(client, headers, name)
        first = listed["report_keys"][0]
        expected = {"report_keys": [key_item(first, demo, "demo")]}
        exactly(await client.get("/report-keys/list", headers=headers), 200, expected)
        assert (key is None) == (name == "quiet")
    old = first
    # Regenerate (after the confirm): the app's ID from /app/list, as JSON.
    response = await client.post("/report-keys/regenerate", json={"app_id": demo}, headers=headers)
    new = ok(response)["key_value"]
    exactly(response, 200, {"app_id": demo, "key_value": new})
    assert KEY.fullmatch(new) and new != old["key_value"]
    _, key = await select_app(client, headers, "demo")
    assert key is not None
    assert (key["id"], key["key_value"]) == (old["id"], new)
    # Go's RFC 3339 text drops trailing zeros ("…21.4Z" vs "…21.438Z"): compare instants.
    assert datetime.fromisoformat(key["updated_at"]) >= datetime.fromisoformat(old["updated_at"])
    # The panel's button on an app without reports: v2.1.0's 500 and its message.
    response = await client.post("/report-keys/regenerate", json={"app_id": quiet}, headers=headers)
    exactly(response, 500, {"error": "reports are disabled for this app"})
    # EditAppModal: reports off drops the key, on makes one (a new value).
    await edit_modal(client, headers, demo, "demo", "false")
    listed, key = await select_app(client, headers, "demo")
    assert (listed, key) == ({"report_keys": None}, None)
    await edit_modal(client, headers, quiet, "quiet", "true")
    await edit_modal(client, headers, demo, "demo", "true")
    listed, key = await select_app(client, headers, "demo")
    assert [k["app_name"] for k in listed["report_keys"]] == ["demo", "quiet"]  # newest first
    assert key is not None and key["key_value"] not in (old["key_value"], new)
    # Editing with the flag unchanged keeps the key.
    await edit_modal(client, headers, demo, "demo", "true")
    assert (await select_app(client, headers, "demo"))[1] == key


async def test_the_report_key_panel_with_reports_off(dashboard):
    client, headers = dashboard
    demo = await create_modal(client, headers, "demo", "true")
    _, key = await select_app(client, headers, "demo")
    assert key is not None
    exactly(
        await client.get("/report-keys/list", headers=headers),
        200,
        {"report_keys": [key_item(key, demo, "demo")]},
    )
    response = await client.post("/report-keys/regenerate", json={"app_id": demo}, headers=headers)
    exactly(response, 200, {"app_id": demo, "key_value": response.json()["key_value"]})
    # The Reports page: its calls are not served (Gin's 404, with the CORS headers).
    for method, path in (
        ("GET", "/reports/groups?page=1&limit=20&status=open"),
        ("GET", f"/reports/groups/{'a' * 64}/blobs"),
        ("PATCH", f"/reports/groups/{'a' * 64}"),
        ("DELETE", f"/reports/groups/{'a' * 64}"),
    ):
        body = {"status": "muted"} if method == "PATCH" else None
        response = await client.request(method, path, json=body, headers=headers)
        assert (response.status_code, response.text) == (404, "404 page not found")
        assert response.headers["content-type"] == TEXT_TYPE
        assert response.headers["access-control-allow-origin"] == ORIGIN


async def test_team_users_selecting_apps(reporting):
    app, client, headers, _ = reporting
    demo = await create_modal(client, headers, "demo", "true")
    other = await create_modal(client, headers, "other", "true")
    await add_team_user(app, "editor", "pw", apps=AppPermissions(edit=True, allowed=[other]))
    await add_team_user(app, "lonely", "pw", apps=AppPermissions(edit=True))
    await add_team_user(app, "viewer", "pw", apps=AppPermissions(download=True, allowed=[demo]))
    editor = {**bearer(await login(client, "editor", "pw")), "Origin": ORIGIN}
    _, key = await select_app(client, headers, "other")
    assert key is not None
    exactly(
        await client.get("/report-keys/list", headers=editor),
        200,
        {"report_keys": [key_item(key, other, "other")]},
    )
    response = await client.post("/report-keys/regenerate", json={"app_id": demo}, headers=editor)
    exactly(response, 500, {"error": "you don't have access to this app"})
    lonely = {**bearer(await login(client, "lonely", "pw")), "Origin": ORIGIN}
    exactly(await client.get("/report-keys/list", headers=lonely), 200, {"report_keys": []})
    # Allowed apps without a key: Go's nil slice of the lookup, null.
    quiet = await create_modal(client, headers, "quiet", "false")
    await add_team_user(app, "quieter", "pw", apps=AppPermissions(edit=True, allowed=[quiet]))
    quieter = {**bearer(await login(client, "quieter", "pw")), "Origin": ORIGIN}
    exactly(await client.get("/report-keys/list", headers=quieter), 200, {"report_keys": None})
    # A 403, not a 401: the dashboard signs out on a 401 only.
    viewer = {**bearer(await login(client, "viewer", "pw")), "Origin": ORIGIN}
    response = await client.get("/report-keys/list", headers=viewer)
    exactly(response, 403, {"error": "Permission denied"})


def report(reason: str, **changes: str) -> dict[str, Any]:
    """A report as a client's SDK sends it."""
    body: dict[str, Any] = {
        "application": {"name": "demo", "version": "1.2.3", "channel": "stable"},
        "system": {"platform": "windows", "arch": "amd64"},
        "event": {"type": "crash", "reason": reason},
    }
    for path, value in changes.items():
        outer, _, inner = path.partition("__")
        body[outer][inner] = value
    return body


def hash_of(body: dict[str, Any]) -> str:
    a, s, e = body["application"], body["system"], body["event"]
    joined = "|".join(
        (a["name"], a["version"], a["channel"], s["platform"], s["arch"], e["type"], e["reason"])
    )
    return hashlib.sha256(joined.encode()).hexdigest()


async def send(client, key: str, body: dict[str, Any], device: str = "device-1") -> None:
    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
    response = await client.post("/reports/ingest", json=body, headers=headers)
    assert response.status_code == 202, response.text


def group_item(got: dict, body: dict, app_id: str, *, count: int = 1, **more: Any) -> dict:
    """The group as v2.1.0 lists it, the ids and times taken from ``got`` once checked."""
    stats = got["stats"]
    assert ID.fullmatch(got["id"])
    for moment in (stats["first_seen"], stats["last_seen"], got["created_at"], got["updated_at"]):
        assert TIME.fullmatch(moment)
    return {
        "id": got["id"],
        "group_hash": hash_of(body),
        "app_id": app_id,
        "application": body["application"],
        "system": body["system"],
        "event": body["event"],
        "stats": {
            "count": count,
            "first_seen": stats["first_seen"],
            "last_seen": stats["last_seen"],
            "details_stored": more.pop("stored", 0),
            "details_rejected": 0,
        },
        "status": more.pop("status", "open"),
        **more,
        "created_at": got["created_at"],
        "updated_at": got["updated_at"],
    }


def page_query(page: int = 1, status: str = "open", **filters: str) -> str:
    """useReportsQuery's URL: page and limit, the set filters in their order, then the tab."""
    pairs = [("page", str(page)), ("limit", "20"), *filters.items(), ("status", status)]
    return "/reports/groups?" + urlencode(pairs)


@pytest.mark.parametrize("reporting", ["local", "minio"], indirect=True)
async def test_the_reports_page(reporting):
    _, client, headers, settings = reporting
    demo = await create_modal(client, headers, "demo", "true")
    _, key = await select_app(client, headers, "demo")
    assert key is not None
    stack = b'{"stack":"main.go:1"}'
    packed = gzip.compress(stack)
    details = {
        "encoding": "gzip+base64",
        "content_type": "application/json",
        "payload": base64.b64encode(packed).decode(),
    }
    crash = {**report("SIGSEGV"), "details": details}
    linux = report("E42", application__version="2.0.0", system__platform="linux")
    linux["event"]["type"] = "update_failure"
    late = report("timeout", event__type="startup_failure")
    for body in (crash, linux, late):
        await send(client, key["key_value"], body)
    crash.pop("details")
    # The page opens on the Open tab, page 1 of 20.
    response = await client.get(page_query(), headers=headers)
    got = ok(response)["items"]
    assert [g["event"]["reason"] for g in got] == ["timeout", "E42", "SIGSEGV"]
    items = [
        group_item(got[0], late, demo),
        group_item(got[1], linux, demo),
        group_item(got[2], crash, demo, stored=1),
    ]
    exactly(response, 200, {"items": items, "total": 3, "page": 1, "limit": 20})
    # Filters (dropdowns, date pickers) in the order they were set, the tab last.
    hour = timedelta(hours=1)
    now = datetime.now(UTC)
    for filters, status, shown in (
        ({"platform": "linux"}, "open", [1]),
        ({"app": "demo", "type": "crash", "channel": "stable"}, "all", [2]),
        ({"version": "1.2.3", "arch": "amd64"}, "open", [0, 2]),
        ({"reason": "E42"}, "all", [1]),
        ({"from": iso(now - hour)}, "all", [0, 1, 2]),
        ({"from": iso(now - hour), "to": iso(now + hour)}, "open", [0, 1, 2]),
        ({"to": iso(now - hour)}, "all", []),
        ({"from": iso(now + hour)}, "open", []),
        ({}, "resolved", []),
        ({}, "muted", []),
    ):
        expected = {"items": [items[i] for i in shown], "total": len(shown), "page": 1}
        expected["limit"] = 20
        exactly(await client.get(page_query(1, status, **filters), headers=headers), 200, expected)
    exactly(
        await client.get(page_query(2), headers=headers),
        200,
        {"items": [], "total": 3, "page": 2, "limit": 20},
    )
    # The blobs modal: the stored details, a link the browser opens without the token.
    group = hash_of(crash)
    response = await client.get(f"/reports/groups/{group}/blobs", headers=headers)
    (blob,) = ok(response)["items"]
    assert ID.fullmatch(blob["id"])
    assert TIME.fullmatch(blob["created_at"]) and TIME.fullmatch(blob["expires_at"])
    assert re.fullmatch(
        rf"reports/demo/{now:%Y/%m/%d}/{group}-[0-9a-f]{{16}}\.json\.gz", blob["storage"]["key"]
    )
    expected_blob = {
        "id": blob["id"],
        "group_hash": group,
        "app_id": demo,
        "application": crash["application"],
        "system": crash["system"],
        "event": crash["event"],
        "storage": {
            "driver": settings.STORAGE_DRIVER or "local",
            "key": blob["storage"]["key"],
            "compressed_size": len(packed),
            "decompressed_size": len(stack),
            "content_type": "application/json",
            "encoding": "gzip",
        },
        "created_at": blob["created_at"],
        "expires_at": blob["expires_at"],
        "url": blob["url"],
    }
    exactly(response, 200, {"items": [expected_blob]})
    assert read_object(settings, "private", blob["storage"]["key"]) == packed
    local = not settings.STORAGE_DRIVER  # moto does not check presigned links' signatures
    if local:
        fetched = await client.get(blob["url"].removeprefix(API_URL))
        assert fetched.status_code == 200 and gzip.decompress(fetched.content) == stack
    response = await client.get(f"/reports/groups/{hash_of(late)}/blobs", headers=headers)
    exactly(response, 200, {"items": []})
    # The row's status buttons: only the status.
    path = f"/reports/groups/{group}"
    response = await client.patch(path, json={"status": "resolved"}, headers=headers)
    exactly(response, 200, {"group_hash": group, "updated": True})
    response = await client.get(page_query(1, "resolved"), headers=headers)
    (got_resolved,) = ok(response)["items"]
    assert TIME.fullmatch(got_resolved["resolved_at"])
    resolved = group_item(
        got_resolved,
        crash,
        demo,
        stored=1,
        status="resolved",
        resolved_at=got_resolved["resolved_at"],
        resolved_by="admin",
    )
    exactly(response, 200, {"items": [resolved], "total": 1, "page": 1, "limit": 20})
    # EditReportGroupModal: tags (lower-cased, unique) and the trimmed note, together.
    edit = {"tags": ["ui", "v1.x"], "note": "fixed in 1.2.4"}
    exactly(
        await client.patch(path, json=edit, headers=headers),
        200,
        {"group_hash": group, "updated": True},
    )
    response = await client.get(page_query(1, "resolved"), headers=headers)
    (got_resolved,) = ok(response)["items"]
    resolved = group_item(
        got_resolved,
        crash,
        demo,
        stored=1,
        status="resolved",
        tags=["ui", "v1.x"],
        note="fixed in 1.2.4",
        resolved_at=got_resolved["resolved_at"],
        resolved_by="admin",
    )
    exactly(response, 200, {"items": [resolved], "total": 1, "page": 1, "limit": 20})
    # Mute, then clear the tags and the note: all of them are left out.
    for change in ({"status": "muted"}, {"tags": [], "note": ""}):
        response = await client.patch(path, json=change, headers=headers)
        exactly(response, 200, {"group_hash": group, "updated": True})
    response = await client.get(page_query(1, "muted"), headers=headers)
    (got_muted,) = ok(response)["items"]
    muted = group_item(got_muted, crash, demo, stored=1, status="muted")
    exactly(response, 200, {"items": [muted], "total": 1, "page": 1, "limit": 20})
    # A refusal shown as a toast (getErrorMessage reads "error").
    response = await client.patch(path, json={"tags": ["no spaces"]}, headers=headers)
    exactly(response, 400, {"error": "invalid tags"})
    # The delete confirmation.
    response = await client.delete(path, headers=headers)
    exactly(response, 200, {"deleted": True, "group_hash": group})
    response = await client.get(page_query(1, "all"), headers=headers)
    exactly(response, 200, {"items": items[:2], "total": 2, "page": 1, "limit": 20})
    exactly(await client.get(f"{path}/blobs", headers=headers), 200, {"items": []})
    assert stored_objects(settings) == set()
    if local:
        assert (await client.get(blob["url"].removeprefix(API_URL))).status_code == 404
    exactly(await client.delete(path, headers=headers), 404, {"error": "report group not found"})


async def test_the_reports_page_pages_by_twenty(reporting):
    _, client, headers, _ = reporting
    await create_modal(client, headers, "demo", "true")
    _, key = await select_app(client, headers, "demo")
    assert key is not None
    for n in range(21):
        await send(client, key["key_value"], report(f"reason-{n:02d}"))
    first = ok(await client.get(page_query(1), headers=headers))
    second = ok(await client.get(page_query(2), headers=headers))
    assert (first["total"], second["total"], second["page"], second["limit"]) == (21, 21, 2, 20)
    shown = [g["event"]["reason"] for g in first["items"] + second["items"]]
    assert sorted(shown) == [f"reason-{n:02d}" for n in range(21)]
    assert len(first["items"]) == 20 and len(second["items"]) == 1


async def test_filters_as_url_search_params_write_them(reporting):
    _, client, headers, _ = reporting
    await create_modal(client, headers, "My App", "true")
    _, key = await select_app(client, headers, "My App")
    assert key is not None
    body = report("out.of-memory_1")
    body["application"]["name"] = "My App"
    await send(client, key["key_value"], body)
    await send(client, key["key_value"], report("other") | {"application": body["application"]})
    url = page_query(1, "all", app="My App", reason="out.of-memory_1", to=iso(datetime.now(UTC)))
    assert "app=My+App" in url and "%3A" in url
    found = ok(await client.get(url, headers=headers))
    assert [g["group_hash"] for g in found["items"]] == [hash_of(body)]


async def test_the_date_pickers_bounds_are_inclusive(reporting):
    """A group last seen at the very millisecond of ``from`` and ``to`` is shown."""
    _, client, headers, _ = reporting
    demo = await create_modal(client, headers, "demo", "true")
    _, key = await select_app(client, headers, "demo")
    assert key is not None
    await send(client, key["key_value"], report("A"))
    (got,) = ok(await client.get(page_query(1, "all"), headers=headers))["items"]
    seen = got["stats"]["last_seen"]
    response = await client.get(page_query(1, "all", **{"from": seen, "to": seen}), headers=headers)
    expected = {"items": [group_item(got, report("A"), demo)], "total": 1, "page": 1, "limit": 20}
    exactly(response, 200, expected)


async def test_double_clicks(reporting):
    """The regenerate button, a status button and the delete confirmation clicked twice."""
    _, client, headers, _ = reporting
    demo = await create_modal(client, headers, "demo", "true")
    regenerate = [
        client.post("/report-keys/regenerate", json={"app_id": demo}, headers=headers)
        for _ in range(2)
    ]
    made = {ok(response)["key_value"] for response in await asyncio.gather(*regenerate)}
    listed, key = await select_app(client, headers, "demo")
    assert len(listed["report_keys"]) == 1 and key is not None and key["key_value"] in made
    await send(client, key["key_value"], report("SIGSEGV"))
    path = f"/reports/groups/{hash_of(report('SIGSEGV'))}"
    patches = [
        client.patch(path, json={"status": status}, headers=headers)
        for status in ("resolved", "muted")
    ]
    assert [r.status_code for r in await asyncio.gather(*patches)] == [200, 200]
    (group,) = ok(await client.get(page_query(1, "all"), headers=headers))["items"]
    assert (group["status"], "resolved_by" in group) in (("resolved", True), ("muted", False))
    deletes = [client.delete(path, headers=headers) for _ in range(2)]
    answers = sorted((r.status_code, r.text) for r in await asyncio.gather(*deletes))
    group_hash = hash_of(report("SIGSEGV"))
    assert answers == [
        (200, f'{{"deleted":true,"group_hash":"{group_hash}"}}'),
        (404, '{"error":"report group not found"}'),
    ]


@pytest.mark.parametrize("reports", ["true", "false"])
async def test_the_report_calls_preflights(settings_factory, reports):
    settings = settings_factory(
        FAYNOSYNC_API_LEVEL="2.1", ALLOWED_CORS=ORIGIN, REPORTS_ENABLED=reports
    )
    group = "a" * 64
    async with running(settings) as (_, client):
        for method, path, asked in (
            ("GET", "/report-keys/list", "authorization"),
            ("POST", "/report-keys/regenerate", "authorization,content-type"),
            ("GET", "/reports/groups?page=1&limit=20&status=open", "authorization"),
            ("GET", f"/reports/groups/{group}/blobs", "authorization"),
            ("PATCH", f"/reports/groups/{group}", "authorization,content-type"),
            ("DELETE", f"/reports/groups/{group}", "authorization"),
            ("POST", "/app/create", "authorization,content-type"),
            ("POST", "/app/update", "authorization,content-type"),
        ):
            response = await client.options(
                path,
                headers={
                    "Origin": ORIGIN,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": asked,
                },
            )
            assert (response.status_code, response.content) == (204, b"")
            cors = {k: v for k, v in response.headers.items() if k.startswith("access-control-")}
            assert cors == {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-credentials": "true",
                "access-control-allow-headers": CORS_ALLOW_HEADERS,
                "access-control-allow-methods": "POST, OPTIONS, GET, PUT, DELETE, PATCH",
            }
