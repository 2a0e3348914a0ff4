"""The update checks over HTTP: ``GET /checkVersion``, the Squirrel.Windows RELEASES route and
``GET /apps/latest``, answered in front of routing.

Every installed copy of every app polls these, so they skip FastAPI's routing and dependency
solving: a plain ASGI layer reads the request from its raw path and query
(``faynosync.checks.requests``, as the routes read it), looks it up in the response cache
(PERFORMANCE_MODE), asks the checks service on a miss and keeps the answer, counts the check for
telemetry, answers 304 to an ``If-None-Match`` naming the ETag, and adds the CORS headers the
routes would get. The routes in ``checks.router`` call :func:`respond` too (they are reached by
nothing but a test or a future layer in front); other methods and paths go on to routing.
The telemetry beacon (``GET /telemetry/beacon``), which clients send beside their update checks,
is answered here too (:func:`receive_beacon`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from faynosync.checks import requests, rollouts, service
from faynosync.checks.cache import CachedResponse, CacheKey, ResponseCache, RolloutSplit
from faynosync.checks.releases import ReleasesFiles
from faynosync.config import Settings
from faynosync.core import gojson, gotime
from faynosync.errors import APIError
from faynosync.http.errors import error_response
from faynosync.http.middleware import Cors
from faynosync.http.responses import JSON_TYPE, GoJSONResponse, go_redirect
from faynosync.http.revalidation import etag, not_modified
from faynosync.telemetry import beacon
from faynosync.updaters.answers import FeedAnswer

log = logging.getLogger(__name__)

Header = Callable[[str], str]
"""A request header by its lower-case name, "" when absent."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer as it goes out: status, headers (lower-case names, as sent) and body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: str = ""


async def respond(
    state: Any, path: str, request: service.CheckRequest | service.LatestRequest, header: Header
) -> Reply:
    """The answer to an update check of ``path``, through the response cache when it is on.

    ``state`` is the app's state (settings, store, cache, telemetry). Refusals raise
    :class:`APIError`, as everywhere.
    """
    cache: ResponseCache | None = state.cache
    settings = state.settings  # read once: each read of the app's state costs ~0.5 µs
    if settings.api_level.check_dots and isinstance(request, service.CheckRequest):
        # API level 2.1 reads 1-2-3 as 1.2.3, for the answer, the cache key and telemetry.
        request = replace(request, version=request.version.replace("-", "."))
    device = header("x-device-id")
    key = requests.cache_key(path, request) if cache is not None else None
    hit = cache.get(key) if cache is not None and key is not None else None
    split = hit if isinstance(hit, RolloutSplit) else None
    if split is not None and key is not None and cache is not None:
        # Rollouts in play: the answer is kept per variant of the device.
        hit = cache.get((*key, *rollouts.variant(split.gates, device)))
    if isinstance(hit, CachedResponse):
        reply, facts = Reply(hit.status, hit.headers, hit.body, hit.etag), hit.facts
    else:
        generation = cache.generation if cache is not None else 0
        computed = await _compute(state, settings, path, request, device)
        reply, facts = computed.reply, computed.facts
        if cache is not None and key is not None and computed.keep:
            entry = CachedResponse(reply.status, reply.body, reply.headers, facts, reply.etag)
            _keep(cache, key, entry, computed, split, device, generation)
    if isinstance(request, service.CheckRequest) and isinstance(facts, service.CheckFacts):
        service.count(state.telemetry, request, facts, device)
    if reply.etag and not_modified(header("if-none-match"), reply.etag):
        return _not_modified(reply)
    return reply


def _keep(
    cache: ResponseCache,
    key: CacheKey,
    entry: CachedResponse,
    computed: _Computed,
    split: RolloutSplit | None,
    device: str,
    generation: int,
) -> None:
    """Keep an answer: under its key when no rollout below 100% is in play (every device gets
    it); else under the key and the device's variant, the key itself naming the rollouts met
    (those of earlier answers too, so that every variant kept stays tellable)."""
    within = None
    if computed.expires is not None:
        within = (computed.expires - gotime.now()).total_seconds()
    if not computed.gates:
        cache.put(key, entry, generation, within=within)
        return
    gates = split.gates if split is not None else ()
    gates += tuple(gate for gate in computed.gates if gate not in gates)
    cache.put(key, RolloutSplit(gates), generation, within=within)
    cache.put((*key, *rollouts.variant(gates, device)), entry, generation, within=within)


def _not_modified(reply: Reply) -> Reply:
    """304 without a body: the client (or a cache in front) has this answer already."""
    kept = tuple((name, value) for name, value in reply.headers if name in _KEPT_ON_304)
    return Reply(304, kept, b"", reply.etag)


_KEPT_ON_304 = frozenset({b"etag", b"cache-control"})


@dataclass(slots=True)
class _Computed:
    """An answer, whether it may be kept, what telemetry records of it, the rollouts below
    100% it met and when a rollout schedule changes it."""

    reply: Reply
    keep: bool
    facts: object = None
    gates: tuple[rollouts.Gate, ...] = ()
    expires: datetime | None = None


async def _compute(
    state: Any,
    settings: Settings,
    path: str,
    request: service.CheckRequest | service.LatestRequest,
    device: str,
) -> _Computed:
    if isinstance(request, service.CheckRequest):
        result = await service.check_version(
            state.store,
            request,
            hidden=settings.api_level.check_hidden_packages,
            device=device,
            enforce=settings.FAYNOSYNC_ROLLOUT_ENFORCE,
            releases=(
                ReleasesFiles(state.storage, state.links)
                if settings.api_level.releases_text
                else None
            ),
            sparkle_appcasts=settings.api_level.sparkle_appcasts,
        )
        reply = _render(settings, path, result.answer)
        return _Computed(reply, result.cacheable, result.facts, result.gates, result.expires)
    found = await service.latest_downloads(state.store, request)
    # As the original, only the answer with several links is kept.
    return _Computed(_render(settings, path, found), found.status == 200)


_JSON_TYPE = (b"content-type", JSON_TYPE.encode())
_TEXT_TYPE = (b"content-type", b"text/plain; charset=utf-8")
_NO_CONTENT = Reply(204, (_JSON_TYPE,), b"")


def _render(settings: Settings, path: str, answer: FeedAnswer) -> Reply:
    if answer.location is not None:
        return _reply(go_redirect("GET", path, answer.location, answer.status))
    if answer.status == 204:
        return _NO_CONTENT
    if answer.text is not None:
        body = answer.text.encode("utf-8", "surrogateescape")
        headers = [(b"content-length", str(len(body)).encode()), _TEXT_TYPE]
    else:
        body = gojson.dumpb(answer.body)
        headers = [(b"content-length", str(len(body)).encode()), _JSON_TYPE]
    if answer.status != 200:
        return Reply(answer.status, tuple(headers), body)
    # An answer can be revalidated: caches in front and clients ask with If-None-Match.
    tag = etag(body)
    control = settings.FAYNOSYNC_CHECK_CACHE_CONTROL
    headers += [(b"etag", tag.encode()), (b"cache-control", control.encode("latin-1"))]
    return Reply(200, tuple(headers), body, tag)


class UpdateChecks:
    """ASGI middleware, outermost: update checks answered here, everything else passed on.

    ``state`` is the application's state (settings, store, cache, telemetry), read on each
    request: the layer sits in front of the framework, which has not set ``scope["app"]``.
    """

    def __init__(self, app: ASGIApp, *, state: Any, cors: Cors) -> None:
        self.app = app
        self._state = state
        self._cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path == BEACON_PATH:
                values = requests.first_values(scope["query_string"])
                header = _headers(scope)
                reply = await receive_beacon(self._state, values.get, header)
                await self._send(scope, reply, send)
                return
            if path in _PLAIN_PATHS or path.startswith("/update/"):
                values = requests.first_values(scope["query_string"])
                request = requests.read(path, lambda name: values.get(name, ""))
                if request is not None:
                    response = await self._respond(scope, path, request)
                    await self._send(scope, response, send)
                    return
        await self.app(scope, receive, send)

    async def _respond(
        self, scope: Scope, path: str, request: service.CheckRequest | service.LatestRequest
    ) -> Reply:
        try:
            return await respond(self._state, path, request, _headers(scope))
        except APIError as exc:
            return _reply(error_response(exc))
        except Exception:
            log.exception("unhandled error on GET %s", path)
            return _reply(GoJSONResponse({"error": "internal server error"}, status_code=500))

    async def _send(self, scope: Scope, reply: Reply, send: Send) -> None:
        cors = self._cors.headers(scope)
        headers = [*reply.headers, *cors] if cors else reply.headers
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})


def _headers(scope: Scope) -> Header:
    raw: list[tuple[bytes, bytes]] = scope["headers"]

    def header(name: str) -> str:
        wanted = name.encode("latin-1")
        for key, value in raw:
            if key == wanted:
                return value.decode("latin-1")
        return ""

    return header


BEACON_PATH = "/telemetry/beacon"
_BEACON_TAKEN = Reply(204, (), b"")


async def receive_beacon(state: Any, query: Callable[[str, str], str], header: Header) -> Reply:
    """The telemetry beacon (``telemetry.beacon``): 204 without a body, whatever it carried,
    once telemetry is on; 403 otherwise. Answered here, before routing, as the update checks
    whose answers it reports on."""
    sent = beacon.Beacon(*(query(name, "") for name in beacon.PARAMS))
    try:
        await beacon.receive(
            store=state.store,
            collector=state.telemetry,
            allowed=state.allowlist,
            beacon=sent,
            device=header("x-device-id"),
        )
    except APIError as exc:
        return _reply(error_response(exc))
    except Exception:
        # A beacon is answered 204 whatever happens; what failed is logged.
        log.exception("unhandled error on GET %s", BEACON_PATH)
    return _BEACON_TAKEN


def _reply(response: Response) -> Reply:
    return Reply(response.status_code, tuple(response.raw_headers), bytes(response.body))


def as_response(reply: Reply) -> Response:
    """A reply as a Starlette response, for the routes."""
    response = Response(status_code=reply.status)
    response.body = reply.body
    response.raw_headers = list(reply.headers)
    return response


_PLAIN_PATHS = frozenset({requests.CHECK_PATH, requests.LATEST_PATH})
