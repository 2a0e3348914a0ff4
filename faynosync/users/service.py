"""Team users of an admin: create, update, list, delete. Admins only.

See docs/behaviour.md#team-user-routes.
"""

from __future__ import annotations

from dataclasses import fields

from faynosync.access.accounts import hash_or_400, username_taken
from faynosync.access.principal import Principal
from faynosync.core import gotime
from faynosync.core.gojson import GoStruct
from faynosync.core.ids import InvalidId, new_id, parse_id
from faynosync.errors import APIError, id_param
from faynosync.store import DuplicateKey, Store, StoreError
from faynosync.store.models import Permissions, ResourcePermissions, TeamUser
from faynosync.users.schemas import user_public


async def create_user(
    *, store: Store, admin: Principal, username: str, password: str, permissions: Permissions
) -> None:
    hashed = await hash_or_400(password)
    # One namespace for admins and team users (the original checks team users only).
    if await username_taken(store, username):
        raise APIError(409, "Username already exists")
    user = TeamUser(
        id=new_id(),
        username=username,
        password=hashed,
        owner=admin.username,
        permissions=permissions,
        updated_at=gotime.now(),
    )
    try:
        await store.team_users.insert(user)
    except DuplicateKey:
        raise APIError(409, "Username already exists") from None
    except StoreError:
        raise APIError(500, "Failed to create team user") from None


def _grants_anything(permissions: Permissions) -> bool:
    """An update changes permissions only if it grants a flag or lists an id (as the original:
    they cannot be reset to nothing through it)."""
    for f in fields(permissions):
        resource: ResourcePermissions = getattr(permissions, f.name)
        flags = [getattr(resource, g.name) for g in fields(resource) if g.name != "allowed"]
        if any(flags) or resource.allowed:
            return True
    return False


async def update_user(
    *,
    store: Store,
    admin: Principal,
    user_id: str,
    username: str,
    password: str,
    permissions: Permissions,
) -> None:
    user_id = id_param(user_id)
    try:
        user = await store.team_users.get(user_id)
    except StoreError:
        raise APIError(500, "Failed to find team user") from None
    if user is None:
        raise APIError(404, "Team user not found")
    if user.owner != admin.username:
        raise APIError(403, "You are not the owner of this team user")
    if password:
        user.password = await hash_or_400(password)
    if username != user.username and await store.admins.get_by_username(username) is not None:
        raise APIError(500, "Failed to update team user")
    user.username = username
    if _grants_anything(permissions):
        user.permissions = permissions
    user.updated_at = gotime.now()
    try:
        await store.team_users.update(user)
    except StoreError:
        raise APIError(500, "Failed to update team user") from None


async def list_users(*, store: Store, admin: Principal) -> GoStruct:
    try:
        users = await store.team_users.list_by_owner(admin.username)
    except StoreError:
        raise APIError(500, "Failed to retrieve team users") from None
    return GoStruct(users=[user_public(u) for u in users] or None)


async def delete_user(*, store: Store, admin: Principal, user_id: str) -> None:
    try:
        user_id = parse_id(user_id)
    except InvalidId:
        raise APIError(400, "Invalid user ID format") from None
    try:
        deleted = await store.team_users.delete(user_id, admin.username)
    except StoreError:
        raise APIError(500, "Failed to delete team user") from None
    if not deleted:
        raise APIError(404, "Team user not found or you don't have permission to delete it")
