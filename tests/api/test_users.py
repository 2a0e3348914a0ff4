"""Team users: /user/create, /user/update, /users/list, /user/delete, and logging in as one."""

from __future__ import annotations

import re

import pytest

from faynosync.core.ids import new_id
from tests.support.api import (
    API_KEY,
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    create,
    create_app,
    login,
)

FULL = {
    "apps": {
        "create": True,
        "delete": False,
        "edit": True,
        "download": True,
        "upload": False,
        "allowed": ["67f8a1b2c3d4e5f6a7b8c9d0"],
    },
    "channels": {"create": True, "delete": False, "edit": True, "allowed": []},
    "platforms": {"create": True, "delete": False, "edit": True, "allowed": ["", "x"]},
    "archs": {"Create": True},
}
FULL_PUBLIC = (
    '{"Apps":{"Create":true,"Delete":false,"Edit":true,"Download":true,"Upload":false,'
    '"Allowed":["67f8a1b2c3d4e5f6a7b8c9d0"]},'
    '"Channels":{"Create":true,"Delete":false,"Edit":true,"Allowed":null},'
    '"Platforms":{"Create":true,"Delete":false,"Edit":true,"Allowed":["","x"]},'
    '"Archs":{"Create":true,"Delete":false,"Edit":false,"Allowed":null}}'
)
NOTHING_PUBLIC = (
    '{"Apps":{"Create":false,"Delete":false,"Edit":false,"Download":false,"Upload":false,'
    '"Allowed":null},"Channels":{"Create":false,"Delete":false,"Edit":false,"Allowed":null},'
    '"Platforms":{"Create":false,"Delete":false,"Edit":false,"Allowed":null},'
    '"Archs":{"Create":false,"Delete":false,"Edit":false,"Allowed":null}}'
)
LOCAL_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)"


@pytest.fixture
async def admin(client):
    return await admin_headers(client)


async def create_user(client, headers, username="teamuser1", password="tpass", **extra):
    body = {"username": username, "password": password, **extra}
    return await client.post("/user/create", json=body, headers=headers)


async def users(client, headers) -> list[dict]:
    return (await client.get("/users/list", headers=headers)).json()["users"] or []


def listed(response) -> str:
    return re.sub(f'"updated_at":"{LOCAL_TIME}"', '"updated_at":"T"', response.text)


async def test_create_list_and_log_in(client, admin):
    assert_body(await client.get("/users/list", headers=admin), 200, '{"users":null}')
    response = await create_user(client, admin, permissions=FULL)
    assert_body(response, 200, '{"message":"Team user created successfully"}')
    await create_user(client, admin, "teamuser2")
    response = await client.get("/users/list", headers=admin)
    first, second = (u["id"] for u in response.json()["users"])
    assert listed(response) == (
        f'{{"users":[{{"id":"{first}","username":"teamuser1","permissions":{FULL_PUBLIC},'
        f'"updated_at":"T"}},{{"id":"{second}","username":"teamuser2","permissions":'
        f'{NOTHING_PUBLIC},"updated_at":"T"}}]}}'
    )
    token = await login(client, "teamuser1", "tpass")
    response = await client.get("/whoami", headers=bearer(token))
    assert_body(
        response,
        200,
        '{"id":"000000000000000000000000","username":"teamuser1","is_admin":false,'
        f'"owner":"admin","permissions":{FULL_PUBLIC}}}',
    )


@pytest.mark.production_bcrypt
async def test_the_stored_document(app, client, admin, backend):
    await create_user(client, admin, permissions=FULL)
    user = await app.state.store.team_users.get_by_username("teamuser1")
    assert user.owner == "admin" and user.password.startswith("$2a$10$")
    assert user.permissions.to_document() == {
        "apps": {
            "create": True,
            "delete": False,
            "edit": True,
            "download": True,
            "upload": False,
            "allowed": ["67f8a1b2c3d4e5f6a7b8c9d0"],
        },
        "channels": {"create": True, "delete": False, "edit": True},
        "platforms": {"create": True, "delete": False, "edit": True, "allowed": ["", "x"]},
        "archs": {"create": True, "delete": False, "edit": False},
    }


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b'{"username":"a"}',
        b'{"password":"a"}',
        b'{"username":"","password":"a"}',
        b'{"username":"a","password":"b","permissions":{"apps":{"create":"yes"}}}',
        b'{"username":"a","password":"b","permissions":[]}',
    ],
)
async def test_create_with_a_bad_body(client, admin, body):
    response = await client.post("/user/create", content=body, headers=admin)
    assert_error(response, 400, "Invalid request body")


async def test_one_namespace_for_admins_and_team_users(client, admin):
    await create_user(client, admin)
    assert_error(await create_user(client, admin), 409, "Username already exists")
    other = await admin_headers(client, "other")
    assert_error(await create_user(client, other), 409, "Username already exists")
    # Deviation 7: an admin's name is taken too, and signup refuses a team user's.
    assert_error(await create_user(client, admin, "other"), 409, "Username already exists")
    response = await client.post(
        "/signup", json={"username": "teamuser1", "password": "x", "api_key": API_KEY}
    )
    assert_error(response, 401, "user already exists")


async def test_create_with_a_password_over_72_bytes(client, admin):
    response = await create_user(client, admin, password="p" * 73)
    assert_error(response, 400, "bcrypt: password length exceeds 72 bytes")
    assert await users(client, admin) == []


async def test_update(client, admin):
    await create_user(client, admin, permissions={"channels": {"create": True}})
    user_id = (await users(client, admin))[0]["id"]
    body = {"id": user_id, "username": "renamed", "password": "new", "permissions": FULL}
    response = await client.post("/user/update", json=body, headers=admin)
    assert_body(response, 200, '{"message":"Team user updated successfully"}')
    assert await login(client, "renamed", "new")
    (user,) = await users(client, admin)
    assert user["username"] == "renamed"
    assert user["permissions"]["Apps"]["Create"] is True
    # Nothing granted: permissions stay; no password: it stays.
    body = {"id": user_id, "username": "renamed", "permissions": {"apps": {"allowed": []}}}
    assert (await client.post("/user/update", json=body, headers=admin)).status_code == 200
    (user,) = await users(client, admin)
    assert user["permissions"]["Apps"]["Create"] is True
    assert await login(client, "renamed", "new")


async def test_an_old_token_after_a_rename(client, admin):
    await create_user(client, admin, permissions={"channels": {"create": True}})
    token = await login(client, "teamuser1", "tpass")
    user_id = (await users(client, admin))[0]["id"]
    await client.post("/user/update", json={"id": user_id, "username": "new"}, headers=admin)
    response = await client.post("/channel/create", json={"channel": "x"}, headers=bearer(token))
    assert_error(response, 401, "User not found")


async def test_update_errors(client, admin):
    await create_user(client, admin)
    await create_user(client, admin, "teamuser2")
    user_id = (await users(client, admin))[0]["id"]

    async def update(body):
        return await client.post("/user/update", json=body, headers=admin)

    assert_error(await update({"username": "x"}), 400, "Invalid request body")
    assert_error(await update({"id": user_id}), 400, "Invalid request body")
    assert_error(
        await update({"id": "abc", "username": "x"}),
        400,
        "the provided hex string is not a valid ObjectID",
    )
    assert_error(await update({"id": new_id(), "username": "x"}), 404, "Team user not found")
    assert_error(
        await update({"id": user_id, "username": "teamuser2"}), 500, "Failed to update team user"
    )
    assert_error(
        await update({"id": user_id, "username": "admin"}), 500, "Failed to update team user"
    )
    assert_error(
        await update({"id": user_id, "username": "x", "password": "é" * 37}),
        400,
        "bcrypt: password length exceeds 72 bytes",
    )
    other = await admin_headers(client, "other")
    response = await client.post(
        "/user/update", json={"id": user_id, "username": "stolen"}, headers=other
    )
    assert_error(response, 403, "You are not the owner of this team user")
    assert [u["username"] for u in await users(client, admin)] == ["teamuser1", "teamuser2"]


async def test_delete(client, admin):
    await create_user(client, admin)
    user_id = (await users(client, admin))[0]["id"]
    other = await admin_headers(client, "other")
    for headers, body, status, error in [
        (admin, b"", 400, "Invalid request body"),
        (admin, b'{"id":""}', 400, "Invalid request body"),
        (admin, b'{"id":"nope"}', 400, "Invalid user ID format"),
        (
            admin,
            f'{{"id":"{new_id()}"}}'.encode(),
            404,
            "Team user not found or you don't have permission to delete it",
        ),
        (
            other,
            f'{{"id":"{user_id}"}}'.encode(),
            404,
            "Team user not found or you don't have permission to delete it",
        ),
    ]:
        response = await client.request("DELETE", "/user/delete", content=body, headers=headers)
        assert_error(response, status, error)
    response = await client.request("DELETE", "/user/delete", json={"id": user_id}, headers=admin)
    assert_body(response, 200, '{"message":"Team user deleted successfully"}')
    assert await users(client, admin) == []
    response = await client.post("/login", json={"username": "teamuser1", "password": "tpass"})
    assert_error(response, 401, "invalid username or password")


async def test_resources_a_deleted_team_user_made_stay(client, admin):
    await create_user(client, admin, permissions={"apps": {"create": True}})
    team = bearer(await login(client, "teamuser1", "tpass"))
    await create_app(client, team, "teamapp")
    user_id = (await users(client, admin))[0]["id"]
    await client.request("DELETE", "/user/delete", json={"id": user_id}, headers=admin)
    apps = (await client.get("/app/list", headers=admin)).json()["apps"]
    assert [a["AppName"] for a in apps] == ["teamapp"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/user/create"),
        ("POST", "/user/update"),
        ("GET", "/users/list"),
        ("DELETE", "/user/delete"),
        ("POST", "/admin/update"),
    ],
)
async def test_admin_only_routes(client, admin, method, path):
    await create_user(client, admin, permissions=FULL)
    team = bearer(await login(client, "teamuser1", "tpass"))
    response = await client.request(method, path, json={"id": "x"}, headers=team)
    assert_error(response, 403, "Admin access required")
    assert_error(
        await client.request(method, path, content=b"x"), 401, "missing authorization header"
    )


async def test_team_users_lists_show_what_they_may_see(client, admin):
    channel = await create(client, admin, "channel", "nightly")
    await create(client, admin, "channel", "stable")
    await create_user(client, admin, permissions={"channels": {"allowed": [channel, "", "zz"]}})
    team = bearer(await login(client, "teamuser1", "tpass"))
    listed_channels = (await client.get("/channel/list", headers=team)).json()["channels"]
    assert [c["ChannelName"] for c in listed_channels] == ["nightly"]
    assert_body(await client.get("/app/list", headers=team), 200, '{"apps":null}')


async def test_appendix_c_grants_through_user_update(client, admin):
    """Create-only first; after /user/update the team user renames and deletes."""
    ids = {
        "app": await create_app(client, admin, "testapp"),
        "channel": await create(client, admin, "channel", "stable"),
        "platform": await create(client, admin, "platform", "universalPlatform"),
        "arch": await create(client, admin, "arch", "universalArch"),
    }
    plural = {"app": "apps", "channel": "channels", "platform": "platforms", "arch": "archs"}
    creator = {"create": True}
    perms = {plural[k]: {**creator, "allowed": [v]} for k, v in ids.items()}
    await create_user(client, admin, permissions=perms)
    team = bearer(await login(client, "teamuser1", "tpass"))
    own = {
        "app": await create_app(client, team, "teamapp"),
        "channel": await create(client, team, "channel", "teamchannel"),
        "platform": await create(client, team, "platform", "teamplatform"),
        "arch": await create(client, team, "arch", "teamarch"),
    }
    for kind in ids:
        path = f"/{kind}/delete?id={own[kind]}"
        assert_error(await client.delete(path, headers=team), 403, "Permission denied")
    user = (await users(client, admin))[0]
    granted = {
        plural[k]: {"create": True, "edit": True, "delete": True, "allowed": [ids[k], own[k]]}
        for k in ids
    }
    body = {"id": user["id"], "username": "teamuser1", "permissions": granted}
    assert (await client.post("/user/update", json=body, headers=admin)).status_code == 200
    response = await client.post(
        "/app/update",
        files={"data": (None, f'{{"id":"{ids["app"]}","app":"newApp"}}')},
        headers=team,
    )
    assert_body(response, 200, '{"updateAppResult.Updated":true}')
    for kind, name in (("channel", "newChannel"), ("arch", "newArch")):
        response = await client.post(
            f"/{kind}/update", json={"id": ids[kind], kind: name}, headers=team
        )
        assert response.status_code == 200
    body = {
        "id": ids["platform"],
        "platform": "newPlatform",
        "updaters": [{"type": "manual", "default": True}],
    }
    assert (await client.post("/platform/update", json=body, headers=team)).status_code == 200
    for kind in ids:
        response = await client.delete(f"/{kind}/delete?id={own[kind]}", headers=team)
        title = kind.capitalize()
        assert_body(response, 200, f'{{"delete{title}Result.DeletedCount":1}}')
    apps = (await client.get("/app/list", headers=admin)).json()["apps"]
    assert [a["AppName"] for a in apps] == ["newApp"]


async def test_a_token_of_nobody_searches_as_an_admin_of_that_name(client):
    from faynosync.core.security import create_token
    from tests.support.api import JWT_SECRET

    response = await client.get(
        "/search", params={"app_name": "x"}, headers=bearer(create_token("ghost", JWT_SECRET))
    )
    assert_error(response, 500, "app_name not found in apps_meta collection")
