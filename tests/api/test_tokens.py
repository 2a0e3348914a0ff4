"""API tokens for CI: /token/create, /token/list, /token/delete, and what a token may call
(FaynoSync v2.1's rules, with its reads limited to the token's apps)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from faynosync.core.ids import new_id
from faynosync.store.models import ApiToken
from tests.support.api import (
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    create,
    create_app,
    upload,
)
from tests.support.factories import catalog, store_of, target

RAW = re.compile(r"fns_[0-9a-f]{64}")
NOT_FOUND_OR_FORBIDDEN = (
    "app_name not found in apps_meta collection or you don't have permission to access it"
)


@pytest.fixture(params=["1.4.6", "2.1"])
def settings(settings_factory, request):
    """Tokens are served, and answer alike, at both API levels."""
    return settings_factory(FAYNOSYNC_API_LEVEL=request.param)


async def make_token(client, headers, apps, **extra) -> httpx.Response:
    return await client.post(
        "/token/create", json={"name": "ci", "allowed_apps": apps, **extra}, headers=headers
    )


async def stored_token(
    app, raw: str, allowed_apps: list[str], *, expires_at: datetime | None = None
) -> None:
    """The admin's token ``raw``, written straight into the store (as no route would)."""
    await store_of(app).api_tokens.insert(
        ApiToken(
            id=new_id(),
            name="seeded",
            token_hash=hashlib.sha256(raw.encode()).hexdigest(),
            token_prefix=raw[:12],
            owner="admin",
            allowed_apps=allowed_apps,
            expires_at=expires_at,
            created_at=datetime(2019, 1, 1, tzinfo=UTC),
        )
    )


@pytest.fixture
async def tenant(client):
    """An admin with two apps (testapp, otherapp) and a token for testapp."""
    headers = await admin_headers(client)
    ids = await catalog(client, headers, private=False)
    other = await create_app(client, headers, "otherapp")
    response = await make_token(client, headers, [ids.app])
    assert response.status_code == 201, response.text
    return headers, ids, other, response.json()


# --- /token/create ----------------------------------------------------------------------------


async def test_create_shows_the_token_once_and_keeps_its_hash(app, client, tenant):
    _, ids, _, body = tenant
    assert list(body) == [
        "allowed_apps",
        "created_at",
        "expires_at",
        "id",
        "name",
        "token",
        "token_prefix",
    ]
    assert RAW.fullmatch(body["token"])
    assert body["token_prefix"] == body["token"][:12]
    assert (body["allowed_apps"], body["expires_at"], body["name"]) == ([ids.app], None, "ci")
    # time.Now() in the server's zone, Go's RFC 3339 with the fraction trimmed
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)", body["created_at"]
    )
    stored = await store_of(app).api_tokens.get_by_hash(
        hashlib.sha256(body["token"].encode()).hexdigest()
    )
    assert stored is not None
    assert (stored.id, stored.owner, stored.token_prefix) == (
        body["id"],
        "admin",
        body["token_prefix"],
    )
    assert body["token"] not in repr(stored)


async def test_create_dedupes_apps_and_echoes_the_expiry_as_go_writes_it(client, tenant):
    headers, ids, other, _ = tenant
    response = await make_token(
        client, headers, [other, ids.app, other], expires_at="2099-01-02T03:04:05.120+02:00"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["allowed_apps"] == [other, ids.app]
    assert body["expires_at"] == "2099-01-02T03:04:05.12+02:00"
    response = await make_token(client, headers, [other], expires_at="2099-01-02T03:04:05+00:00")
    assert response.json()["expires_at"] == "2099-01-02T03:04:05Z"


@pytest.mark.parametrize(
    "body",
    [
        {"allowed_apps": ["APP"]},
        {"name": "", "allowed_apps": ["APP"]},
        {"name": "ci"},
        {"name": "ci", "allowed_apps": []},
        {"name": "ci", "allowed_apps": None},
        {"name": 5, "allowed_apps": ["APP"]},
        {"name": "ci", "allowed_apps": "APP"},
        {"name": "ci", "allowed_apps": [5]},
        {"name": "ci", "allowed_apps": ["APP"], "expires_at": "2099-01-01"},
        {"name": "ci", "allowed_apps": ["APP"], "expires_at": "2099-13-01T00:00:00Z"},
        {"name": "ci", "allowed_apps": ["APP"], "expires_at": "2099-01-01 00:00:00Z"},
        {"name": "ci", "allowed_apps": ["APP"], "expires_at": "2099-01-01T00:00:00+24:00"},
        {"name": "ci", "allowed_apps": ["APP"], "expires_at": 5},
        "not an object",
    ],
)
async def test_create_refuses_a_bad_body(client, tenant, body):
    headers, ids, _, _ = tenant
    if isinstance(body, dict):
        body = {k: ([ids.app] if v == ["APP"] else v) for k, v in body.items()}
    response = await client.post("/token/create", json=body, headers=headers)
    assert_error(response, 400, "Invalid request body")
    response = await client.post("/token/create", content=b"{", headers=headers)
    assert_error(response, 400, "Invalid request body")


async def test_create_refuses_the_past_and_apps_not_the_admins(client, tenant):
    headers, ids, _, _ = tenant
    past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    response = await make_token(client, headers, [ids.app], expires_at=past)
    assert_error(response, 400, "expires_at must be in the future")
    other_admin = await admin_headers(client, "other")
    theirs = await create_app(client, other_admin, "theirapp")
    for apps in ([theirs], [ids.app, "nothex"], [new_id()], [ids.channel], [ids.app[:-1]]):
        response = await make_token(client, headers, apps)
        assert_error(response, 400, "one or more allowed_apps are invalid")


async def test_team_users_and_tokens_may_not_create_tokens(client, tenant):
    _headers, _ids, _, body = tenant
    token = bearer(body["token"])
    for method, path in (
        ("POST", "/token/create"),
        ("GET", "/token/list"),
        ("DELETE", "/token/delete"),
        ("POST", "/user/create"),
        ("GET", "/users/list"),
        ("POST", "/user/update"),
        ("DELETE", "/user/delete"),
        ("POST", "/admin/update"),
    ):
        response = await client.request(method, path, json={}, headers=token)
        assert_error(response, 403, "Admin JWT is required")


# --- /token/list and /token/delete ------------------------------------------------------------


async def test_list_newest_first_without_hashes_and_with_last_use(client, tenant):
    headers, _ids, other, first = tenant
    assert_body(
        await client.get("/token/list", headers=await admin_headers(client, "b")),
        200,
        '{"tokens":[]}',
    )
    await asyncio.sleep(0.002)
    second = (await make_token(client, headers, [other], expires_at="2099-01-01T00:00:00Z")).json()
    items = (await client.get("/token/list", headers=headers)).json()["tokens"]
    assert [i["id"] for i in items] == [second["id"], first["id"]]
    assert list(items[0]) == [
        "id",
        "name",
        "token_prefix",
        "allowed_apps",
        "expires_at",
        "created_at",
    ]
    assert items[0]["expires_at"] == "2099-01-01T00:00:00Z"
    assert "token_hash" not in items[1] and "expires_at" not in items[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z", items[1]["created_at"])
    await client.get("/whoami", headers=bearer(first["token"]))
    items = (await client.get("/token/list", headers=headers)).json()["tokens"]
    assert list(items[1])[-1] == "last_used_at"


async def test_delete_revokes(client, tenant):
    headers, _, _, body = tenant
    response = await client.request("DELETE", "/token/delete", json={}, headers=headers)
    assert_error(response, 400, "Invalid request body")
    response = await client.request("DELETE", "/token/delete", json={"id": "x"}, headers=headers)
    assert_error(response, 400, "Invalid token ID format")
    other = await admin_headers(client, "other")
    response = await client.request(
        "DELETE", "/token/delete", json={"id": body["id"]}, headers=other
    )
    assert_error(response, 404, "Token not found")
    response = await client.request(
        "DELETE", "/token/delete", json={"id": body["id"]}, headers=headers
    )
    assert_body(response, 200, '{"message":"Token revoked"}')
    response = await client.get("/whoami", headers=bearer(body["token"]))
    assert_error(response, 401, "invalid or expired token")


# --- authenticating with a token --------------------------------------------------------------


async def test_unknown_expired_and_malformed_tokens(app, client, tenant):
    _, ids, _, _ = tenant
    response = await client.get("/whoami", headers=bearer("fns_" + "0" * 64))
    assert_error(response, 401, "invalid or expired token")
    response = await client.get("/whoami", headers=bearer("abc"))
    assert_error(response, 401, "malformed token")  # not fns_: the JWT's own message
    raw = "fns_" + "1" * 64
    await stored_token(app, raw, [ids.app], expires_at=datetime(2020, 1, 1, tzinfo=UTC))
    response = await client.get("/whoami", headers=bearer(raw))
    assert_error(response, 401, "token expired")


async def test_a_token_uploads_to_its_apps_only(client, tenant):
    headers, _, _, body = tenant
    token = bearer(body["token"])
    response = await upload(client, token, target(publish=True), ("a.dmg", b"dmg"))
    assert response.status_code == 200, response.text
    found = await client.get("/search?app_name=testapp", headers=headers)
    assert found.json()["total"] == 1
    response = await upload(client, token, target(app_name="otherapp"), ("a.dmg", b"d"))
    assert_error(response, 403, "api token has no access to this app")
    response = await upload(client, token, target(app_name="nosuch"), ("a.dmg", b"d"))
    assert_error(response, 403, NOT_FOUND_OR_FORBIDDEN)


async def test_a_token_is_refused_everything_but_upload(client, tenant):
    _headers, ids, _, body = tenant
    token = bearer(body["token"])
    for method, path in (
        ("POST", "/app/create"),
        ("POST", "/app/update"),
        ("DELETE", f"/app/delete?id={ids.app}"),
        ("POST", "/channel/create"),
        ("POST", "/platform/update"),
        ("DELETE", f"/arch/delete?id={ids.arch}"),
        ("POST", "/apps/update"),
        ("DELETE", f"/apps/delete?id={ids.app}"),
        ("POST", "/artifact/delete"),
    ):
        response = await client.request(method, path, headers=token)
        assert_error(response, 403, "API tokens are restricted to app upload")


async def test_a_token_reads_only_its_apps(client, tenant):
    headers, _ids, other, body = tenant
    token = bearer(body["token"])
    await upload(client, headers, target(app_name="otherapp", publish=True), ("a.dmg", b"d"))
    await upload(client, headers, target(publish=True), ("a.dmg", b"d"))
    assert_body(
        await client.get("/whoami", headers=token),
        200,
        (await client.get("/whoami", headers=headers)).text,
    )
    apps = (await client.get("/app/list", headers=token)).json()["apps"]
    assert [a["AppName"] for a in apps] == ["testapp"]
    admin_apps = (await client.get("/app/list", headers=headers)).json()["apps"]
    assert len(admin_apps) == 2
    response = await client.get("/search?app_name=otherapp", headers=token)
    assert_error(response, 500, "app_name not found in apps_meta collection")
    assert (await client.get("/search?app_name=testapp", headers=token)).json()["total"] == 1
    channels = await client.get("/channel/list", headers=token)
    assert channels.text == (await client.get("/channel/list", headers=headers)).text
    everything = (await client.get("/", headers=token)).json()["apps"]
    assert {item["AppName"] for item in everything} == {"testapp"}
    del other


async def test_a_jwt_wins_and_team_users_are_unaffected(client, tenant):
    headers, ids, _, _ = tenant
    response = await client.get("/app/list", headers=headers)
    assert len(response.json()["apps"]) == 2
    await create(client, headers, "channel", "stable")
    del ids


async def test_parallel_creates_make_distinct_tokens(client, tenant):
    headers, ids, _, _ = tenant
    answers = await asyncio.gather(*(make_token(client, headers, [ids.app]) for _ in range(20)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["token"] for a in answers}) == 20
    assert len((await client.get("/token/list", headers=headers)).json()["tokens"]) == 21


async def test_a_token_stored_without_apps_uploads_nothing(app, client, tenant):
    """v2.1's guard text for a token document without allowed_apps (never made by the API)."""
    raw = "fns_" + "2" * 64
    await stored_token(app, raw, [])
    response = await upload(client, bearer(raw), target(), ("a.dmg", b"d"))
    assert_error(response, 403, "API token has no allowed applications")


async def test_hostile_token_bodies(client, tenant):
    """A lone surrogate, a huge list of one id, an absurd expiry: clear answers, no 500."""
    headers, ids, _, _ = tenant
    raw = b'{"name": "\\ud800ci", "allowed_apps": ["' + ids.app.encode() + b'"]}'
    response = await client.post("/token/create", content=raw, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "\ufffdci"
    response = await make_token(client, headers, [ids.app] * 20000)
    assert response.json()["allowed_apps"] == [ids.app]
    for expiry in ("9999-12-31T23:59:59.999999999999Z", "0000-01-01T00:00:00Z"):
        response = await make_token(client, headers, [ids.app], expires_at=expiry)
        assert response.status_code in (201, 400), response.text
    response = await make_token(
        client, headers, [ids.app], expires_at="2099-01-01T00:00:00Z" * 1000
    )
    assert_error(response, 400, "Invalid request body")
    response = await client.get("/whoami", headers=bearer("fns_" + "a" * 100000))
    assert_error(response, 401, "invalid or expired token")
