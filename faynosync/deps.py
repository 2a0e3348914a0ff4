"""Typed dependencies shared by the routers: settings, store, storage, the caller and guards.

All are ``async def``: a plain ``def`` dependency runs in a worker thread, a hand-off on every
request for what is a read of ``app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from faynosync.access.permissions import Permission, Resource
from faynosync.access.principal import Principal
from faynosync.auth import service as auth_service
from faynosync.config import Settings
from faynosync.core.security import TokenError, bearer_value, username_from_header
from faynosync.errors import APIError
from faynosync.reports.limits import Counters
from faynosync.storage import ObjectStorage
from faynosync.storage.links import Links
from faynosync.store import Store
from faynosync.store.models import ApiToken
from faynosync.tokens import service as tokens


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


async def get_report_counters(request: Request) -> Counters:
    counters: Counters = request.app.state.report_counters
    return counters


SettingsDep = Annotated[Settings, Depends(get_settings)]
StagingDep = Annotated[Path, Depends(get_staging)]
StoreDep = Annotated[Store, Depends(get_store)]
StorageDep = Annotated[ObjectStorage, Depends(get_storage)]
LinksDep = Annotated[Links, Depends(get_links)]
SecretDep = Annotated[str, Depends(get_secret)]
ReportCountersDep = Annotated[Counters, Depends(get_report_counters)]


@dataclass(frozen=True)
class Caller:
    """Whom the ``Authorization`` header names: a user by its JWT, or an admin through one of
    its API tokens (``username`` is then the admin's)."""

    username: str
    token: ApiToken | None = None


async def authenticate(request: Request, secret: SecretDep, store: StoreDep) -> Caller:
    """The check every protected route runs first (401 with the original's messages): a JWT,
    else an API token (docs/behaviour.md#api-tokens)."""
    header = request.headers.get("authorization")
    try:
        caller = Caller(username_from_header(header, secret))
    except TokenError as exc:
        raw = bearer_value(header)
        if not tokens.looks_like_token(raw):
            raise APIError(401, str(exc)) from None
        token = await tokens.authenticate(store=store, raw=raw)
        caller = Caller(token.owner, token)
    request.state.authenticated = True
    return caller


def authenticated(scope: Scope) -> bool:
    """Whether the request's credentials passed :func:`authenticate`."""
    return bool(scope.get("state", {}).get("authenticated"))


CallerDep = Annotated[Caller, Depends(authenticate)]


async def token_username(caller: CallerDep) -> str:
    """The caller's name (the admin's, for an API token)."""
    return caller.username


TokenUsername = Annotated[str, Depends(token_username)]


def require(permission: Permission, resource: Resource) -> Callable[..., Awaitable[Principal]]:
    """The permission guard of a route: ``Depends(require(Permission.CREATE, Resource.APPS))``."""

    async def guard(store: StoreDep, caller: CallerDep) -> Principal:
        return await auth_service.authorize(
            store=store,
            username=caller.username,
            token=caller.token,
            permission=permission,
            resource=resource,
        )

    return guard


async def admin_only(store: StoreDep, caller: CallerDep) -> Principal:
    return await auth_service.authorize_admin(
        store=store, username=caller.username, token=caller.token
    )


AdminPrincipal = Annotated[Principal, Depends(admin_only)]


async def viewer(store: StoreDep, caller: CallerDep) -> Principal:
    return await auth_service.viewer(store=store, username=caller.username, token=caller.token)


Viewer = Annotated[Principal, Depends(viewer)]
