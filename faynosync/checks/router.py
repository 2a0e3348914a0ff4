"""Routes: ``GET /checkVersion``, the Squirrel.Windows RELEASES route and ``GET /apps/latest``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.checks import requests, service
from faynosync.http import openapi as doc
from faynosync.http import update_checks
from faynosync.http.inputs import query_value
from faynosync.http.responses import GoJSONResponse

router = APIRouter(tags=["checks"], default_response_class=GoJSONResponse)


def _query(request: Request) -> requests.Query:
    return lambda name: query_value(request, name)


# The answers of an update check, by the platform's updater (docs/behaviour.md#updater-answers).
_URL_KEYS = {"^update_url(_.*)?$": doc.STRING}
_GENERIC = {
    "title": "Generic (manual, no or an unknown updater)",
    **doc.obj(
        {"update_available": doc.BOOLEAN, "critical": doc.BOOLEAN},
        {
            "possible_rollback": doc.BOOLEAN,
            "is_intermediate_required": doc.const(True),
            "changelog": doc.STRING,
            "signature": doc.STRING,
        },
    ),
    "patternProperties": _URL_KEYS,
}
_SQUIRREL_DARWIN = {
    **_GENERIC,
    "title": "squirrel_darwin",
    "required": ["update_available", "critical", "url"],
    "properties": {**_GENERIC["properties"], "url": doc.STRING},
    "patternProperties": {"^update_url$": doc.STRING},
}
CHECK_BODY: doc.Schema = {
    "anyOf": [
        _GENERIC,
        _SQUIRREL_DARWIN,
        {
            "title": "tauri",
            **doc.obj(
                {"version": doc.STRING},
                {"notes": doc.STRING, "url": doc.STRING, "signature": doc.STRING},
            ),
        },
        {"title": "sparkle", **doc.obj({"status": doc.STRING, "updater": doc.const("sparkle")})},
        {
            "title": "No artifact",
            **doc.obj({"error": doc.const("Not found"), "update_available": doc.const(False)}),
        },
    ]
}
NOT_MODIFIED = doc.empty(304, "`If-None-Match` names the answer's `ETag`: it has not changed.")
CHECK_ERRORS = doc.error(
    400,
    "A name or version of the wrong syntax (`invalid app_name parameter`…), a channel "
    "missing or unknown to the owner, an unknown app (`app_name not found in apps_meta "
    "collection`), no published version for this platform and arch (`no matching documents "
    "found for app_name: <app>`), a version go-version cannot read (`Malformed version: <v>`).",
)
LATEST_BODY = {
    "type": "object",
    "description": "channel → platform → arch → package (extension, or `no-extension`) → url",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": doc.obj({"url": doc.STRING}),
            },
        },
    },
}


async def _respond(
    request: Request, wanted: service.CheckRequest | service.LatestRequest
) -> Response:
    """What ``update_checks.respond`` answers; the layer in front of routing answers these
    paths first, so this runs only when a request reaches the routes some other way."""
    header: update_checks.Header = lambda name: request.headers.get(name, "")  # noqa: E731
    reply = await update_checks.respond(request.app.state, request.scope["path"], wanted, header)
    return update_checks.as_response(reply)


@router.get(
    "/update/{owner}/{app}/{channel}/{platform}/{arch}/{version}/RELEASES",
    operation_id="checks-squirrel_releases",
    responses=doc.answers(
        doc.redirect(
            "The platform has the squirrel_windows updater: to the RELEASES file of the version "
            "to install (a relative `Location` when it has none)."
        ),
        doc.success(
            CHECK_BODY,
            description="The platform has no squirrel_windows updater: the generic answer of "
            "`/checkVersion`.",
        ),
        NOT_MODIFIED,
        CHECK_ERRORS,
        doc.no_route("A parameter holding a `/`"),
    ),
)
async def squirrel_releases(
    request: Request,
    owner: str,
    app: str,
    channel: str,
    platform: str,
    arch: str,
    version: str,
) -> Response:
    """Squirrel.Windows' feed: the path names everything, the updater is squirrel_windows."""
    check = requests.releases_request(
        owner=owner, app=app, channel=channel, platform=platform, arch=arch, version=version
    )
    return await _respond(request, check)


@router.get(
    "/checkVersion",
    operation_id="checks-check_version",
    openapi_extra=doc.query(
        "app_name",
        "version",
        "channel",
        "platform",
        "arch",
        "owner",
        "updater",
        required=("app_name", "version", "owner"),
    ),
    responses=doc.answers(
        doc.success(
            CHECK_BODY,
            example={
                "critical": False,
                "update_available": True,
                "update_url_dmg": "https://…/app-1.0.dmg",
            },
            description="The answer of the platform's updater (the generic one by default).",
        ),
        doc.empty(204, "squirrel_darwin, electron-builder, tauri: nothing to install."),
        NOT_MODIFIED,
        doc.redirect(
            "squirrel_windows (to the RELEASES file), electron-builder (to the latest*.yml)."
        ),
        CHECK_ERRORS,
    ),
)
async def check_version(request: Request) -> Response:
    check = requests.check_from_query(_query(request))
    return await _respond(request, check)


@router.get(
    "/apps/latest",
    operation_id="checks-latest",
    openapi_extra=doc.query(
        "app_name",
        "channel",
        "platform",
        "arch",
        "package",
        "owner",
        required=("app_name", "channel", "owner"),
    ),
    responses=doc.answers(
        doc.success(
            LATEST_BODY,
            example={
                "nightly": {
                    "windows": {
                        "amd64": {
                            "exe": {"url": "https://…/app-1.0.exe"},
                            "zip": {"url": "https://…/app-1.0.zip"},
                        }
                    }
                }
            },
            description="Several links of the latest published version.",
        ),
        doc.redirect("Exactly one link: to it."),
        NOT_MODIFIED,
        doc.error(400, "`Parameters 'app_name' and 'channel' are required`."),
        doc.error(
            404,
            "The latest published version has no artifact for these filters: "
            "`No matching data found for the provided parameters`.",
        ),
        doc.error(
            500,
            "As FaynoSync: an app or channel unknown to the owner (`app_name not found in "
            "apps_meta collection`, `channel not found in apps_meta collection`), or a stored "
            "version the database cannot order (`(ConversionFailure) Failed to parse number…`).",
        ),
    ),
)
async def latest(request: Request) -> Response:
    wanted = requests.latest_from_query(_query(request))
    return await _respond(request, wanted)
