"""Crash and event reports (FaynoSync v2.1, delta §8): report keys, the public ingest with its
limits, groups and their triage, detail blobs; on both stores, and on local disk and S3 where
blobs are stored. Tenants never see each other's reports."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import re
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from faynosync.config import Settings
from faynosync.core import gojson
from faynosync.core.ids import new_id
from faynosync.fsck.check import Problem, check
from faynosync.store.models import AppPermissions, Kind, ReportKey
from tests.support.api import (
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    create_app,
    login,
    running,
)
from tests.support.env import SettingsFactory
from tests.support.factories import add_team_user, store_of
from tests.support.storage import read_object, storage_overrides, stored_objects

KEY = re.compile(r"rpk_[0-9a-f]{64}")
HASH = re.compile(r"[0-9a-f]{64}")
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z"
REPORTS = {"REPORTS_ENABLED": "true", "FAYNOSYNC_API_LEVEL": "2.1"}


def event(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application": {"name": "testapp", "version": "1.2.3", "channel": "stable"},
        "system": {"platform": "windows", "arch": "amd64"},
        "event": {"type": "crash", "reason": "SIGSEGV"},
    }
    for path, value in changes.items():
        outer, _, inner = path.partition("__")
        if inner:
            body[outer][inner] = value
        else:
            body[outer] = value
    return body


def details(data: bytes = b'{"stack":"main.go:1"}', **changes: str) -> dict[str, str]:
    return {
        "encoding": "gzip+base64",
        "content_type": "application/json",
        "payload": base64.b64encode(gzip.compress(data)).decode(),
        **changes,
    }


def hash_of(body: dict[str, Any]) -> str:
    a, s, e = body["application"], body["system"], body["event"]
    joined = "|".join(
        (a["name"], a["version"], a["channel"], s["platform"], s["arch"], e["type"], e["reason"])
    )
    return hashlib.sha256(joined.encode()).hexdigest()


@dataclass
class Tenant:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    headers: dict[str, str]
    app_id: str
    key: str

    async def send(
        self, body: Any = None, *, device: str = "device-1", key: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.key}", "X-Device-ID": device}
        headers.update(kw.pop("headers", {}))
        if "content" in kw:
            return await self.client.post("/reports/ingest", headers=headers, **kw)
        return await self.client.post(
            "/reports/ingest", json=event() if body is None else body, headers=headers, **kw
        )

    async def groups(self, headers: dict[str, str] | None = None, **query: Any) -> Any:
        response = await self.client.get(
            "/reports/groups", params=query, headers=headers or self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()


async def key_of(client: httpx.AsyncClient, headers: dict[str, str], app_id: str) -> str:
    listed = (await client.get("/report-keys/list", headers=headers)).json()["report_keys"]
    return next(item["key_value"] for item in listed if item["app_id"] == app_id)


async def tenant_of(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, admin: str = "admin"
) -> Tenant:
    headers = await admin_headers(client, admin)
    app_id = await create_app(client, headers, "testapp", reports="true")
    return Tenant(app, client, settings, headers, app_id, await key_of(client, headers, app_id))


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(**REPORTS)


@pytest.fixture
async def tenant(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> Tenant:
    return await tenant_of(app, client, settings)


@pytest.fixture(params=["local", "minio"])
async def stored(
    request: pytest.FixtureRequest, settings_factory: SettingsFactory
) -> AsyncIterator[Tenant]:
    """A tenant with a report key, on local disk or S3 (moto)."""
    settings = settings_factory(**REPORTS, **storage_overrides(request.param, request))
    async with running(settings) as (app, client):
        yield await tenant_of(app, client, settings)


# --- report keys ------------------------------------------------------------------------------


async def test_an_app_created_with_reports_has_a_key(client, tenant):
    response = await client.get("/report-keys/list", headers=tenant.headers)
    assert response.status_code == 200
    (item,) = response.json()["report_keys"]
    assert list(item) == ["id", "app_id", "app_name", "key_value", "updated_at"]
    assert item["app_id"] == tenant.app_id and item["app_name"] == "testapp"
    assert KEY.fullmatch(item["key_value"]) and re.fullmatch(TIME, item["updated_at"])
    listed = (await client.get("/app/list", headers=tenant.headers)).json()["apps"][0]
    assert listed["Reports"] is True


async def test_an_admin_without_keys_lists_null(client):
    headers = await admin_headers(client)
    await create_app(client, headers, "quiet")
    assert_body(await client.get("/report-keys/list", headers=headers), 200, '{"report_keys":null}')


async def test_the_keys_are_listed_with_reports_off(client_factory):
    async with client_factory(FAYNOSYNC_API_LEVEL="2.1") as client:
        headers = await admin_headers(client)
        app_id = await create_app(client, headers, "testapp", reports="true")
        (item,) = (await client.get("/report-keys/list", headers=headers)).json()["report_keys"]
        assert item["app_id"] == app_id
        response = await client.get("/reports/groups", headers=headers)
        assert response.status_code == 404
        response = await client.post("/reports/ingest", json=event())
        assert_error(response, 401, "missing authorization header")


async def test_team_users_see_the_keys_of_their_apps(app, client, tenant):
    other = await create_app(client, tenant.headers, "otherapp", reports="true")
    await add_team_user(app, "none", "pw", apps=AppPermissions(edit=True))
    await add_team_user(app, "bad", "pw", apps=AppPermissions(edit=True, allowed=["nothex"]))
    await add_team_user(app, "one", "pw", apps=AppPermissions(edit=True, allowed=[other]))
    await add_team_user(app, "viewer", "pw", apps=AppPermissions(download=True, allowed=[other]))
    for name in ("none", "bad"):
        response = await client.get(
            "/report-keys/list", headers=bearer(await login(client, name, "pw"))
        )
        assert_body(response, 200, '{"report_keys":[]}')
    response = await client.get(
        "/report-keys/list", headers=bearer(await login(client, "one", "pw"))
    )
    assert [k["app_id"] for k in response.json()["report_keys"]] == [other]
    response = await client.get(
        "/report-keys/list", headers=bearer(await login(client, "viewer", "pw"))
    )
    assert_error(response, 403, "Permission denied")


async def test_keys_of_deleted_apps_are_not_listed(client, tenant):
    response = await client.delete(f"/app/delete?id={tenant.app_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert_body(
        await client.get("/report-keys/list", headers=tenant.headers), 200, '{"report_keys":null}'
    )
    assert_error(await tenant.send(), 401, "invalid report key")


async def test_regenerate(client, tenant):
    path = "/report-keys/regenerate"
    response = await client.post(path, json={"app_id": tenant.app_id}, headers=tenant.headers)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["app_id", "key_value"] and body["app_id"] == tenant.app_id
    assert KEY.fullmatch(body["key_value"]) and body["key_value"] != tenant.key
    assert await key_of(client, tenant.headers, tenant.app_id) == body["key_value"]
    assert_error(await tenant.send(), 401, "invalid report key")
    assert (await tenant.send(key=body["key_value"])).status_code == 202


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 400, "Invalid request body"),
        ("not json", 400, "Invalid request body"),
        ({"app_id": "xyz"}, 400, "Invalid app ID format"),
        ({"app_id": "0" * 24}, 500, "app not found"),
    ],
)
async def test_regenerate_refusals(client, tenant, body, status, error):
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    response = await client.post("/report-keys/regenerate", headers=tenant.headers, **kwargs)
    assert_error(response, status, error)


async def test_regenerate_refusals_of_apps(app, client, tenant):
    path = "/report-keys/regenerate"
    quiet = await create_app(client, tenant.headers, "quiet")
    response = await client.post(path, json={"app_id": quiet}, headers=tenant.headers)
    assert_error(response, 500, "reports are disabled for this app")
    await store_of(app).reports.delete_key(tenant.app_id, "admin")
    response = await client.post(path, json={"app_id": tenant.app_id}, headers=tenant.headers)
    assert_error(response, 500, f"report key for app {tenant.app_id} not found")
    mallory = await admin_headers(client, "mallory")
    response = await client.post(path, json={"app_id": quiet}, headers=mallory)
    assert_error(response, 500, "app not found")
    await add_team_user(app, "eve", "pw", apps=AppPermissions(edit=True))
    response = await client.post(
        path, json={"app_id": quiet}, headers=bearer(await login(client, "eve", "pw"))
    )
    assert_error(response, 500, "you don't have access to this app")


async def test_switching_reports_off_and_on(client, tenant):
    def form(reports: str) -> dict[str, Any]:
        data = {"id": tenant.app_id, "app": "testapp", "reports": reports}
        return {"files": {"data": (None, gojson.dumps(data))}}

    response = await client.post("/app/update", headers=tenant.headers, **form("false"))
    assert response.status_code == 200, response.text
    assert_body(
        await client.get("/report-keys/list", headers=tenant.headers), 200, '{"report_keys":null}'
    )
    assert_error(await tenant.send(), 401, "invalid report key")
    await client.post("/app/update", headers=tenant.headers, **form("true"))
    new = await key_of(client, tenant.headers, tenant.app_id)
    assert new != tenant.key
    # Without the field, the flag and the key stay.
    data = {"id": tenant.app_id, "app": "testapp"}
    await client.post(
        "/app/update", headers=tenant.headers, files={"data": (None, gojson.dumps(data))}
    )
    assert await key_of(client, tenant.headers, tenant.app_id) == new


async def test_a_team_user_without_edit_cannot_create_an_app_with_reports(app, client):
    headers = await admin_headers(client)
    await add_team_user(app, "maker", "pw", apps=AppPermissions(create=True))
    maker = bearer(await login(client, "maker", "pw"))
    response = await client.post(
        "/app/create",
        files={"data": (None, gojson.dumps({"app": "made", "reports": "true"}))},
        headers=maker,
    )
    assert_error(response, 500, "you don't have permission to edit apps")
    assert (await client.get("/app/list", headers=headers)).json()["apps"] is None


# --- ingest -----------------------------------------------------------------------------------


async def test_ingest_accepts_and_groups(stored):
    body = event(details=details())
    response = await stored.send(body)
    expected = {"status": "accepted", "group_hash": hash_of(body), "stored_details": True}
    assert_body(response, 202, json.dumps(expected, separators=(",", ":")))
    (group,) = (await stored.groups())["items"]
    assert list(group) == [
        "id",
        "group_hash",
        "app_id",
        "application",
        "system",
        "event",
        "stats",
        "status",
        "created_at",
        "updated_at",
    ]
    assert group["application"] == body["application"] and group["system"] == body["system"]
    assert group["stats"]["count"] == 1 and group["stats"]["details_stored"] == 1
    assert list(group["stats"]) == [
        "count",
        "first_seen",
        "last_seen",
        "details_stored",
        "details_rejected",
    ]
    response = await stored.client.get(
        f"/reports/groups/{hash_of(body)}/blobs", headers=stored.headers
    )
    (blob,) = response.json()["items"]
    assert list(blob) == [
        "id",
        "group_hash",
        "app_id",
        "application",
        "system",
        "event",
        "storage",
        "created_at",
        "expires_at",
        "url",
    ]
    assert blob["storage"]["content_type"] == "application/json"
    assert blob["storage"]["encoding"] == "gzip"
    key = blob["storage"]["key"]
    day = datetime.now(UTC)
    assert re.fullmatch(
        rf"reports/testapp/{day:%Y/%m/%d}/{hash_of(body)}-[0-9a-f]{{16}}\.json\.gz", key
    )
    assert blob["storage"]["driver"] == (stored.settings.STORAGE_DRIVER or "local")
    assert gzip.decompress(read_object(stored.settings, "private", key)) == b'{"stack":"main.go:1"}'
    if not stored.settings.STORAGE_DRIVER:  # moto does not serve presigned links' signatures
        fetched = await stored.client.get(blob["url"].removeprefix("http://localhost:9000"))
        assert fetched.status_code == 200
        assert gzip.decompress(fetched.content) == b'{"stack":"main.go:1"}'


async def test_ingest_without_details(tenant):
    response = await tenant.send()
    assert response.json()["stored_details"] is False
    assert stored_objects(tenant.settings) == set()


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"Authorization": ""}, 401, "invalid report key"),
        ({"Authorization": "Bearer   "}, 401, "invalid report key"),
        ({"Authorization": "Basic abc"}, 401, "invalid report key"),
        ({"X-Device-ID": " "}, 400, "missing X-Device-ID"),
        ({"Authorization": "Bearer rpk_" + "0" * 64}, 401, "invalid report key"),
        ({"Authorization": "Bearer fns_" + "0" * 64}, 401, "invalid report key"),
        ({"Authorization": "Bearer " + "x" * 5000}, 401, "invalid report key"),
    ],
)
async def test_ingest_refuses_keys(tenant, headers, status, error):
    assert_error(await tenant.send(headers=headers), status, error)


async def test_the_bearer_prefix_is_read_in_any_case(tenant):
    response = await tenant.send(headers={"Authorization": f"bEaReR   {tenant.key}  "})
    assert response.status_code == 202


async def test_ingest_refuses_an_app_with_reports_off(app, tenant):
    """A key left behind with the flag off (FaynoSync's data) is refused with 403."""
    quiet = await create_app(tenant.client, tenant.headers, "quiet")
    raw = "rpk_" + "1" * 64
    now = datetime.now(UTC)
    await store_of(app).reports.insert_key(
        ReportKey(
            id=new_id(), app_id=quiet, owner="admin", key_value=raw, created_at=now, updated_at=now
        )
    )
    assert_error(await tenant.send(key=raw), 403, "reports are disabled for this app")


async def test_the_body_limit(client_factory):
    async with client_factory(**REPORTS, REPORTS_MAX_BODY_BYTES="300") as client:
        headers = await admin_headers(client)
        app_id = await create_app(client, headers, "testapp", reports="true")
        key = await key_of(client, headers, app_id)
        sent = {"Authorization": f"Bearer {key}", "X-Device-ID": "d"}
        big = gojson.dumps(event(padding="x" * 400)).encode()
        response = await client.post("/reports/ingest", content=big, headers=sent)
        assert_error(response, 413, "request body too large")

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(100):
                yield b" " * 100

        response = await client.post("/reports/ingest", content=chunks(), headers=sent)
        assert_error(response, 413, "request body too large")
        small = gojson.dumps(event()).encode()
        response = await client.post("/reports/ingest", content=small, headers=sent)
        assert response.status_code == 202
        # The key is checked before the body is read.
        response = await client.post(
            "/reports/ingest", content=big, headers={**sent, "Authorization": "Bearer x"}
        )
        assert_error(response, 401, "invalid report key")


@pytest.mark.parametrize(
    "content",
    ["", "not json", "[]", '{"application": "x"}', '{"event": {"type": 5}}', '"\\ud800"'],
)
async def test_ingest_refuses_bodies(tenant, content):
    response = await tenant.send(content=content.encode())
    assert_error(response, 400, "invalid request body")


async def test_only_the_first_json_value_and_known_fields_are_read(tenant):
    text = gojson.dumps(event(extra={"x": 1})) + " garbage"
    assert (await tenant.send(content=text.encode())).status_code == 202


FIELDS = [
    ("application__name", "application.name"),
    ("application__version", "application.version"),
    ("application__channel", "application.channel"),
    ("system__platform", "system.platform"),
    ("system__arch", "system.arch"),
    ("event__type", "event.type"),
    ("event__reason", "event.reason"),
]


@pytest.mark.parametrize(("path", "label"), FIELDS)
async def test_each_field_is_required_in_order(tenant, path, label):
    index = FIELDS.index((path, label))
    later = {p: "!" for p, _ in FIELDS[index + 1 :]}  # invalid, but checked after
    response = await tenant.send(event(**{path: ""}, **later))
    assert_error(response, 400, f"missing {label}")


@pytest.mark.parametrize(
    ("path", "value", "label"),
    [
        ("application__name", "test/app", "application.name"),
        ("application__version", "1.0a", "application.version"),
        ("application__channel", "sta-ble", "application.channel"),
        ("system__platform", "win_dows", "system.platform"),
        ("system__arch", "amd-64", "system.arch"),
        ("event__type", "explosion", "event.type"),
        ("event__reason", "a" * 129, "event.reason"),
        ("event__reason", "bad reason", "event.reason"),
        ("event__reason", "\ud800", "event.reason"),
    ],
)
async def test_each_field_is_checked(tenant, path, value, label):
    text = json.dumps(event(**{path: value}))  # a lone surrogate as its JSON escape
    assert_error(await tenant.send(content=text.encode()), 400, f"invalid {label}")


async def test_the_key_must_be_the_apps(tenant):
    await create_app(tenant.client, tenant.headers, "otherapp")
    response = await tenant.send(event(application__name="otherapp"))
    assert_error(response, 403, "report key does not belong to this application")


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"encoding": "gzip"}, 400, "unsupported details encoding"),
        ({"content_type": "text/plain"}, 400, "unsupported details content_type"),
        ({"payload": "not base64!"}, 400, "invalid details payload encoding"),
        ({"payload": "QUJD"}, 400, "invalid details payload"),
        ({"payload": "QUJD\nRA=="}, 400, "invalid details payload"),
        ({"payload": "QQ"}, 400, "invalid details payload encoding"),
        ({"payload": "A" * 200_000}, 413, "compressed details too large"),
    ],
)
async def test_details_refusals_count_the_group(tenant, changes, status, error):
    body = event(details=details(**changes))
    assert_error(await tenant.send(body), status, error)
    (group,) = (await tenant.groups())["items"]
    assert group["stats"]["count"] == 1 and group["stats"]["details_rejected"] == 1
    assert stored_objects(tenant.settings) == set()


async def test_null_details_are_absent(tenant):
    response = await tenant.send(event(details=None))
    assert response.json()["stored_details"] is False


async def test_compressed_size_after_decoding(client_factory):
    async with client_factory(**REPORTS, REPORTS_MAX_DETAILS_COMPRESSED_BYTES="30") as client:
        headers = await admin_headers(client)
        app_id = await create_app(client, headers, "testapp", reports="true")
        key = await key_of(client, headers, app_id)
        sent = {"Authorization": f"Bearer {key}", "X-Device-ID": "d"}
        payload = base64.b64encode(b"\x1f\x8b" + bytes(29)).decode()  # 31 bytes, 44 characters
        body = event(details=details(payload=payload))
        response = await client.post("/reports/ingest", json=body, headers=sent)
        assert_error(response, 413, "compressed details too large")


async def test_a_gzip_bomb_is_refused_without_inflating_it(tenant):
    bomb = gzip.compress(bytes(50 * 1024 * 1024), compresslevel=9)  # 50 MiB in about 50 KiB
    body = event(details=details(payload=base64.b64encode(bomb).decode()))
    assert_error(await tenant.send(body), 413, "decompressed details too large")


async def test_gzip_members_and_truncation(tenant):
    two = gzip.compress(b'{"a":') + gzip.compress(b"1}")
    body = event(details=details(payload=base64.b64encode(two).decode()))
    response = await tenant.send(body)
    assert response.json()["stored_details"] is True
    truncated = gzip.compress(b'{"stack":"' + b"x" * 1000 + b'"}')[:-10]
    body = event(details=details(payload=base64.b64encode(truncated).decode()))
    assert_error(await tenant.send(body, device="d2"), 400, "invalid details payload")
    trailing = gzip.compress(b"{}") + b"garbage"
    body = event(details=details(payload=base64.b64encode(trailing).decode()))
    assert_error(await tenant.send(body, device="d3"), 400, "invalid details payload")
    raw_deflate = zlib.compress(b"{}")
    body = event(details=details(payload=base64.b64encode(raw_deflate).decode()))
    assert_error(await tenant.send(body, device="d4"), 400, "invalid details payload")


async def test_the_decompressed_limit_is_exact(client_factory):
    async with client_factory(**REPORTS, REPORTS_MAX_DETAILS_DECOMPRESSED_BYTES="100") as client:
        headers = await admin_headers(client)
        app_id = await create_app(client, headers, "testapp", reports="true")
        key = await key_of(client, headers, app_id)
        for device, size, status in (("a", 100, 202), ("b", 101, 413)):
            sent = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
            body = event(details=details(b"x" * size))
            response = await client.post("/reports/ingest", json=body, headers=sent)
            assert response.status_code == status, response.text


async def test_old_blobs_beyond_the_cap_go(client_factory, settings_factory):
    async with client_factory(**REPORTS, REPORTS_MAX_BLOBS_PER_GROUP="2") as client:
        headers = await admin_headers(client)
        app_id = await create_app(client, headers, "testapp", reports="true")
        key = await key_of(client, headers, app_id)
        body = event(details=details())
        for device in ("a", "b", "c"):
            sent = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
            assert (await client.post("/reports/ingest", json=body, headers=sent)).json()[
                "stored_details"
            ]
        blobs = await client.get(f"/reports/groups/{hash_of(body)}/blobs", headers=headers)
        assert len(blobs.json()["items"]) == 2
        (group,) = (await client.get("/reports/groups", headers=headers)).json()["items"]
        assert group["stats"]["details_stored"] == 3


async def test_storage_failure_keeps_the_report(client_factory, tmp_path):
    """The private bucket cannot be written: 202 without details, counted as rejected."""
    async with client_factory(
        **REPORTS, STORAGE_DRIVER="minio", S3_ENDPOINT="127.0.0.1:9", S3_BUCKET_NAME="p"
    ) as client:
        headers = await admin_headers(client)
        app_id = await create_app(client, headers, "testapp", reports="true")
        key = await key_of(client, headers, app_id)
        sent = {"Authorization": f"Bearer {key}", "X-Device-ID": "d"}
        response = await client.post("/reports/ingest", json=event(details=details()), headers=sent)
        assert response.status_code == 202 and response.json()["stored_details"] is False
        (group,) = (await client.get("/reports/groups", headers=headers)).json()["items"]
        assert group["stats"]["details_rejected"] == 1


async def test_reports_leave_the_update_check_caches_alone(settings_factory):
    """An ingest, a triage and a key regenerated change no update check: the response cache
    and the other processes' caches are not cleared (ingests come at the rate apps crash)."""
    settings = settings_factory(**REPORTS, PERFORMANCE_MODE="true")
    async with running(settings) as (app, client):
        tenant = await tenant_of(app, client, settings)
        cache, changes = app.state.cache, app.state.store.changes
        generation, count = cache.generation, await changes.count()
        assert (await tenant.send()).status_code == 202
        group = hash_of(event())
        patch = {"status": "resolved"}
        url = f"/reports/groups/{group}"
        assert (await client.patch(url, json=patch, headers=tenant.headers)).status_code == 200
        regenerate = {"app_id": tenant.app_id}
        answer = await client.post(
            "/report-keys/regenerate", json=regenerate, headers=tenant.headers
        )
        assert answer.status_code == 200, answer.text
        assert (cache.generation, await changes.count()) == (generation, count)
        # A write that may change a check still clears them.
        await create_app(client, tenant.headers, "otherapp")
        assert cache.generation != generation
        assert await changes.count() != count


# --- rate limits ------------------------------------------------------------------------------


async def within_one_minute_window(margin: float = 10.0) -> None:
    """Wait for the next minute when less than ``margin`` seconds of this one are left.

    The limits count in fixed windows (as FaynoSync's Redis counters do): sends that straddle
    a window's end are counted afresh after it, and a test counting up to a limit would see
    its last send accepted.
    """
    left = 60 - time.time() % 60
    if left < margin:
        await asyncio.sleep(left + 0.05)


async def test_one_report_per_device_group_and_hour(tenant):
    assert (await tenant.send()).status_code == 202
    assert_error(await tenant.send(), 429, "rate limit exceeded")
    assert (await tenant.send(device="device-2")).status_code == 202
    other = event(event__reason="SIGABRT")
    assert (await tenant.send(other)).status_code == 202


async def test_thirty_reports_per_group_and_minute(tenant):
    await within_one_minute_window()
    for n in range(30):
        assert (await tenant.send(device=f"d{n}")).status_code == 202
    assert_error(await tenant.send(device="d30"), 429, "rate limit exceeded")
    (group,) = (await tenant.groups())["items"]
    assert group["stats"]["count"] == 30


@pytest.mark.parametrize("where", ["process", "store"])
async def test_the_limits_per_key_address_and_tenant(client_factory, where):
    limits = {
        "REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE": "3",
        "FAYNOSYNC_REPORTS_PER_IP_PER_MINUTE": "5",
        "FAYNOSYNC_REPORTS_PER_TENANT_PER_HOUR": "7",
        "FAYNOSYNC_REPORTS_LIMITS": where,
    }
    async with client_factory(**REPORTS, **limits) as client:
        headers = await admin_headers(client)
        keys = []
        for name in ("one", "two", "three"):
            app_id = await create_app(client, headers, name, reports="true")
            keys.append((name, await key_of(client, headers, app_id)))

        async def send(name: str, key: str, n: int, ip: str = "10.0.0.1") -> int:
            response = await client.post(
                "/reports/ingest",
                json=event(application__name=name),
                headers={"Authorization": f"Bearer {key}", "X-Device-ID": f"d{n}"},
                extensions={},
            )
            return response.status_code

        mallory = await admin_headers(client, "mallory")
        mallory_key = await key_of(
            client, mallory, await create_app(client, mallory, "mine", reports="true")
        )
        await within_one_minute_window()
        statuses = [await send(*keys[0], n) for n in range(4)]
        assert statuses == [202, 202, 202, 429]  # per key
        statuses = [await send(*keys[1], n) for n in range(3)]
        assert statuses == [202, 202, 429]  # per address: 5 of the 6 counted
        assert await send("mine", mallory_key, 0) == 429


async def test_the_tenant_limit_is_per_tenant(client_factory):
    limits = {"FAYNOSYNC_REPORTS_PER_TENANT_PER_HOUR": "2"}
    async with client_factory(**REPORTS, **limits) as client:
        sent = []
        for admin in ("alice", "mallory"):
            headers = await admin_headers(client, admin)
            app_id = await create_app(client, headers, "testapp", reports="true")
            key = await key_of(client, headers, app_id)
            for n in range(3):
                response = await client.post(
                    "/reports/ingest",
                    json=event(),
                    headers={"Authorization": f"Bearer {key}", "X-Device-ID": f"d{n}"},
                )
                sent.append(response.status_code)
        assert sent == [202, 202, 429, 202, 202, 429]


async def test_the_group_limit_is_not_shared_across_tenants(app, client, settings):
    alice = await tenant_of(app, client, settings, "alice")
    mallory = await tenant_of(app, client, settings, "mallory")
    await within_one_minute_window()
    for n in range(30):
        assert (await mallory.send(device=f"d{n}")).status_code == 202
    assert (await mallory.send(device="d30")).status_code == 429
    # The same app name, the same report, the same hash: Alice's group is hers.
    assert (await alice.send(device="d0")).status_code == 202
    assert (await alice.groups())["items"][0]["stats"]["count"] == 1


# --- groups -----------------------------------------------------------------------------------


async def test_groups_are_filtered_and_paged(tenant):
    bodies = [
        event(event__reason="A"),
        event(event__reason="B", application__version="2.0"),
        event(event__reason="C", system__platform="linux", event__type="update_failure"),
    ]
    for body in bodies:
        assert (await tenant.send(body)).status_code == 202
        await asyncio.sleep(0.002)
    listed = await tenant.groups()
    assert [g["event"]["reason"] for g in listed["items"]] == ["C", "B", "A"]
    assert listed["total"] == 3 and listed["page"] == 1 and listed["limit"] == 20
    assert list(listed) == ["items", "total", "page", "limit"]
    page = await tenant.groups(page=2, limit=2)
    assert [g["event"]["reason"] for g in page["items"]] == ["A"] and page["total"] == 3
    assert (await tenant.groups(page="x", limit="-1"))["limit"] == 20
    assert (await tenant.groups(page=9))["items"] == []
    for query, reasons in (
        ({"version": "2.0"}, ["B"]),
        ({"platform": "linux"}, ["C"]),
        ({"type": "update_failure"}, ["C"]),
        ({"reason": "A", "app": "testapp", "channel": "stable", "arch": "amd64"}, ["A"]),
        ({"app": "other"}, []),
        ({"status": "open"}, ["C", "B", "A"]),
        ({"status": "all"}, ["C", "B", "A"]),
        ({"status": "muted"}, []),
        ({"from": "2999-01-01T00:00:00Z"}, []),
        ({"to": "2000-01-01T00:00:00Z"}, []),
        ({"from": "2000-01-01T00:00:00+02:00", "to": "not a time"}, ["C", "B", "A"]),
        ({"from": "2000-01-01"}, ["C", "B", "A"]),
    ):
        found = await tenant.groups(**query)
        assert [g["event"]["reason"] for g in found["items"]] == reasons, query


async def test_groups_refuse_a_bad_status(client, tenant):
    response = await client.get("/reports/groups?status=closed", headers=tenant.headers)
    assert_error(response, 400, "invalid status")


async def test_an_empty_list(client, tenant):
    assert_body(
        await client.get("/reports/groups", headers=tenant.headers),
        200,
        '{"items":[],"total":0,"page":1,"limit":20}',
    )


async def test_triage(client, tenant):
    body = event()
    group = hash_of(body)
    await tenant.send(body)
    path = f"/reports/groups/{group}"
    response = await client.patch(
        path,
        json={"status": "resolved", "tags": ["v1.x", "ui"], "note": "fixed"},
        headers=tenant.headers,
    )
    assert_body(response, 200, f'{{"group_hash":"{group}","updated":true}}')
    (item,) = (await tenant.groups(status="resolved"))["items"]
    assert item["status"] == "resolved" and item["tags"] == ["v1.x", "ui"]
    assert item["note"] == "fixed" and item["resolved_by"] == "admin"
    assert re.fullmatch(TIME, item["resolved_at"])
    assert list(item)[-7:] == [
        "status",
        "tags",
        "note",
        "resolved_at",
        "resolved_by",
        "created_at",
        "updated_at",
    ]
    # A new report reopens it; tags and note stay.
    await tenant.send(body, device="device-2")
    (item,) = (await tenant.groups(status="open"))["items"]
    assert (
        "resolved_at" not in item and "resolved_by" not in item and item["tags"] == ["v1.x", "ui"]
    )
    assert item["stats"]["count"] == 2
    await client.patch(
        path, json={"status": "muted", "tags": [], "note": ""}, headers=tenant.headers
    )
    (item,) = (await tenant.groups(status="muted"))["items"]
    assert "tags" not in item and "note" not in item
    await tenant.send(body, device="device-3")
    assert (await tenant.groups(status="muted"))["total"] == 1  # muted stays muted


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("x" * 64, {"status": "open"}, 400, "invalid group hash"),
        ("A" * 64, {"status": "open"}, 400, "invalid group hash"),
        ("a" * 63, "not json", 400, "invalid group hash"),
        ("a" * 64, "not json", 400, "invalid request body"),
        ("a" * 64, {"tags": "x"}, 400, "invalid request body"),
        ("a" * 64, {}, 400, "no fields to update"),
        ("a" * 64, {"status": None, "tags": None, "note": None}, 400, "no fields to update"),
        ("a" * 64, {"status": "closed"}, 400, "invalid status"),
        ("a" * 64, {"tags": ["ok"] * 21}, 400, "invalid tags"),
        ("a" * 64, {"tags": ["no spaces"]}, 400, "invalid tags"),
        ("a" * 64, {"tags": ["x" * 65]}, 400, "invalid tags"),
        ("a" * 64, {"note": "é" * 1001}, 400, "note too long"),
        ("a" * 64, {"note": "x" * 2000}, 404, "report group not found"),
        ("a" * 64, {"status": "open"}, 404, "report group not found"),
    ],
)
async def test_triage_refusals(client, tenant, path, body, status, error):
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    response = await client.patch(f"/reports/groups/{path}", headers=tenant.headers, **kwargs)
    assert_error(response, status, error)


async def test_delete_a_group_and_its_blobs(stored):
    body = event(details=details())
    group = hash_of(body)
    await stored.send(body)
    await stored.send(event(event__reason="other", details=details()))
    assert len(stored_objects(stored.settings)) == 2
    path = f"/reports/groups/{group}"
    response = await stored.client.delete(path, headers=stored.headers)
    assert_body(response, 200, f'{{"deleted":true,"group_hash":"{group}"}}')
    assert len(stored_objects(stored.settings)) == 1
    assert (await stored.groups())["total"] == 1
    assert_error(
        await stored.client.delete(path, headers=stored.headers), 404, "report group not found"
    )
    response = await stored.client.delete("/reports/groups/xyz", headers=stored.headers)
    assert_error(response, 400, "invalid group hash")
    response = await stored.client.get("/reports/groups/xyz/blobs", headers=stored.headers)
    assert_error(response, 400, "invalid group hash")
    response = await stored.client.get(f"{path}/blobs", headers=stored.headers)
    assert_body(response, 200, '{"items":[]}')


async def test_the_guards(app, client, tenant):
    body = event()
    await tenant.send(body)
    path = f"/reports/groups/{hash_of(body)}"
    await add_team_user(app, "nobody", "pw")
    nobody = bearer(await login(client, "nobody", "pw"))
    for method, url in (
        ("GET", "/reports/groups"),
        ("GET", f"{path}/blobs"),
        ("PATCH", path),
        ("DELETE", path),
        ("GET", "/report-keys/list"),
        ("POST", "/report-keys/regenerate"),
    ):
        response = await client.request(method, url, headers=nobody, json={"status": "open"})
        assert_error(response, 403, "Permission denied")
        response = await client.request(method, url, json={"status": "open"})
        assert_error(response, 401, "missing authorization header")


async def test_team_users_see_their_apps_groups_only(app, client, tenant):
    other = await create_app(client, tenant.headers, "otherapp", reports="true")
    other_key = await key_of(client, tenant.headers, other)
    await tenant.send(event(details=details()))
    await tenant.send(event(application__name="otherapp"), key=other_key)
    every = AppPermissions(download=True, edit=True, delete=True, allowed=[other])
    await add_team_user(app, "mate", "pw", apps=every)
    await add_team_user(
        app, "empty", "pw", apps=AppPermissions(download=True, edit=True, delete=True)
    )
    mate = bearer(await login(client, "mate", "pw"))
    empty = bearer(await login(client, "empty", "pw"))
    assert [g["application"]["name"] for g in (await tenant.groups(mate))["items"]] == ["otherapp"]
    assert (await tenant.groups(empty))["items"] == []
    mine = f"/reports/groups/{hash_of(event())}"
    for headers in (mate, empty):
        assert (await client.get(f"{mine}/blobs", headers=headers)).json() == {"items": []}
        response = await client.patch(mine, json={"status": "muted"}, headers=headers)
        assert_error(response, 404, "report group not found")
        response = await client.delete(mine, headers=headers)
        assert_error(response, 404, "report group not found")
    response = await client.patch(
        f"/reports/groups/{hash_of(event(application__name='otherapp'))}",
        json={"status": "resolved"},
        headers=mate,
    )
    assert response.status_code == 200
    assert (await tenant.groups(status="resolved"))["items"][0]["resolved_by"] == "mate"


async def test_two_admins_never_see_each_others_reports(app, client, settings):
    alice = await tenant_of(app, client, settings, "alice")
    mallory = await tenant_of(app, client, settings, "mallory")
    body = event(details=details())
    group = hash_of(body)
    await alice.send(body)
    assert (await mallory.groups())["items"] == []
    path = f"/reports/groups/{group}"
    assert (await client.get(f"{path}/blobs", headers=mallory.headers)).json() == {"items": []}
    for method in ("PATCH", "DELETE"):
        response = await client.request(
            method, path, json={"status": "muted"}, headers=mallory.headers
        )
        assert_error(response, 404, "report group not found")
    keys = (await client.get("/report-keys/list", headers=mallory.headers)).json()["report_keys"]
    assert [k["key_value"] for k in keys] == [mallory.key]
    response = await client.post(
        "/report-keys/regenerate", json={"app_id": alice.app_id}, headers=mallory.headers
    )
    assert_error(response, 500, "app not found")
    # Mallory's key names an app called testapp too, but reports into her own group.
    await mallory.send(body)
    assert (await alice.groups())["items"][0]["stats"]["count"] == 1
    assert (await mallory.groups())["items"][0]["stats"]["count"] == 1
    (blob,) = (await client.get(f"{path}/blobs", headers=alice.headers)).json()["items"]
    assert blob["app_id"] == alice.app_id


async def test_concurrent_first_reports_make_one_group(tenant):
    responses = await asyncio.gather(*(tenant.send(device=f"d{n}") for n in range(8)))
    assert [r.status_code for r in responses] == [202] * 8
    (group,) = (await tenant.groups())["items"]
    assert group["stats"]["count"] == 8


async def test_expired_blobs_are_not_shown(app, tenant):
    body = event(details=details())
    await tenant.send(body)
    store = store_of(app)
    (blob,) = await store.reports.blobs(
        "admin", None, hash_of(body), limit=5, now=datetime.now(UTC)
    )
    later = datetime.now(UTC) + timedelta(days=31)
    assert await store.reports.blobs("admin", None, hash_of(body), limit=5, now=later) == []
    excess = await store.reports.excess_blobs(tenant.app_id, hash_of(body), keep=5, now=later)
    assert [b.id for b in excess] == [blob.id]
    assert [k async for k in store.reports.blob_keys()] == [blob.key]


async def test_the_store_counters_add_up(app):
    store = store_of(app)
    until = datetime.now(UTC) + timedelta(minutes=1)
    values = await asyncio.gather(*(store.reports.hit("c", until) for _ in range(5)))
    assert sorted(values) == [1, 2, 3, 4, 5]
    assert await store.reports.hit("d", until) == 1


async def test_groups_of_a_kind_that_is_not_an_app(app, tenant):
    """A key whose app_id names a channel is an orphan: refused."""
    channel = await store_of(app).meta.list(Kind.CHANNEL, "admin")
    assert channel == []


async def test_fsck_knows_the_details_objects(stored):
    body = event(details=details())
    await stored.send(body)
    store, storage = stored.app.state.store, stored.app.state.storage
    report = await check(store, storage, staging=None, grace=0)
    assert report.clean, report.problems
    (blob,) = await store.reports.blobs(
        "admin", None, hash_of(body), limit=5, now=datetime.now(UTC)
    )
    await storage.delete(blob.key, private=True)
    report = await check(store, storage, staging=None, grace=0)
    assert [(f.problem, f.key) for f in report.problems] == [(Problem.DANGLING, blob.key)]


@pytest.mark.parametrize(
    "query",
    [
        "page=9223372036854775807&limit=9223372036854775807",
        "page=99999999999999999999&limit=0",
        "app=%ED%A0%80&reason=%00&from=%FF",
        "version=" + "9" * 10000,
    ],
)
async def test_groups_with_hostile_queries(client, tenant, query):
    await tenant.send()
    response = await client.get(f"/reports/groups?{query}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["total"] in (0, 1)


async def test_hostile_headers_and_fields(tenant):
    response = await tenant.send(headers={"X-Device-ID": b"\xff" * 4000})
    assert response.status_code == 202
    response = await tenant.send(headers={"Authorization": b"Bearer rpk_\xe9"})
    assert_error(response, 401, "invalid report key")
    text = json.dumps({"note": "\ud800", "tags": ["\ud800"]})
    await tenant.send()
    response = await tenant.client.patch(
        f"/reports/groups/{hash_of(event())}", content=text.encode(), headers=tenant.headers
    )
    assert_error(response, 400, "invalid tags")
    text = json.dumps({"note": "\ud800 \x00"})
    response = await tenant.client.patch(
        f"/reports/groups/{hash_of(event())}", content=text.encode(), headers=tenant.headers
    )
    assert response.status_code == 200
    (group,) = (await tenant.groups())["items"]
    assert group["note"] == "\ufffd \x00"


async def test_the_routes_are_documented(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    ingest = paths["/reports/ingest"]["post"]
    assert "security" not in ingest and "202" in ingest["responses"]
    assert "application/json" in ingest["requestBody"]["content"]
    for path, method in (
        ("/report-keys/list", "get"),
        ("/report-keys/regenerate", "post"),
        ("/reports/groups", "get"),
        ("/reports/groups/{groupHash}/blobs", "get"),
        ("/reports/groups/{groupHash}", "patch"),
        ("/reports/groups/{groupHash}", "delete"),
    ):
        operation = paths[path][method]
        assert operation["security"] == [{"bearerAuth": []}], path
        assert {"401", "403"} <= set(operation["responses"]), path


async def test_expired_details_of_any_group_go_with_the_next_stored(stored):
    body = event(details=details())
    await stored.send(body)
    store, storage = stored.app.state.store, stored.app.state.storage
    (old,) = await store.reports.blobs("admin", None, hash_of(body), limit=5, now=datetime.now(UTC))
    await store.reports.delete_blobs([old.id])
    old.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    await store.reports.insert_blob(old)  # as if kept past its retention
    assert len(stored_objects(stored.settings)) == 1
    await stored.send(event(event__reason="other", details=details()))
    assert old.key not in [k async for k in store.reports.blob_keys()]
    if stored.settings.uses_mongo:
        # MongoDB's TTL index may have removed the document first: its object is then an
        # orphan, which fsck --delete-orphans removes (as a bucket's lifecycle rule would).
        report = await check(store, storage, staging=None, grace=0, remove=True)
        assert [f.key for f in report.problems if f.problem is Problem.ORPHAN] in ([], [old.key])
    assert ("private", old.key) not in stored_objects(stored.settings)
    assert len(stored_objects(stored.settings)) == 1


async def test_two_processes_share_the_limits_through_the_store(settings_factory):
    """Two servers on one database (as --workers or replicas): one count for both."""
    settings = settings_factory(
        **REPORTS,
        REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE="3",
        FAYNOSYNC_WORKERS="2",  # as `serve --workers 2` sets it: counters in the store
    )
    async with running(settings) as (_, first), running(settings) as (_, second):
        headers = await admin_headers(first)
        app_id = await create_app(first, headers, "testapp", reports="true")
        key = await key_of(first, headers, app_id)
        statuses = []
        for n, client in enumerate((first, second, first, second)):
            response = await client.post(
                "/reports/ingest",
                json=event(),
                headers={"Authorization": f"Bearer {key}", "X-Device-ID": f"d{n}"},
            )
            statuses.append(response.status_code)
        assert statuses == [202, 202, 202, 429]


async def test_switching_reports_on_keeps_a_key_left_behind(app, client, tenant):
    quiet = await create_app(client, tenant.headers, "quiet")
    raw = "rpk_" + "2" * 64
    now = datetime.now(UTC)
    await store_of(app).reports.insert_key(
        ReportKey(
            id=new_id(), app_id=quiet, owner="admin", key_value=raw, created_at=now, updated_at=now
        )
    )
    data = {"id": quiet, "app": "quiet", "reports": "true"}
    response = await client.post(
        "/app/update", headers=tenant.headers, files={"data": (None, gojson.dumps(data))}
    )
    assert response.status_code == 200, response.text
    assert await key_of(client, tenant.headers, quiet) == raw
