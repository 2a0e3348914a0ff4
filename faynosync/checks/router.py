"""Routes: ``GET /checkVersion``, the Squirrel.Windows RELEASES route and ``GET /apps/latest``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.checks import service
from faynosync.checks.cache import CachedResponse, CacheKey, ResponseCache
from faynosync.deps import StoreDep
from faynosync.http import openapi as doc
from faynosync.http.inputs import query_values
from faynosync.http.responses import GoJSONResponse, go_redirect, no_content
from faynosync.telemetry.collector import TelemetryCollector
from faynosync.updaters.answers import FeedAnswer

router = APIRouter(tags=["checks"], default_response_class=GoJSONResponse)

# The query parameters each route reads: the fields of its request.
CHECK_PARAMS = tuple(f.name for f in fields(service.CheckRequest))
LATEST_PARAMS = tuple(f.name for f in fields(service.LatestRequest))

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


def _render(request: Request, answer: FeedAnswer) -> Response:
    if answer.location is not None:
        return go_redirect(request.method, request.url.path, answer.location, answer.status)
    if answer.status == 204:
        return no_content()
    return GoJSONResponse(answer.body, status_code=answer.status)


def _cached(response: CachedResponse) -> Response:
    return Response(response.body, status_code=response.status, headers=dict(response.headers))


def _keep(
    cache: ResponseCache, key: CacheKey, response: Response, generation: int, facts: object
) -> None:
    headers = tuple(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in response.raw_headers
    )
    entry = CachedResponse(response.status_code, bytes(response.body), headers, facts)
    cache.put(key, entry, generation)


def _record(request: Request, check: service.CheckRequest, facts: service.CheckFacts) -> None:
    """Telemetry of an answered check, cache hits included (the original lost those)."""
    collector: TelemetryCollector | None = request.app.state.telemetry
    device = request.headers.get("x-device-id", "")
    if collector is None or not device:
        return
    collector.record(
        owner=check.owner,
        app=check.app_name,
        version=check.version,
        channel=check.channel,
        platform=facts.platform,
        arch=facts.arch,
        device=device,
        has_update=facts.found,
    )


async def _check(request: Request, store: StoreDep, check: service.CheckRequest) -> Response:
    async def answer() -> tuple[Response, bool, object]:
        result = await service.check_version(store, check)
        return _render(request, result.answer), result.cacheable, result.facts

    key = (request.url.path, *vars(check).values())
    response, facts = await _through_cache(request, key, answer)
    if isinstance(facts, service.CheckFacts):
        _record(request, check, facts)
    return response


async def _through_cache(
    request: Request, key: CacheKey, answer: Callable[[], Awaitable[tuple[Response, bool, object]]]
) -> tuple[Response, object]:
    """The cached answer if there is one, else ``answer()``, kept when it says it may be.

    Returns the response and the facts stored with it (what telemetry needs, for hits too).
    """
    cache: ResponseCache | None = request.app.state.cache
    if cache is None:
        response, _, facts = await answer()
        return response, facts
    hit = cache.get(key)
    if hit is not None:
        return _cached(hit), hit.facts
    generation = cache.generation
    response, keep, facts = await answer()
    if keep:
        _keep(cache, key, response, generation, facts)
    return response, facts


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
        CHECK_ERRORS,
        doc.no_route("A parameter holding a `/`"),
    ),
)
async def squirrel_releases(
    request: Request,
    store: StoreDep,
    owner: str,
    app: str,
    channel: str,
    platform: str,
    arch: str,
    version: str,
) -> Response:
    """Squirrel.Windows' feed: the path names everything, the updater is squirrel_windows."""
    check = service.CheckRequest(
        app_name=app,
        version=version,
        channel=channel,
        platform=platform,
        arch=arch,
        owner=owner,
        updater="squirrel_windows",
    )
    return await _check(request, store, check)


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
        doc.redirect(
            "squirrel_windows (to the RELEASES file), electron-builder (to the latest*.yml)."
        ),
        CHECK_ERRORS,
    ),
)
async def check_version(request: Request, store: StoreDep) -> Response:
    return await _check(
        request, store, service.CheckRequest(**query_values(request, *CHECK_PARAMS))
    )


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
async def latest(request: Request, store: StoreDep) -> Response:
    wanted = service.LatestRequest(**query_values(request, *LATEST_PARAMS))

    async def answer() -> tuple[Response, bool, object]:
        found = await service.latest_downloads(store, wanted)
        # As the original, only the answer with several links is kept.
        return _render(request, found), found.status == 200, None

    response, _ = await _through_cache(request, (request.url.path, *vars(wanted).values()), answer)
    return response
