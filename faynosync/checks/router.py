"""Routes: ``GET /checkVersion``, the Squirrel.Windows RELEASES route and ``GET /apps/latest``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.checks import requests, service
from faynosync.checks.cache import CachedResponse, CacheKey, ResponseCache
from faynosync.http import openapi as doc
from faynosync.http.inputs import query_value
from faynosync.http.responses import GoJSONResponse, go_redirect, no_content
from faynosync.http.revalidation import etag, not_modified, not_modified_response
from faynosync.store import Store
from faynosync.updaters.answers import FeedAnswer

router = APIRouter(tags=["checks"], default_response_class=GoJSONResponse)


def _store(request: Request) -> Store:
    # From the app's state, not a dependency: the update checks are the hot path, and FastAPI's
    # dependency solving costs more than the lookup.
    store: Store = request.app.state.store
    return store


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


def _render(request: Request, answer: FeedAnswer) -> Response:
    if answer.location is not None:
        return go_redirect(request.method, request.url.path, answer.location, answer.status)
    if answer.status == 204:
        return no_content()
    response = GoJSONResponse(answer.body, status_code=answer.status)
    if answer.status == 200:
        # An answer can be revalidated: caches in front and clients ask with If-None-Match.
        response.headers["etag"] = etag(bytes(response.body))
        response.headers["cache-control"] = request.app.state.settings.FAYNOSYNC_CHECK_CACHE_CONTROL
    return response


def _cached(entry: CachedResponse) -> Response:
    response = Response(status_code=entry.status)
    response.body = entry.body
    response.raw_headers = list(entry.headers)
    return response


def _keep(
    cache: ResponseCache, key: CacheKey, response: Response, generation: int, facts: object
) -> None:
    tag = response.headers.get("etag", "")
    headers = tuple(response.raw_headers)
    entry = CachedResponse(response.status_code, bytes(response.body), headers, facts, tag)
    cache.put(key, entry, generation)


def _revalidated(request: Request, response: Response) -> Response:
    """304 without a body when the client (or a cache in front) has this answer already."""
    tag = response.headers.get("etag")
    if tag is None or not not_modified(request.headers.get("if-none-match"), tag):
        return response
    return not_modified_response(tag, response.headers.get("cache-control", ""))


async def _check(request: Request, check: service.CheckRequest) -> Response:
    async def answer() -> tuple[Response, bool, object]:
        result = await service.check_version(_store(request), check)
        return _render(request, result.answer), result.cacheable, result.facts

    key = requests.cache_key(request.scope["path"], check)
    response, facts = await _through_cache(request, key, answer)
    if isinstance(facts, service.CheckFacts):
        device = request.headers.get("x-device-id", "")
        service.count(request.app.state.telemetry, check, facts, device)
    return _revalidated(request, response)


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
    return await _check(request, check)


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
    return await _check(request, requests.check_from_query(_query(request)))


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

    async def answer() -> tuple[Response, bool, object]:
        found = await service.latest_downloads(_store(request), wanted)
        # As the original, only the answer with several links is kept.
        return _render(request, found), found.status == 200, None

    response, _ = await _through_cache(
        request, requests.cache_key(request.url.path, wanted), answer
    )
    return _revalidated(request, response)
