"""Routes: ``POST /upload``, ``POST /apps/update``, ``DELETE /apps/delete``, ``GET /search``,
``POST /artifact/delete``, ``GET /`` (deprecated) and ``GET /download``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from faynosync.auth.permissions import Permission, Resource
from faynosync.auth.service import Principal
from faynosync.core import gojson
from faynosync.deps import (
    SettingsDep,
    StagingDep,
    StorageDep,
    StoreDep,
    TokenUsername,
    Viewer,
    require,
)
from faynosync.http import openapi as doc
from faynosync.http.inputs import Form, data_field, id_param, open_form, query_value, query_values
from faynosync.http.responses import GoJSONResponse, go_redirect
from faynosync.notify.slack import SlackNotifier
from faynosync.versions import download, search, service
from faynosync.versions.schemas import VersionData

router = APIRouter(tags=["versions"], default_response_class=GoJSONResponse)

CanUpload = Annotated[Principal, Depends(require(Permission.UPLOAD, Resource.APPS))]
CanEdit = Annotated[Principal, Depends(require(Permission.EDIT, Resource.APPS))]
CanDelete = Annotated[Principal, Depends(require(Permission.DELETE, Resource.APPS))]
CanDownload = Annotated[Principal, Depends(require(Permission.DOWNLOAD, Resource.APPS))]


def version_data(form: Form) -> VersionData:
    """The ``data`` field; the ``intermediate`` field, when given, overrides its flag."""
    data = data_field(form, lambda value: gojson.bind(value, VersionData))
    if form.value("intermediate"):
        data.intermediate = form.value("intermediate") == "true"
    return data


def slack(request: Request) -> SlackNotifier | None:
    notifier: SlackNotifier | None = request.app.state.slack
    return notifier


@router.post(
    "/upload",
    operation_id="versions-upload",
    openapi_extra=doc.form_body(VersionData, files="The artifacts.", fields=("intermediate",)),
    responses=doc.answers({"uploadResult.Uploaded": "653a…"}, 400, 401, 403, 500),
)
async def upload(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    settings: SettingsDep,
    staging: StagingDep,
    principal: CanUpload,
    notifier: Annotated[SlackNotifier | None, Depends(slack)],
) -> Response:
    async with open_form(request, staging) as form:
        version_id = await service.upload(
            store=store,
            storage=storage,
            settings=settings,
            principal=principal,
            data=version_data(form),
            files=form.file_list("file"),
            multipart=form.multipart,
        )
    if notifier is not None:
        notifier.version_uploaded(version_id)
    return GoJSONResponse({"uploadResult.Uploaded": version_id})


@router.post(
    "/apps/update",
    operation_id="versions-update",
    openapi_extra=doc.form_body(VersionData, files="More artifacts.", fields=("intermediate",)),
    responses=doc.answers({"updatedResult.Updated": True}, 400, 401, 403, 500),
)
async def update_version(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    settings: SettingsDep,
    staging: StagingDep,
    principal: CanEdit,
) -> Response:
    async with open_form(request, staging) as form:
        await service.update_version(
            store=store,
            storage=storage,
            settings=settings,
            principal=principal,
            data=version_data(form),
            files=form.file_list("file"),
            multipart=form.multipart,
        )
    return GoJSONResponse({"updatedResult.Updated": True})


@router.delete(
    "/apps/delete",
    operation_id="versions-delete",
    openapi_extra=doc.query("id", required=("id",), guarded=True),
    responses=doc.answers({"deleteSpecificAppResult.DeletedCount": 1}, 400, 401, 403, 500),
)
async def delete_version(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    settings: SettingsDep,
    principal: CanDelete,
) -> Response:
    version_id = id_param(query_value(request, "id"))
    await service.delete_version(
        store=store, storage=storage, settings=settings, principal=principal, version_id=version_id
    )
    return GoJSONResponse({"deleteSpecificAppResult.DeletedCount": 1})


@router.get(
    "/search",
    operation_id="versions-search",
    openapi_extra=doc.query(
        "app_name",
        "channel",
        "published",
        "critical",
        "platform",
        "arch",
        "page",
        "limit",
        required=("app_name",),
        guarded=True,
    ),
    responses=doc.answers({"items": None, "total": 0, "page": 1, "limit": 9}, 401, 500),
)
async def search_versions(request: Request, store: StoreDep, viewer: Viewer) -> Response:
    params = query_values(
        request, "app_name", "channel", "platform", "arch", "published", "critical", "page", "limit"
    )
    body = await search.search(store=store, viewer=viewer, **params)
    return GoJSONResponse(body)


@router.post(
    "/artifact/delete",
    operation_id="versions-delete_artifacts",
    openapi_extra=doc.form_body(VersionData),
    responses=doc.answers({"deleteSpecificArtifactResult": True}, 400, 401, 403),
)
async def delete_artifacts(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    settings: SettingsDep,
    staging: StagingDep,
    principal: CanDelete,
) -> Response:
    async with open_form(request, staging) as form:
        data = version_data(form)
        if form.file_list("file"):
            await service.check_file_target(store, data, principal.owner)
        done = await service.delete_artifacts(
            store=store, storage=storage, settings=settings, principal=principal, data=data
        )
    return GoJSONResponse({"deleteSpecificArtifactResult": done})


@router.get(
    "/",
    operation_id="versions-list_all",
    openapi_extra=doc.query("limit", guarded=True),
    responses=doc.answers({"apps": None}, 401, 500),
)
async def list_all(request: Request, store: StoreDep, username: TokenUsername) -> Response:
    """Deprecated in FaynoSync (documented, not routed by v1.4.6): every version of the caller."""
    body = await search.list_all(
        store=store, username=username, limit=query_value(request, "limit")
    )
    return GoJSONResponse(body)


# --- /download: public or guarded, as ENABLE_PRIVATE_APP_DOWNLOADING says ---------------------

public_download = APIRouter(tags=["versions"], default_response_class=GoJSONResponse)
guarded_download = APIRouter(tags=["versions"], default_response_class=GoJSONResponse)


@public_download.get(
    "/download",
    operation_id="versions-download_public",
    openapi_extra=doc.query("key", required=("key",)),
    responses=doc.answers({"download_url": "https://…"}, 400, 500),
)
async def download_public(
    request: Request, store: StoreDep, storage: StorageDep, settings: SettingsDep
) -> Response:
    url = await download.presigned_url(
        store=store,
        storage=storage,
        settings=settings,
        key=query_value(request, "key"),
        principal=None,
    )
    if settings.private_downloads_redirect:
        return go_redirect(request.method, request.url.path, url)
    return GoJSONResponse({"download_url": url})


@guarded_download.get(
    "/download",
    operation_id="versions-download",
    openapi_extra=doc.query("key", required=("key",), guarded=True),
    responses=doc.answers({"download_url": "https://…"}, 400, 401, 403, 404, 500),
)
async def download_guarded(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    settings: SettingsDep,
    principal: CanDownload,
) -> Response:
    url = await download.presigned_url(
        store=store,
        storage=storage,
        settings=settings,
        key=query_value(request, "key"),
        principal=principal,
    )
    return GoJSONResponse({"download_url": url})
