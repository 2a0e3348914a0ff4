"""Routes: create, list, update and delete channels, platforms and archs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from faynosync.access.permissions import Permission, Resource
from faynosync.access.principal import Principal
from faynosync.catalog import service
from faynosync.catalog.kinds import ARCH, CHANNEL, PLATFORM, KindRules
from faynosync.catalog.openapi import UPDATER_ERRORS, created, deleted, listed, updated
from faynosync.catalog.schemas import (
    ArchCreate,
    ArchUpdate,
    ChannelCreate,
    ChannelUpdate,
    PlatformCreate,
    PlatformUpdate,
    list_body,
)
from faynosync.deps import SettingsDep, StoreDep, Viewer, require
from faynosync.errors import id_param
from faynosync.http import openapi as doc
from faynosync.http.inputs import bind_json, query_value
from faynosync.http.responses import GoJSONResponse

router = APIRouter(tags=["catalog"], default_response_class=GoJSONResponse)

INVALID_BODY = "Invalid request body"

# What the 400s of the create and update routes are.
_BODY = "A body that is not JSON, or without the required fields (`Invalid request body`)"
CHANNEL_CREATE_ERRORS = f"{_BODY}; a name outside [a-zA-Z0-9] (`invalid channel name`)."
ARCH_CREATE_ERRORS = f"{_BODY}; a name outside [a-zA-Z0-9] (`invalid architecture name`)."
PLATFORM_CREATE_ERRORS = (
    f"{_BODY}; a name outside [a-zA-Z0-9-] (`invalid platform name`); {UPDATER_ERRORS}."
)
_BAD_ID = "; an id that is not an ObjectID (`invalid id format`)."
CHANNEL_UPDATE_ERRORS = CHANNEL_CREATE_ERRORS[:-1] + _BAD_ID
ARCH_UPDATE_ERRORS = ARCH_CREATE_ERRORS[:-1] + _BAD_ID
PLATFORM_UPDATE_ERRORS = PLATFORM_CREATE_ERRORS[:-1] + _BAD_ID


def guard(permission: Permission, resource: Resource) -> object:
    return Depends(require(permission, resource))


CanCreateChannel = Annotated[Principal, guard(Permission.CREATE, Resource.CHANNELS)]
CanEditChannel = Annotated[Principal, guard(Permission.EDIT, Resource.CHANNELS)]
CanDeleteChannel = Annotated[Principal, guard(Permission.DELETE, Resource.CHANNELS)]
CanCreatePlatform = Annotated[Principal, guard(Permission.CREATE, Resource.PLATFORMS)]
CanEditPlatform = Annotated[Principal, guard(Permission.EDIT, Resource.PLATFORMS)]
CanDeletePlatform = Annotated[Principal, guard(Permission.DELETE, Resource.PLATFORMS)]
CanCreateArch = Annotated[Principal, guard(Permission.CREATE, Resource.ARCHS)]
CanEditArch = Annotated[Principal, guard(Permission.EDIT, Resource.ARCHS)]
CanDeleteArch = Annotated[Principal, guard(Permission.DELETE, Resource.ARCHS)]


async def _list(store: StoreDep, viewer: Principal, rules: KindRules) -> Response:
    metas = await service.visible(store=store, viewer=viewer, rules=rules)
    return GoJSONResponse(list_body(rules.list_key, metas))


async def _delete(
    request: Request, store: StoreDep, principal: Principal, rules: KindRules
) -> Response:
    meta_id = id_param(query_value(request, "id"))
    await service.delete(store=store, principal=principal, rules=rules, meta_id=meta_id)
    return GoJSONResponse({rules.deleted_key: 1})


# --- channels ---------------------------------------------------------------------------------


@router.post(
    "/channel/create",
    operation_id="catalog-create_channel",
    openapi_extra=doc.json_body(ChannelCreate),
    responses=created(CHANNEL, doc.error(400, CHANNEL_CREATE_ERRORS), doc.JSON_TOO_LARGE),
)
async def create_channel(
    request: Request, store: StoreDep, principal: CanCreateChannel
) -> Response:
    body = await bind_json(request, ChannelCreate, error=INVALID_BODY)
    meta_id = await service.create(
        store=store, principal=principal, rules=CHANNEL, name=body.channel
    )
    return GoJSONResponse({CHANNEL.created_key: meta_id})


@router.get(
    "/channel/list",
    operation_id="catalog-list_channels",
    openapi_extra=doc.guarded(),
    responses=listed(CHANNEL),
)
async def list_channels(store: StoreDep, viewer: Viewer) -> Response:
    return await _list(store, viewer, CHANNEL)


@router.delete(
    "/channel/delete",
    operation_id="catalog-delete_channel",
    openapi_extra=doc.query("id", required=("id",), guarded=True),
    responses=deleted(CHANNEL),
)
async def delete_channel(
    request: Request, store: StoreDep, principal: CanDeleteChannel
) -> Response:
    return await _delete(request, store, principal, CHANNEL)


@router.post(
    "/channel/update",
    operation_id="catalog-update_channel",
    openapi_extra=doc.json_body(ChannelUpdate),
    responses=updated(CHANNEL, doc.error(400, CHANNEL_UPDATE_ERRORS), doc.JSON_TOO_LARGE),
)
async def update_channel(request: Request, store: StoreDep, principal: CanEditChannel) -> Response:
    body = await bind_json(request, ChannelUpdate, error=INVALID_BODY)
    await service.update(
        store=store, principal=principal, rules=CHANNEL, raw_id=body.id, name=body.channel
    )
    return GoJSONResponse({CHANNEL.updated_key: True})


# --- platforms --------------------------------------------------------------------------------


@router.post(
    "/platform/create",
    operation_id="catalog-create_platform",
    openapi_extra=doc.json_body(PlatformCreate),
    responses=created(PLATFORM, doc.error(400, PLATFORM_CREATE_ERRORS), doc.JSON_TOO_LARGE),
)
async def create_platform(
    request: Request, store: StoreDep, settings: SettingsDep, principal: CanCreatePlatform
) -> Response:
    body = await bind_json(request, PlatformCreate, error=INVALID_BODY)
    meta_id = await service.create(
        store=store,
        principal=principal,
        rules=PLATFORM,
        name=body.platform,
        updaters=body.updaters,
        updater_types=settings.api_level.updater_types,
    )
    return GoJSONResponse({PLATFORM.created_key: meta_id})


@router.get(
    "/platform/list",
    operation_id="catalog-list_platforms",
    openapi_extra=doc.guarded(),
    responses=listed(PLATFORM),
)
async def list_platforms(store: StoreDep, viewer: Viewer) -> Response:
    return await _list(store, viewer, PLATFORM)


@router.delete(
    "/platform/delete",
    operation_id="catalog-delete_platform",
    openapi_extra=doc.query("id", required=("id",), guarded=True),
    responses=deleted(PLATFORM),
)
async def delete_platform(
    request: Request, store: StoreDep, principal: CanDeletePlatform
) -> Response:
    return await _delete(request, store, principal, PLATFORM)


@router.post(
    "/platform/update",
    operation_id="catalog-update_platform",
    openapi_extra=doc.json_body(PlatformUpdate),
    responses=updated(PLATFORM, doc.error(400, PLATFORM_UPDATE_ERRORS), doc.JSON_TOO_LARGE),
)
async def update_platform(
    request: Request, store: StoreDep, settings: SettingsDep, principal: CanEditPlatform
) -> Response:
    body = await bind_json(request, PlatformUpdate, error=INVALID_BODY)
    await service.update(
        store=store,
        principal=principal,
        rules=PLATFORM,
        raw_id=body.id,
        name=body.platform,
        updaters=body.updaters,
        updater_types=settings.api_level.updater_types,
    )
    return GoJSONResponse({PLATFORM.updated_key: True})


# --- archs ------------------------------------------------------------------------------------


@router.post(
    "/arch/create",
    operation_id="catalog-create_arch",
    openapi_extra=doc.json_body(ArchCreate),
    responses=created(ARCH, doc.error(400, ARCH_CREATE_ERRORS), doc.JSON_TOO_LARGE),
)
async def create_arch(request: Request, store: StoreDep, principal: CanCreateArch) -> Response:
    body = await bind_json(request, ArchCreate, error=INVALID_BODY)
    meta_id = await service.create(store=store, principal=principal, rules=ARCH, name=body.arch)
    return GoJSONResponse({ARCH.created_key: meta_id})


@router.get(
    "/arch/list",
    operation_id="catalog-list_archs",
    openapi_extra=doc.guarded(),
    responses=listed(ARCH),
)
async def list_archs(store: StoreDep, viewer: Viewer) -> Response:
    return await _list(store, viewer, ARCH)


@router.delete(
    "/arch/delete",
    operation_id="catalog-delete_arch",
    openapi_extra=doc.query("id", required=("id",), guarded=True),
    responses=deleted(ARCH),
)
async def delete_arch(request: Request, store: StoreDep, principal: CanDeleteArch) -> Response:
    return await _delete(request, store, principal, ARCH)


@router.post(
    "/arch/update",
    operation_id="catalog-update_arch",
    openapi_extra=doc.json_body(ArchUpdate),
    responses=updated(ARCH, doc.error(400, ARCH_UPDATE_ERRORS), doc.JSON_TOO_LARGE),
)
async def update_arch(request: Request, store: StoreDep, principal: CanEditArch) -> Response:
    body = await bind_json(request, ArchUpdate, error=INVALID_BODY)
    await service.update(
        store=store, principal=principal, rules=ARCH, raw_id=body.id, name=body.arch
    )
    return GoJSONResponse({ARCH.updated_key: True})
