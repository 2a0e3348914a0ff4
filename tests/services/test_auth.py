"""The auth service without HTTP, on each store backend: its data is seeded into the store."""

from __future__ import annotations

import pytest

from faynosync.access.permissions import Permission, Resource
from faynosync.auth import service
from faynosync.core import gojson
from faynosync.core.security import username_from_token, verify_password
from faynosync.errors import APIError
from faynosync.store.models import AppPermissions
from tests.support.api import API_KEY, JWT_SECRET
from tests.support.factories import add_admin, add_team_user


def assert_refused(error: pytest.ExceptionInfo[APIError], status: int, text: str) -> None:
    assert (error.value.status_code, error.value.error) == (status, text)


async def test_signup_stores_an_admin_that_logs_in(store, settings):
    await service.signup(
        store=store, settings=settings, username="admin", password="pw", api_key=API_KEY
    )
    admin = await store.admins.get_by_username("admin")
    assert admin is not None and verify_password("pw", admin.password)
    token = await service.login(store=store, secret=JWT_SECRET, username="admin", password="pw")
    assert username_from_token(token, JWT_SECRET) == "admin"


async def test_signup_refuses_a_wrong_api_key_and_a_name_taken_by_a_team_user(store, settings):
    await add_team_user(store, "taken")
    with pytest.raises(APIError) as wrong:
        await service.signup(
            store=store, settings=settings, username="new", password="pw", api_key="wrong"
        )
    assert_refused(wrong, 401, "wrong api key")
    with pytest.raises(APIError) as taken:
        await service.signup(
            store=store, settings=settings, username="taken", password="pw", api_key=API_KEY
        )
    assert_refused(taken, 401, "user already exists")
    assert await store.admins.get_by_username("new") is None
    assert await store.admins.get_by_username("taken") is None


async def test_team_users_log_in_and_an_admin_wins_a_shared_name(store):
    await add_team_user(store, "teamuser1", "tpass")
    await add_admin(store, "both", "admin-pass")
    await add_team_user(store, "both", "team-pass")
    token = await service.login(
        store=store, secret=JWT_SECRET, username="teamuser1", password="tpass"
    )
    assert username_from_token(token, JWT_SECRET) == "teamuser1"
    assert await service.login(
        store=store, secret=JWT_SECRET, username="both", password="admin-pass"
    )
    with pytest.raises(APIError) as refused:
        await service.login(store=store, secret=JWT_SECRET, username="both", password="team-pass")
    assert_refused(refused, 401, "invalid username or password")


@pytest.mark.parametrize(("username", "password"), [("ghost", "pw"), ("admin", "wrong")])
async def test_an_unknown_name_and_a_wrong_password_are_the_same_401(store, username, password):
    await add_admin(store, "admin", "pw")
    with pytest.raises(APIError) as refused:
        await service.login(store=store, secret=JWT_SECRET, username=username, password=password)
    assert_refused(refused, 401, "invalid username or password")


async def test_whoami_of_an_admin_a_team_user_and_a_stranger(store):
    admin = await add_admin(store)
    assert gojson.dumps(await service.whoami(store=store, username="admin")) == (
        f'{{"id":"{admin.id}","username":"admin","is_admin":true}}'
    )
    await add_team_user(store, "teamuser1", owner="admin")
    me = await service.whoami(store=store, username="teamuser1")
    assert (me["id"], me["is_admin"], me["owner"]) == ("000000000000000000000000", False, "admin")
    with pytest.raises(APIError) as stranger:
        await service.whoami(store=store, username="ghost")
    assert_refused(stranger, 401, "User not found")


async def test_the_guards_let_admins_pass_and_team_users_by_their_flags(store):
    await add_admin(store)
    await add_team_user(store, "teamuser1", apps=AppPermissions(create=True))
    principal = await service.authorize(
        store=store, username="admin", permission=Permission.DELETE, resource=Resource.APPS
    )
    assert (principal.owner, principal.is_admin) == ("admin", True)
    principal = await service.authorize(
        store=store, username="teamuser1", permission=Permission.CREATE, resource=Resource.APPS
    )
    assert (principal.owner, principal.is_admin) == ("admin", False)
    with pytest.raises(APIError) as denied:
        await service.authorize(
            store=store, username="teamuser1", permission=Permission.DELETE, resource=Resource.APPS
        )
    assert_refused(denied, 403, "Permission denied")
    with pytest.raises(APIError) as not_admin:
        await service.authorize_admin(store=store, username="teamuser1")
    assert_refused(not_admin, 403, "Admin access required")
    # The unguarded lists: a team user reads its admin's, any other name its own (even unknown).
    assert (await service.viewer(store=store, username="teamuser1")).owner == "admin"
    assert (await service.viewer(store=store, username="ghost")).owner == "ghost"
