"""Admins and tokens: signup, login, who am I, the admin password change, and the guards."""

from __future__ import annotations

import asyncio

from faynosync.access.accounts import hash_or_400, username_taken
from faynosync.access.permissions import (
    Permission,
    Resource,
    allows,
    permissions_public,
)
from faynosync.access.principal import Principal
from faynosync.config import Settings
from faynosync.core import gotime
from faynosync.core.gojson import GoStruct
from faynosync.core.ids import ZERO_ID, InvalidId, new_id, parse_id
from faynosync.core.security import (
    create_token,
    verify_password,
)
from faynosync.errors import APIError
from faynosync.store import DuplicateKey, Store, StoreError
from faynosync.store.models import Admin, ApiToken, TeamUser

# Compared against when the username is unknown, so that both cases cost one bcrypt check.
_DUMMY_HASH = "$2a$10$4W2.qudLy6nrqmG3cVBzmeVR95w3DJ8w/j/jc3ca22oiwmsyFnwZS"


async def signup(
    *, store: Store, settings: Settings, username: str, password: str, api_key: str
) -> None:
    if api_key != settings.API_KEY:
        raise APIError(401, "wrong api key")
    if await username_taken(store, username):
        raise APIError(401, "user already exists")
    admin = Admin(
        id=new_id(),
        username=username,
        password=await hash_or_400(password),
        updated_at=gotime.now(),
    )
    try:
        await store.admins.insert(admin)
    except DuplicateKey:
        raise APIError(401, "user already exists") from None


async def login(*, store: Store, secret: str, username: str, password: str) -> str:
    """A token for an admin or a team user (admins first); 401 on any mismatch."""
    user: Admin | TeamUser | None = await store.admins.get_by_username(username)
    if user is None:
        user = await store.team_users.get_by_username(username)
    stored = user.password if user else _DUMMY_HASH
    if not await asyncio.to_thread(verify_password, password, stored) or user is None:
        raise APIError(401, "invalid username or password")
    return create_token(username, secret)


async def whoami(*, store: Store, username: str) -> GoStruct:
    admin = await store.admins.get_by_username(username)
    if admin is not None:
        return GoStruct(id=admin.id, username=admin.username, is_admin=True)
    user = await store.team_users.get_by_username(username)
    if user is None:
        raise APIError(401, "User not found")
    return GoStruct(
        id=ZERO_ID,
        username=user.username,
        is_admin=False,
        owner=user.owner,
        permissions=permissions_public(user.permissions),
    )


async def update_admin(
    *, store: Store, caller: str, admin_id: str, username: str, password: str
) -> None:
    if username != caller:
        raise APIError(403, "Username mismatch")
    try:
        admin_id = parse_id(admin_id)
    except InvalidId:
        raise APIError(400, "Invalid ID format") from None
    try:
        admin = await store.admins.get_by_id_and_username(admin_id, username)
    except StoreError:
        raise APIError(500, "Failed to find admin") from None
    if admin is None:
        raise APIError(404, "Admin not found")
    hashed = await hash_or_400(password) if password else None
    try:
        await store.admins.update_password(admin.id, password=hashed, updated_at=gotime.now())
    except StoreError:
        raise APIError(500, "Failed to update admin") from None


# --- guards -----------------------------------------------------------------------------------


async def authorize(
    *,
    store: Store,
    username: str,
    token: ApiToken | None = None,
    permission: Permission,
    resource: Resource,
) -> Principal:
    """The permission guard: admins pass, team users need the flag, API tokens only upload.

    See docs/behaviour.md#permission-guard.
    """
    if token is not None:
        if (permission, resource) != (Permission.UPLOAD, Resource.APPS):
            raise APIError(403, "API tokens are restricted to app upload")
        if not token.allowed_apps:  # only a document written by hand has none
            raise APIError(403, "API token has no allowed applications")
        return Principal(username=username, owner=token.owner, token=token)
    admin = await store.admins.get_by_username(username)
    if admin is not None:
        return Principal(username=username, owner=username, admin=admin)
    user = await store.team_users.get_by_username(username)
    if user is None:
        raise APIError(401, "User not found")
    if not allows(user.permissions, permission, resource):
        raise APIError(403, "Permission denied")
    return Principal(username=username, owner=user.owner, team_user=user)


async def viewer(*, store: Store, username: str, token: ApiToken | None = None) -> Principal:
    """Who a list is for: a team user first, else the admin of that name (even unknown).

    The unguarded read routes of the original look ``team_users`` up first and otherwise
    treat any token's name as an admin's. An API token reads its admin's tenant, limited to
    its apps.
    """
    if token is not None:
        return Principal(username=username, owner=token.owner, token=token)
    user = await store.team_users.get_by_username(username)
    if user is not None:
        return Principal(username=username, owner=user.owner, team_user=user)
    return Principal(username=username, owner=username)


async def authorize_admin(
    *, store: Store, username: str, token: ApiToken | None = None
) -> Principal:
    """The admin-only guard; an API token never passes it."""
    if token is not None:
        raise APIError(403, "Admin JWT is required")
    admin = await store.admins.get_by_username(username)
    if admin is None:
        raise APIError(403, "Admin access required")
    return Principal(username=username, owner=username, admin=admin)
