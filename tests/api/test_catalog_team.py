"""Team users in the catalog: the guard's flags, creation granting access, allowed lists."""

from __future__ import annotations

import pytest

from faynosync.store.models import AppPermissions, ResourcePermissions
from tests.support.api import admin_headers, assert_error, bearer, create, create_app, login
from tests.support.factories import add_team_user

KINDS = ["channel", "platform", "arch"]
PLURAL = {"channel": "channels", "platform": "platforms", "arch": "archs", "app": "apps"}


async def team_headers(app, client, **perms) -> dict[str, str]:
    await add_team_user(app, "teamuser1", "tpass", **perms)
    return bearer(await login(client, "teamuser1", "tpass"))


async def test_appendix_c_sequence(app, client):
    """Admin's resources in the team user's allowed lists; the team user creates its own."""
    admin = await admin_headers(client)
    ids = {
        "app": await create_app(client, admin, "testapp"),
        "channel": await create(client, admin, "channel", "stable"),
        "platform": await create(client, admin, "platform", "universalPlatform"),
        "arch": await create(client, admin, "arch", "universalArch"),
    }
    await create(client, admin, "channel", "hidden")
    team = await team_headers(
        app,
        client,
        apps=AppPermissions(create=True, allowed=[ids["app"]]),
        channels=ResourcePermissions(create=True, allowed=[ids["channel"], ""]),
        platforms=ResourcePermissions(create=True, allowed=[ids["platform"]]),
        archs=ResourcePermissions(create=True, allowed=[ids["arch"]]),
    )
    for kind in ("app", *KINDS):
        listed = (await client.get(f"/{kind}/list", headers=team)).json()[PLURAL[kind]]
        assert [item["ID"] for item in listed] == [ids[kind]]
    own = {
        "app": await create_app(client, team, "teamapp"),
        "channel": await create(client, team, "channel", "teamchannel"),
        "platform": await create(client, team, "platform", "teamplatform"),
        "arch": await create(client, team, "arch", "teamarch"),
    }
    user = await app.state.store.team_users.get_by_username("teamuser1")
    for kind in ("app", *KINDS):
        listed = (await client.get(f"/{kind}/list", headers=team)).json()[PLURAL[kind]]
        assert [item["ID"] for item in listed] == [ids[kind], own[kind]]
        assert all(item["Owner"] == "admin" for item in listed)
        assert own[kind] in getattr(user.permissions, PLURAL[kind]).allowed
        # Without the delete flag the guard refuses.
        response = await client.delete(f"/{kind}/delete?id={own[kind]}", headers=team)
        assert_error(response, 403, "Permission denied")
    # The admin sees everything of the tenant.
    listed = (await client.get("/channel/list", headers=admin)).json()["channels"]
    assert [item["ChannelName"] for item in listed] == ["stable", "hidden", "teamchannel"]


@pytest.mark.parametrize("kind", KINDS)
async def test_flags_guard_each_route(app, client, kind):
    admin = await admin_headers(client)
    meta_id = await create(client, admin, kind, "x")
    team = await team_headers(app, client)
    for method, path, body in [
        ("POST", f"/{kind}/create", {kind: "y"}),
        ("POST", f"/{kind}/update", {"id": meta_id, kind: "y"}),
        ("DELETE", f"/{kind}/delete?id={meta_id}", None),
    ]:
        response = await client.request(method, path, json=body, headers=team)
        assert_error(response, 403, "Permission denied")


async def test_team_users_only_touch_allowed_resources(app, client):
    admin = await admin_headers(client)
    allowed = await create(client, admin, "channel", "allowed")
    other = await create(client, admin, "channel", "other")
    team = await team_headers(
        app,
        client,
        channels=ResourcePermissions(edit=True, delete=True, allowed=[allowed]),
    )
    response = await client.post(
        "/channel/update", json={"id": other, "channel": "x"}, headers=team
    )
    assert_error(
        response,
        500,
        "you don't have permission to update this channel as it's not in your allowed "
        "channels list",
    )
    response = await client.delete(f"/channel/delete?id={other}", headers=team)
    assert response.json() == {
        "details": "you don't have permission to delete this channel as it's not in your "
        "allowed channels list",
        "error": "failed to delete channel",
    }
    response = await client.post(
        "/channel/update", json={"id": allowed, "channel": "new"}, headers=team
    )
    assert response.status_code == 200
    response = await client.delete(f"/channel/delete?id={allowed}", headers=team)
    assert response.status_code == 200
    user = await app.state.store.team_users.get_by_username("teamuser1")
    assert user.permissions.channels.allowed is None  # the deleted id left the list


async def test_a_deleted_team_users_token_is_refused_by_the_guard(app, client):
    from faynosync.core.security import create_token
    from tests.support.api import JWT_SECRET

    response = await client.post(
        "/channel/create", json={"channel": "x"}, headers=bearer(create_token("gone", JWT_SECRET))
    )
    assert_error(response, 401, "User not found")


async def test_a_deleted_id_leaves_every_allowed_list_once(app, client):
    admin = await admin_headers(client)
    arch_id = await create(client, admin, "arch", "amd64")
    await add_team_user(app, "t1", "p", archs=ResourcePermissions(allowed=[arch_id, "x", arch_id]))
    await add_team_user(
        app, "t2", "p", owner="someone-else", archs=ResourcePermissions(allowed=[arch_id])
    )
    response = await client.delete(f"/arch/delete?id={arch_id}", headers=admin)
    assert response.status_code == 200
    t1 = await app.state.store.team_users.get_by_username("t1")
    t2 = await app.state.store.team_users.get_by_username("t2")
    assert t1.permissions.archs.allowed == ["x", arch_id]
    assert t2.permissions.archs.allowed is None
