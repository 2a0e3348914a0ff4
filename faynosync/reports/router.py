"""Routes: ``POST /reports/ingest`` (public: a report key), ``GET /report-keys/list``,
``POST /report-keys/regenerate`` (always served), and the triage of groups:
``GET /reports/groups``, ``GET /reports/groups/:groupHash/blobs``,
``PATCH /reports/groups/:groupHash``, ``DELETE /reports/groups/:groupHash``
(with ``REPORTS_ENABLED``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from faynosync.access.permissions import Permission, Resource
from faynosync.access.principal import Principal
from faynosync.deps import ReportCountersDep, SettingsDep, StorageDep, StoreDep, require
from faynosync.http.inputs import bind_json, query_values, read_limited
from faynosync.http.responses import GoJSONResponse
from faynosync.reports import openapi as docs
from faynosync.reports import service
from faynosync.reports.schemas import GROUP_QUERY, Regenerate

CanEdit = Annotated[Principal, Depends(require(Permission.EDIT, Resource.APPS))]
CanDownload = Annotated[Principal, Depends(require(Permission.DOWNLOAD, Resource.APPS))]
CanDelete = Annotated[Principal, Depends(require(Permission.DELETE, Resource.APPS))]

ingest_router = APIRouter(tags=["reports"], default_response_class=GoJSONResponse)
keys_router = APIRouter(tags=["reports"], default_response_class=GoJSONResponse)
groups_router = APIRouter(tags=["reports"], default_response_class=GoJSONResponse)


@ingest_router.post("/reports/ingest", status_code=202, **docs.INGEST)
async def ingest(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    settings: SettingsDep,
    counters: ReportCountersDep,
) -> Response:
    device = request.headers.get("x-device-id", "")
    key = await service.ingest_key(
        store=store, authorization=request.headers.get("authorization", ""), device=device
    )
    raw = await read_limited(
        request, settings.REPORTS_MAX_BODY_BYTES, too_large="request body too large"
    )
    accepted = await service.ingest(
        store=store,
        storage=storage,
        counters=counters,
        settings=settings,
        key=key,
        device=device,
        ip=request.client.host if request.client else "",
        raw=raw,
    )
    return GoJSONResponse(accepted, status_code=202)


@keys_router.get("/report-keys/list", **docs.LIST_KEYS)
async def list_keys(store: StoreDep, principal: CanEdit) -> Response:
    return GoJSONResponse(await service.list_keys(store=store, principal=principal))


@keys_router.post("/report-keys/regenerate", **docs.REGENERATE)
async def regenerate(request: Request, store: StoreDep, principal: CanEdit) -> Response:
    body = await bind_json(request, Regenerate, error="Invalid request body")
    return GoJSONResponse(
        await service.regenerate(store=store, principal=principal, app_id=body.app_id)
    )


@groups_router.get("/reports/groups", **docs.GROUPS)
async def groups(request: Request, store: StoreDep, principal: CanDownload) -> Response:
    query = query_values(request, *GROUP_QUERY)
    return GoJSONResponse(await service.groups(store=store, principal=principal, query=query))


@groups_router.get("/reports/groups/{groupHash}/blobs", **docs.BLOBS)
async def blobs(
    groupHash: str,  # FaynoSync's name of the path parameter
    store: StoreDep,
    storage: StorageDep,
    principal: CanDownload,
) -> Response:
    return GoJSONResponse(
        await service.blobs(store=store, storage=storage, principal=principal, group_hash=groupHash)
    )


@groups_router.patch("/reports/groups/{groupHash}", **docs.PATCH)
async def change(
    groupHash: str,
    request: Request,
    store: StoreDep,
    principal: CanEdit,
) -> Response:
    service.check_hash(groupHash)
    patch = service.read_patch(await read_limited(request))
    return GoJSONResponse(
        await service.change(store=store, principal=principal, group_hash=groupHash, patch=patch)
    )


@groups_router.delete("/reports/groups/{groupHash}", **docs.DELETE)
async def delete(
    groupHash: str,
    store: StoreDep,
    storage: StorageDep,
    principal: CanDelete,
) -> Response:
    return GoJSONResponse(
        await service.delete(
            store=store, storage=storage, principal=principal, group_hash=groupHash
        )
    )
