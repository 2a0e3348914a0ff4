"""ASGI: update checks whose answer is cached, answered before routing.

With PERFORMANCE_MODE, a GET of ``/checkVersion``, the RELEASES route or ``/apps/latest`` is read
from its raw path and query (``faynosync.checks.requests``, as the route reads it), looked up in
the response cache, and a hit is sent as stored: bytes, headers, the CORS headers the route would
get, a 304 when ``If-None-Match`` names its ETag, and the check counted for telemetry. A miss,
and every other request, goes on to the routes, which fill the cache.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from faynosync.checks import requests, service
from faynosync.checks.cache import CachedResponse, ResponseCache
from faynosync.http.middleware import cors_headers
from faynosync.http.revalidation import not_modified


class CachedChecks:
    def __init__(self, app: ASGIApp, *, cache: ResponseCache, cors_origins: list[str]) -> None:
        self.app = app
        self._cache = cache
        self._origins = frozenset(cors_origins)
        self._collector: Any = _UNKNOWN

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path in _PLAIN_PATHS or path.startswith("/update/"):
                params = QueryParams(scope["query_string"])
                request = requests.read(path, lambda name: (params.getlist(name) or [""])[0])
                if request is not None:
                    hit = self._cache.get(requests.cache_key(path, request))
                    if hit is not None:
                        self._count(scope, request, hit)
                        await self._send(scope, hit, send)
                        return
        await self.app(scope, receive, send)

    def _count(self, scope: Scope, request: object, hit: CachedResponse) -> None:
        facts = hit.facts
        if facts is None or not isinstance(request, service.CheckRequest):
            return
        if self._collector is _UNKNOWN:
            self._collector = scope["app"].state.telemetry  # set once the app has started
        if self._collector is not None and isinstance(facts, service.CheckFacts):
            service.count(self._collector, request, facts, _header(scope, b"x-device-id"))

    async def _send(self, scope: Scope, hit: CachedResponse, send: Send) -> None:
        cors = cors_headers(scope, self._origins)
        if hit.etag and not_modified(_header(scope, b"if-none-match"), hit.etag):
            headers = [(name, value) for name, value in hit.headers if name in _KEPT_ON_304]
            await send({"type": "http.response.start", "status": 304, "headers": headers + cors})
            await send({"type": "http.response.body", "body": b""})
            return
        start = [*hit.headers, *cors] if cors else hit.headers
        await send({"type": "http.response.start", "status": hit.status, "headers": start})
        await send({"type": "http.response.body", "body": hit.body})


_UNKNOWN = object()
_PLAIN_PATHS = frozenset({requests.CHECK_PATH, requests.LATEST_PATH})
_KEPT_ON_304 = frozenset({b"etag", b"cache-control"})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""
