"""Golden bodies of /signup, /login, /whoami and /admin/update, success and every error."""

from __future__ import annotations

import base64
import json
import time

import pytest

from faynosync.core import gojson
from faynosync.core.ids import new_id
from faynosync.core.security import create_token
from faynosync.store.models import AppPermissions, ResourcePermissions
from tests.support.api import (
    API_KEY,
    JWT_SECRET,
    TEXT_TYPE,
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    login,
    signup,
)
from tests.support.factories import add_team_user
from tests.support.tokens import GO_HASHES, make_token

INVALID_BODY_PLAIN = {"content_type": TEXT_TYPE}


# --- /signup ----------------------------------------------------------------------------------


async def test_signup(client):
    response = await client.post(
        "/signup", json={"username": "admin", "password": "pw", "api_key": API_KEY}
    )
    assert_body(response, 200, '{"result":"Successfully created admin user."}')
    assert await login(client, "admin", "pw")


@pytest.mark.production_bcrypt
async def test_signup_stores_a_2a_cost_10_hash(app, client):
    await signup(client)
    admin = await app.state.store.admins.get_by_username("admin")
    assert admin.password.startswith("$2a$10$")


@pytest.mark.parametrize("api_key", ["wrong", "", None])
async def test_signup_with_a_wrong_api_key(client, api_key):
    body = {"username": "admin", "password": "pw"}
    if api_key is not None:
        body["api_key"] = api_key
    assert_error(await client.post("/signup", json=body), 401, "wrong api key")
    assert (await client.post("/login", json=body)).status_code == 401


async def test_signup_without_a_configured_api_key(client_factory):
    async with client_factory(API_KEY="") as client:
        response = await client.post("/signup", json={"username": "a", "password": "p"})
        assert_body(response, 200, '{"result":"Successfully created admin user."}')
        response = await client.post(
            "/signup", json={"username": "b", "password": "p", "api_key": "anything"}
        )
        assert_error(response, 401, "wrong api key")


async def test_signup_of_an_existing_admin(client):
    await signup(client)
    response = await client.post(
        "/signup", json={"username": "admin", "password": "other", "api_key": API_KEY}
    )
    assert_error(response, 401, "user already exists")
    assert await login(client, "admin", "password")


async def test_signup_cannot_take_a_team_users_name(app, client):
    await add_team_user(app, "teamuser1")
    response = await client.post(
        "/signup", json={"username": "teamuser1", "password": "x", "api_key": API_KEY}
    )
    assert_error(response, 401, "user already exists")
    assert await app.state.store.admins.get_by_username("teamuser1") is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not json",
        b"[]",
        b'"admin"',
        b'{"username": 1, "password": "p", "api_key": "test-api-key"}',
        b'{"username": "a", "password": true, "api_key": "test-api-key"}',
        b'{"username": "a", "password": "p", "api_key": ["test-api-key"]}',
        b'{"username": "a"',
    ],
)
async def test_signup_with_an_undecodable_body(client, body):
    response = await client.post("/signup", content=body)
    assert_body(response, 400, '{"error":"invalid request body"}', **INVALID_BODY_PLAIN)


async def test_signup_reads_keys_case_insensitively_and_ignores_trailing_bytes(client):
    body = b'{"UserName":"admin","PASSWORD":"pw","Api_Key":"test-api-key","x":1} trailing'
    response = await client.post("/signup", content=body)
    assert_body(response, 200, '{"result":"Successfully created admin user."}')
    assert await login(client, "admin", "pw")


async def test_signup_with_a_password_over_72_bytes(client):
    response = await client.post(
        "/signup", json={"username": "admin", "password": "p" * 73, "api_key": API_KEY}
    )
    assert_error(response, 400, "bcrypt: password length exceeds 72 bytes")
    response = await client.post("/login", json={"username": "admin", "password": "p" * 73})
    assert_error(response, 401, "invalid username or password")


async def test_signup_with_an_oversized_body(client):
    body = b'{"username":"' + b"a" * (1024 * 1024) + b'"}'
    response = await client.post("/signup", content=body)
    assert_error(response, 413, "request body larger than 1048576 bytes")


# --- /login -----------------------------------------------------------------------------------


def claims_of(token: str) -> dict:
    header, claims, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    return json.loads(base64.urlsafe_b64decode(claims + "=="))


async def test_login(client):
    await signup(client)
    before = int(time.time())
    response = await client.post("/login", json={"username": "admin", "password": "password"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert list(response.json()) == ["token"]
    claims = claims_of(response.json()["token"])
    assert list(claims) == ["exp", "username"]
    assert claims["username"] == "admin"
    assert before + 86400 <= claims["exp"] <= int(time.time()) + 86400


@pytest.mark.parametrize(
    "body",
    [
        {"username": "admin", "password": "wrong"},
        {"username": "nobody", "password": "password"},
        {"username": "admin"},
        {},
    ],
)
async def test_login_failures(client, body):
    await signup(client)
    assert_error(await client.post("/login", json=body), 401, "invalid username or password")


@pytest.mark.parametrize("body", [b"", b"{", b'{"username":["admin"]}', b"[1]"])
async def test_login_with_an_undecodable_body(client, body):
    response = await client.post("/login", content=body)
    assert_body(response, 400, '{"error":"invalid request body"}', **INVALID_BODY_PLAIN)


async def test_login_ignores_the_content_type(client):
    await signup(client)
    response = await client.post(
        "/login",
        content=b'{"username":"admin","password":"password"}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 200


async def test_team_users_log_in(app, client):
    await add_team_user(app, "teamuser1", "tpass")
    response = await client.post("/login", json={"username": "teamuser1", "password": "tpass"})
    assert response.status_code == 200
    assert claims_of(response.json()["token"])["username"] == "teamuser1"
    response = await client.post("/login", json={"username": "teamuser1", "password": "x"})
    assert_error(response, 401, "invalid username or password")


async def test_an_admin_wins_over_a_team_user_of_the_same_name(app, client):
    """Possible in a FaynoSync database; the admin's password decides, no fallback."""
    await signup(client, "both", "admin-pass")
    await add_team_user(app, "both", "team-pass")
    assert await login(client, "both", "admin-pass")
    response = await client.post("/login", json={"username": "both", "password": "team-pass"})
    assert_error(response, 401, "invalid username or password")


@pytest.mark.parametrize(("password", "hashed"), GO_HASHES.items())
async def test_hashes_written_by_faynosync_verify(app, client, password, hashed):
    from faynosync.store.models import Admin

    await app.state.store.admins.insert(
        Admin(id=new_id(), username="legacy", password=hashed, updated_at=gojson_now())
    )
    assert await login(client, "legacy", password)


def gojson_now():
    from faynosync.core import gotime

    return gotime.now()


# --- /whoami ----------------------------------------------------------------------------------


async def test_whoami_of_an_admin(app, client):
    headers = await admin_headers(client)
    admin = await app.state.store.admins.get_by_username("admin")
    response = await client.get("/whoami", headers=headers)
    assert_body(response, 200, f'{{"id":"{admin.id}","username":"admin","is_admin":true}}')


async def test_whoami_of_a_team_user(app, client):
    await add_team_user(
        app,
        "teamuser1",
        "tpass",
        apps=AppPermissions(
            create=True, edit=True, download=True, allowed=["67f8a1b2c3d4e5f6a7b8c9d0"]
        ),
        channels=ResourcePermissions(create=True, edit=True),
        platforms=ResourcePermissions(delete=True, allowed=["", "x"]),
    )
    token = await login(client, "teamuser1", "tpass")
    response = await client.get("/whoami", headers=bearer(token))
    assert_body(
        response,
        200,
        '{"id":"000000000000000000000000","username":"teamuser1","is_admin":false,'
        '"owner":"admin","permissions":{'
        '"Apps":{"Create":true,"Delete":false,"Edit":true,"Download":true,"Upload":false,'
        '"Allowed":["67f8a1b2c3d4e5f6a7b8c9d0"]},'
        '"Channels":{"Create":true,"Delete":false,"Edit":true,"Allowed":null},'
        '"Platforms":{"Create":false,"Delete":true,"Edit":false,"Allowed":["","x"]},'
        '"Archs":{"Create":false,"Delete":false,"Edit":false,"Allowed":null}}}',
    )


async def test_whoami_of_a_user_that_does_not_exist(client):
    response = await client.get("/whoami", headers=bearer(create_token("ghost", JWT_SECRET)))
    assert_error(response, 401, "User not found")


NOW = int(time.time())


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        (None, "missing authorization header"),
        ("", "missing authorization header"),
        ("Bearer", "invalid token format"),
        ("Basic YWRtaW46cHc=", "invalid token format"),
        ("bearer {token}", "invalid token format"),
        ("Bearer {token} extra", "invalid token format"),
        ("Bearer not-a-token", "malformed token"),
        ("Bearer a.b.c", "malformed token"),
        ("Bearer " + make_token({"username": "admin"}, secret="wrong"), "invalid token signature"),
        ("Bearer " + make_token({"username": "admin"}, alg="none"), "unverifiable token"),
        (
            "Bearer " + make_token({"username": "admin", "exp": NOW - 10}, secret=JWT_SECRET),
            "token expired",
        ),
        (
            "Bearer " + make_token({"username": "admin", "nbf": NOW + 3600}, secret=JWT_SECRET),
            "token not active yet",
        ),
        (
            "Bearer " + make_token({"username": "admin", "iat": NOW + 3600}, secret=JWT_SECRET),
            "invalid or expired token",
        ),
        (
            "Bearer " + make_token({"user": "admin"}, secret=JWT_SECRET),
            "username not found in claims",
        ),
    ],
)
async def test_token_errors(client, authorization, error):
    await signup(client)
    token = create_token("admin", JWT_SECRET)
    headers = {} if authorization is None else {"Authorization": authorization.format(token=token)}
    assert_error(await client.get("/whoami", headers=headers), 401, error)


async def test_a_token_without_exp_never_expires(client):
    await signup(client)
    token = make_token({"username": "admin"}, secret=JWT_SECRET)
    assert (await client.get("/whoami", headers=bearer(token))).status_code == 200


# --- /admin/update ----------------------------------------------------------------------------


async def admin_id(app, username="admin") -> str:
    return (await app.state.store.admins.get_by_username(username)).id


async def test_admin_update_changes_the_password(app, client):
    headers = await admin_headers(client)
    before = await app.state.store.admins.get_by_username("admin")
    body = {"id": before.id, "username": "admin", "password": "new-password"}
    response = await client.post("/admin/update", json=body, headers=headers)
    assert_body(response, 200, '{"message":"Admin updated successfully"}')
    assert await login(client, "admin", "new-password")
    response = await client.post("/login", json={"username": "admin", "password": "password"})
    assert_error(response, 401, "invalid username or password")
    after = await app.state.store.admins.get_by_username("admin")
    assert after.updated_at >= before.updated_at


async def test_admin_update_without_a_password_keeps_it(app, client):
    headers = await admin_headers(client)
    body = {"ID": await admin_id(app), "Username": "admin"}
    response = await client.post("/admin/update", json=body, headers=headers)
    assert_body(response, 200, '{"message":"Admin updated successfully"}')
    assert await login(client, "admin", "password")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"username":"admin"}',
        b'{"id":"","username":"admin"}',
        b'{"id":"653a5b1c2d3e4f5a6b7c8d9e"}',
        b'{"id":"653a5b1c2d3e4f5a6b7c8d9e","username":""}',
        b'{"id":1,"username":"admin"}',
        b'{"id":"653a5b1c2d3e4f5a6b7c8d9e","username":"admin","password":false}',
    ],
)
async def test_admin_update_with_a_bad_body(client, body):
    headers = await admin_headers(client)
    response = await client.post("/admin/update", content=body, headers=headers)
    assert_error(response, 400, "Invalid request body")


async def test_admin_update_of_another_username(app, client):
    headers = await admin_headers(client)
    await signup(client, "other")
    body = {"id": await admin_id(app, "other"), "username": "other", "password": "hijack"}
    response = await client.post("/admin/update", json=body, headers=headers)
    assert_error(response, 403, "Username mismatch")
    assert await login(client, "other", "password")


@pytest.mark.parametrize("bad_id", ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "653a5b1c2d3e4f5a6b7c8d9e0"])
async def test_admin_update_with_a_malformed_id(client, bad_id):
    headers = await admin_headers(client)
    body = {"id": bad_id, "username": "admin", "password": "x"}
    assert_error(
        await client.post("/admin/update", json=body, headers=headers), 400, "Invalid ID format"
    )


async def test_admin_update_of_an_id_that_is_not_the_callers(app, client):
    headers = await admin_headers(client)
    await signup(client, "other")
    for unknown in (new_id(), await admin_id(app, "other")):
        body = {"id": unknown, "username": "admin", "password": "x"}
        response = await client.post("/admin/update", json=body, headers=headers)
        assert_error(response, 404, "Admin not found")
    assert await login(client, "other", "password")


async def test_admin_update_with_a_password_over_72_bytes(app, client):
    headers = await admin_headers(client)
    body = {"id": await admin_id(app), "username": "admin", "password": "é" * 37}
    response = await client.post("/admin/update", json=body, headers=headers)
    assert_error(response, 400, "bcrypt: password length exceeds 72 bytes")
    assert await login(client, "admin", "password")


async def test_admin_update_is_for_admins_only(app, client):
    await signup(client)
    await add_team_user(app, "teamuser1", "tpass")
    body = {"id": await admin_id(app), "username": "admin", "password": "x"}
    for username in ("teamuser1", "ghost"):
        headers = bearer(create_token(username, JWT_SECRET))
        response = await client.post("/admin/update", json=body, headers=headers)
        assert_error(response, 403, "Admin access required")


async def test_admin_update_checks_the_token_before_the_body(client):
    response = await client.post("/admin/update", content=b"not json")
    assert_error(response, 401, "missing authorization header")
    response = await client.post(
        "/admin/update", content=b"not json", headers={"Authorization": "Bearer x"}
    )
    assert_error(response, 401, "malformed token")


def test_error_bodies_are_go_maps():
    assert gojson.dumps({"error": "x", "details": "y"}) == '{"details":"y","error":"x"}'
