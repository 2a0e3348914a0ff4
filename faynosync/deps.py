"""Typed dependencies shared by the routers: settings, store, storage, the caller and guards.

All are ``async def``: a plain ``def`` dependency runs in a worker thread, a hand-off on every
request for what is a read of ``app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from faynosync.access.permissions import Permission, Resource
from faynosync.access.principal import Principal
from faynosync.auth import service as auth_service
from faynosync.config import Settings
from faynosync.core.security import TokenError, username_from_header
from faynosync.errors import APIError
from faynosync.storage import ObjectStorage
from faynosync.storage.links import Links
from faynosync.store import Store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_storage(request: Request) -> ObjectStorage:
    storage: ObjectStorage = request.app.state.storage
    return storage


async def get_links(request: Request) -> Links:
    links: Links = request.app.state.links
    return links


async def get_secret(request: Request) -> str:
    secret: str = request.app.state.jwt_secret
    return secret


async def get_staging(request: Request) -> Path:
    """Where uploads are staged: inside the data dir, so the local store can rename them."""
    staging: Path = request.app.state.staging
    return staging


SettingsDep = Annotated[Settings, Depends(get_settings)]
StagingDep = Annotated[Path, Depends(get_staging)]
StoreDep = Annotated[Store, Depends(get_store)]
StorageDep = Annotated[ObjectStorage, Depends(get_storage)]
LinksDep = Annotated[Links, Depends(get_links)]
SecretDep = Annotated[str, Depends(get_secret)]


async def token_username(request: Request, secret: SecretDep) -> str:
    """The JWT check every protected route runs first (401 with the original's messages)."""
    try:
        username = username_from_header(request.headers.get("authorization"), secret)
    except TokenError as exc:
        raise APIError(401, str(exc)) from None
    request.state.authenticated = True
    return username


def authenticated(scope: Scope) -> bool:
    """Whether the request's token passed :func:`token_username`."""
    return bool(scope.get("state", {}).get("authenticated"))


TokenUsername = Annotated[str, Depends(token_username)]


def require(permission: Permission, resource: Resource) -> Callable[..., Awaitable[Principal]]:
    """The permission guard of a route: ``Depends(require(Permission.CREATE, Resource.APPS))``."""

    async def guard(store: StoreDep, username: TokenUsername) -> Principal:
        return await auth_service.authorize(
            store=store, username=username, permission=permission, resource=resource
        )

    return guard


async def admin_only(store: StoreDep, username: TokenUsername) -> Principal:
    return await auth_service.authorize_admin(store=store, username=username)


AdminPrincipal = Annotated[Principal, Depends(admin_only)]


async def viewer(store: StoreDep, username: TokenUsername) -> Principal:
    return await auth_service.viewer(store=store, username=username)


Viewer = Annotated[Principal, Depends(viewer)]
