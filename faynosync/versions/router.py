"""Routes: ``POST /upload``, ``POST /apps/update``, ``DELETE /apps/delete``, ``GET /search``,
``POST /artifact/delete``, ``GET /`` (deprecated) and ``GET /download``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from faynosync.access.permissions import Permission, Resource
from faynosync.access.principal import Principal
from faynosync.core import gojson
from faynosync.deps import (
    LinksDep,
    SettingsDep,
    StagingDep,
    StorageDep,
    StoreDep,
    Viewer,
    require,
)
from faynosync.errors import id_param
from faynosync.http import openapi as doc
from faynosync.http.inputs import Form, data_field, open_form, query_value, query_values
from faynosync.http.responses import GoJSONResponse, go_redirect
from faynosync.notify.slack import SlackNotifier
from faynosync.versions import download, search, service
from faynosync.versions.openapi import VERSION_ITEM
from faynosync.versions.schemas import VersionData

router = APIRouter(tags=["versions"], default_response_class=GoJSONResponse)

CanUpload = Annotated[Principal, Depends(require(Permission.UPLOAD, Resource.APPS))]
CanEdit = Annotated[Principal, Depends(require(Permission.EDIT, Resource.APPS))]
CanDelete = Annotated[Principal, Depends(require(Permission.DELETE, Resource.APPS))]
CanDownload = Annotated[Principal, Depends(require(Permission.DOWNLOAD, Resource.APPS))]

# What the routes answer besides success (docs/behaviour.md#routes, docs/behaviour.md#downloads,
# docs/behaviour.md#search).
_NAMES_400 = (
    "A name or version of the wrong syntax (`invalid app_name parameter`, `invalid version "
    "parameter`, `invalid channel parameter`…); a channel, platform or arch missing while the "
    "tenant has some (`you have a created channels, setting channel is required`…) or unknown "
    "(`wrong name of channel. Channel does not exist`…); an updater's file or signature "
    "missing (`electron-builder updater requires a YML/YAML file…`…); at API level 2.1, a "
    "`sparkle` upload's appcast missing, refused or not describing every archive and delta "
    "(`sparkle updater requires exactly one appcast*.xml feed file…`, `invalid sparkle "
    "appcast: …`, `sparkle appcast has no matching <enclosure> for uploaded file(s): …`; "
    "docs/behaviour.md#sparkle-appcasts)."
)
_ROLLOUT_400 = (
    'Staged rollouts (README, "Staged rollouts"): `rollout` outside 0..100 (`rollout must be '
    "an integer between 0 and 100`; not an integer: `Invalid JSON data`); a bad "
    "`rollout_schedule` (`rollout_schedule step N: …`, `rollout_schedule steps must be in "
    "time order`, `give either rollout or rollout_schedule, not both`)."
)
_ACCESS_500 = (
    "a team user's allowed lists lack the app, channel, platform or arch "
    "(`you don't have access to this app`, `… channel`, `… platform`, `… architecture`)"
)
UPLOAD_ERRORS = doc.answers(
    doc.FORM_DATA,
    doc.error(
        400,
        f"{_NAMES_400} Not multipart: `multipart form data is required`; an object key "
        f"outside the storage root: `invalid object key: <key>`. {_ROLLOUT_400}",
    ),
    doc.FORM_TOO_LARGE,
    doc.error(
        500,
        "As FaynoSync: no file (`no results found. Please check your files.`); the app is "
        "not the tenant's (`app_name not found in apps_meta collection or you don't have "
        "permission to access it`); the version has an artifact of this extension, platform "
        "and arch (`app with this name, version, platform, architecture and extension "
        f"already exists`); {_ACCESS_500}; storage failed (`failed to upload file to S3`).",
    ),
)
UPDATE_ERRORS = doc.answers(
    doc.FORM_DATA,
    doc.error(
        400,
        "With files, a platform or arch of the wrong syntax, missing or unknown (as for "
        "`/upload`); an id that is not an ObjectID (Go's parse error); an updater's file "
        "missing; an object key outside the storage root (`invalid object key: <key>`). "
        + _ROLLOUT_400,
    ),
    doc.FORM_TOO_LARGE,
    doc.error(
        500,
        "As FaynoSync: an app, channel, platform or arch unknown to the tenant (`app_name not "
        "found in apps_meta collection`, `channel_name not found…`, `platform_name not "
        "found…`, `arch_id not found…`); no such version (`app with this parameters doesn't "
        "exist`); another channel (`updating the channel is not allowed`); "
        f"{_ACCESS_500}; storage failed (`failed to upload file to S3`).",
    ),
)
LINK_400 = "A stored link that cannot be turned back into an object key (the version is gone)."


def version_data(form: Form) -> VersionData:
    """The ``data`` field, bound with Go's rules."""
    return data_field(form, lambda value: gojson.bind(value, VersionData))


async def slack(request: Request) -> SlackNotifier | None:
    notifier: SlackNotifier | None = request.app.state.slack
    return notifier


@router.post(
    "/upload",
    operation_id="versions-upload",
    openapi_extra=doc.form_body(VersionData, files="The artifacts.", fields=("intermediate",)),
    responses=doc.answers(
        doc.ok({"uploadResult.Uploaded": doc.ID}, example={"uploadResult.Uploaded": "653a…"}),
        UPLOAD_ERRORS,
        doc.TOKEN,
        doc.PERMISSION,
    ),
)
async def upload(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    links: LinksDep,
    staging: StagingDep,
    principal: CanUpload,
    notifier: Annotated[SlackNotifier | None, Depends(slack)],
    settings: SettingsDep,
) -> Response:
    async with open_form(request, staging) as form:
        version_id = await service.upload(
            store=store,
            storage=storage,
            links=links,
            principal=principal,
            data=version_data(form),
            intermediate=form.value("intermediate"),
            files=form.file_list("file"),
            multipart=form.multipart,
            rollout_always=settings.api_level.rollout_always_stored,
            appcasts=settings.api_level.sparkle_appcasts,
            repeatable=settings.api_level.repeatable_packages,
        )
    if notifier is not None:
        notifier.version_uploaded(version_id)
    return GoJSONResponse({"uploadResult.Uploaded": version_id})


@router.post(
    "/apps/update",
    operation_id="versions-update",
    openapi_extra=doc.form_body(VersionData, files="More artifacts.", fields=("intermediate",)),
    responses=doc.answers(
        doc.ok({"updatedResult.Updated": doc.const(True)}),
        UPDATE_ERRORS,
        doc.TOKEN,
        doc.PERMISSION,
    ),
)
async def update_version(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    links: LinksDep,
    staging: StagingDep,
    settings: SettingsDep,
    principal: CanEdit,
) -> Response:
    async with open_form(request, staging) as form:
        await service.update_version(
            store=store,
            storage=storage,
            links=links,
            principal=principal,
            keys_of_admin=settings.api_level.edit_keys_of_admin,
            appcasts=settings.api_level.sparkle_appcasts,
            data=version_data(form),
            intermediate=form.value("intermediate"),
            files=form.file_list("file"),
            multipart=form.multipart,
        )
    return GoJSONResponse({"updatedResult.Updated": True})


@router.delete(
    "/apps/delete",
    operation_id="versions-delete",
    openapi_extra=doc.query("id", required=("id",), guarded=True),
    responses=doc.answers(
        doc.ok({"deleteSpecificAppResult.DeletedCount": doc.const(1)}),
        doc.BAD_ID,
        doc.error(400, LINK_400),
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(
            500,
            'As FaynoSync, `{"details":…,"error":"failed to delete specific version of app"}` '
            'with the reason: `no app found with ID ObjectID("<id>")`, `you don\'t have '
            "permission to delete this item`.",
        ),
    ),
)
async def delete_version(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    links: LinksDep,
    settings: SettingsDep,
    principal: CanDelete,
) -> Response:
    version_id = id_param(query_value(request, "id"))
    await service.delete_version(
        store=store,
        storage=storage,
        links=links,
        principal=principal,
        version_id=version_id,
        appcasts=settings.api_level.sparkle_appcasts,
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
    responses=doc.answers(
        doc.ok(
            {
                "items": doc.nullable_list(VERSION_ITEM),
                "total": doc.INTEGER,
                "page": doc.INTEGER,
                "limit": doc.INTEGER,
            },
            example={"items": None, "total": 0, "page": 1, "limit": 9},
        ),
        doc.TOKEN,
        doc.error(
            500,
            "As FaynoSync: the app is not the tenant's (`app_name not found in apps_meta "
            "collection`), nor in a team user's allowed list (`you don't have permission to "
            "access any apps`, `… this app`); a channel, platform or arch filter unknown "
            "(`channel not found in apps_meta collection`…); a stored version the database "
            "cannot order (`(ConversionFailure) Failed to parse number…`).",
        ),
    ),
)
async def search_versions(
    request: Request, store: StoreDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    params = query_values(
        request, "app_name", "channel", "platform", "arch", "published", "critical", "page", "limit"
    )
    level = settings.api_level
    body = await search.search(
        store=store, viewer=viewer, tuf=level.search_tuf, rollout=level.search_rollout, **params
    )
    return GoJSONResponse(body)


@router.post(
    "/artifact/delete",
    operation_id="versions-delete_artifacts",
    openapi_extra=doc.form_body(VersionData),
    responses=doc.answers(
        doc.ok(
            {"deleteSpecificArtifactResult": doc.BOOLEAN},
            example={"deleteSpecificArtifactResult": True},
        ),
        doc.FORM_DATA,
        doc.error(
            400,
            "With files, a platform or arch of the wrong syntax, missing or unknown (as for "
            f"`/upload`); an id that is not an ObjectID (Go's parse error). {LINK_400}",
        ),
        doc.TOKEN,
        doc.PERMISSION,
        doc.FORM_TOO_LARGE,
    ),
)
async def delete_artifacts(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    links: LinksDep,
    staging: StagingDep,
    settings: SettingsDep,
    principal: CanDelete,
) -> Response:
    async with open_form(request, staging) as form:
        done = await service.delete_artifacts(
            store=store,
            storage=storage,
            links=links,
            principal=principal,
            data=version_data(form),
            with_files=bool(form.file_list("file")),
            appcasts=settings.api_level.sparkle_appcasts,
        )
    return GoJSONResponse({"deleteSpecificArtifactResult": done})


@router.get(
    "/",
    operation_id="versions-list_all",
    openapi_extra=doc.query("limit", guarded=True),
    responses=doc.answers(
        doc.ok({"apps": doc.nullable_list(VERSION_ITEM)}, example={"apps": None}),
        doc.TOKEN,
        doc.error(
            500,
            "A stored version the database cannot order "
            "(`(ConversionFailure) Failed to parse number…`).",
        ),
    ),
)
async def list_all(
    request: Request, store: StoreDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    """Deprecated in FaynoSync (documented, not routed by v1.4.6): every version of the caller."""
    body = await search.list_all(
        store=store,
        viewer=viewer,
        limit=query_value(request, "limit"),
        tuf=settings.api_level.search_tuf,
        rollout=settings.api_level.search_rollout,
    )
    return GoJSONResponse(body)


# --- /download: public or guarded, as ENABLE_PRIVATE_APP_DOWNLOADING says ---------------------

DOWNLOAD_ERRORS = doc.answers(
    doc.error(
        400,
        "An empty key, or one outside the storage root: `Failed to generate pre-signed URL`.",
    ),
    doc.error(500, "As FaynoSync, signing failed: `Failed to generate pre-signed URL`."),
)

public_download = APIRouter(tags=["versions"], default_response_class=GoJSONResponse)
guarded_download = APIRouter(tags=["versions"], default_response_class=GoJSONResponse)


@public_download.get(
    "/download",
    operation_id="versions-download_public",
    openapi_extra=doc.query("key", required=("key",)),
    responses=doc.answers(
        doc.ok({"download_url": doc.STRING}, example={"download_url": "https://…"}),
        doc.redirect("ENABLE_PRIVATE_APP_DOWNLOADING is exactly `true`: to the signed link."),
        DOWNLOAD_ERRORS,
    ),
)
async def download_public(
    request: Request, store: StoreDep, storage: StorageDep, links: LinksDep, settings: SettingsDep
) -> Response:
    url = await download.presigned_url(
        store=store,
        storage=storage,
        links=links,
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
    responses=doc.answers(
        doc.ok({"download_url": doc.STRING}, example={"download_url": "https://…"}),
        DOWNLOAD_ERRORS,
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(
            403,
            "A team user without the app in its allowed list (`Permission denied`).",
        ),
        doc.error(404, "The key is no artifact of the caller's tenant: `artifact not found`."),
    ),
)
async def download_guarded(
    request: Request,
    store: StoreDep,
    storage: StorageDep,
    links: LinksDep,
    principal: CanDownload,
) -> Response:
    url = await download.presigned_url(
        store=store,
        storage=storage,
        links=links,
        key=query_value(request, "key"),
        principal=principal,
    )
    return GoJSONResponse({"download_url": url})
