"""Routes: ``POST /app/create``, ``GET /app/list``, ``POST /app/update``, ``DELETE /app/delete``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from faynosync.access.permissions import Permission, Resource
from faynosync.access.principal import Principal
from faynosync.catalog import apps as service
from faynosync.catalog import service as catalog
from faynosync.catalog.kinds import APP
from faynosync.catalog.openapi import created, deleted, listed, updated
from faynosync.catalog.schemas import list_body
from faynosync.core import gojson
from faynosync.deps import SettingsDep, StagingDep, StorageDep, StoreDep, Viewer, require
from faynosync.errors import id_param
from faynosync.http import openapi as doc
from faynosync.http.inputs import data_field, open_form, query_value
from faynosync.http.responses import GoJSONResponse

router = APIRouter(tags=["apps"], default_response_class=GoJSONResponse)

CanCreate = Annotated[Principal, Depends(require(Permission.CREATE, Resource.APPS))]
CanEdit = Annotated[Principal, Depends(require(Permission.EDIT, Resource.APPS))]
CanDelete = Annotated[Principal, Depends(require(Permission.DELETE, Resource.APPS))]


APP_DATA = {
    "type": "object",
    "properties": {
        "app": {"type": "string"},
        "description": {"type": "string"},
        "private": {"type": "string", "description": 'Only "true" makes the app private.'},
    },
    "required": ["app"],
    "additionalProperties": {"type": "string"},
    "description": "Every value is a string.",
}
APP_UPDATE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "app": {"type": "string"},
        "description": {"type": "string"},
    },
    "required": ["id", "app"],
    "additionalProperties": {"type": "string"},
    "description": "Every value is a string.",
}
_LOGO_400 = (
    ", with a logo a name that cannot be in a storage key "
    "(`the app name cannot be used in a storage key`)"
)
_LOGO_500 = doc.error(500, "The logo could not be stored: `failed to upload logo to S3`.")


@router.post(
    "/app/create",
    operation_id="apps-create_app",
    openapi_extra=doc.form_body(APP_DATA, files="The logo (the first file)."),
    responses=created(
        APP,
        doc.FORM_DATA,
        doc.error(400, f"No `app` (`app is required`){_LOGO_400}."),
        doc.FORM_TOO_LARGE,
        _LOGO_500,
    ),
)
async def create_app(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    staging: StagingDep,
    settings: SettingsDep,
    principal: CanCreate,
) -> Response:
    async with open_form(request, staging) as form:
        logos = form.file_list("file")
        app_id = await service.create_app(
            store=store,
            storage=storage,
            level=settings.api_level,
            principal=principal,
            data=data_field(form, gojson.string_map),
            logo=logos[0] if logos else None,
        )
    return GoJSONResponse({APP.created_key: app_id})


@router.get(
    "/app/list",
    operation_id="apps-list_apps",
    openapi_extra=doc.guarded(),
    responses=listed(APP),
)
async def list_apps(store: StoreDep, settings: SettingsDep, viewer: Viewer) -> Response:
    metas = await catalog.visible(store=store, viewer=viewer, rules=APP)
    return GoJSONResponse(list_body(APP.list_key, metas, app_flags=settings.api_level.app_flags))


@router.post(
    "/app/update",
    operation_id="apps-update_app",
    openapi_extra=doc.form_body(APP_UPDATE, files="A new logo (the first file)."),
    responses=updated(
        APP,
        doc.FORM_DATA,
        doc.error(
            400,
            "No `id` or `app` (`id is required`, `app is required`), an id that is not an "
            f"ObjectID (`invalid id format`){_LOGO_400}.",
        ),
        doc.error(
            404,
            "API level 2.1: a missing app, or another tenant's (`app not found`).",
        ),
        doc.FORM_TOO_LARGE,
        _LOGO_500,
    ),
)
async def update_app(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    staging: StagingDep,
    settings: SettingsDep,
    principal: CanEdit,
) -> Response:
    async with open_form(request, staging) as form:
        logos = form.file_list("file")
        await service.update_app(
            store=store,
            storage=storage,
            level=settings.api_level,
            principal=principal,
            data=data_field(form, gojson.string_map),
            logo=logos[0] if logos else None,
        )
    return GoJSONResponse({APP.updated_key: True})


@router.delete(
    "/app/delete",
    operation_id="apps-delete_app",
    openapi_extra=doc.query("id", required=("id",), guarded=True),
    responses=deleted(APP),
)
async def delete_app(
    request: Request, store: StoreDep, storage: StorageDep, principal: CanDelete
) -> Response:
    app_id = id_param(query_value(request, "id"))
    await service.delete_app(store=store, storage=storage, principal=principal, app_id=app_id)
    return GoJSONResponse({APP.deleted_key: 1})
