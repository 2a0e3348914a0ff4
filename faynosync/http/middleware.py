"""What Gin does around routing: trailing-slash redirects, CORS headers and OPTIONS answers.

A path that differs from a route only by a trailing slash is redirected before any
middleware (301 for GET, 307 otherwise); every other request but ``GET /health`` passes the
CORS middleware, which answers any OPTIONS request with 204 (docs/behaviour.md#routing-and-cors).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faynosync.http.responses import go_redirect

CORS_ALLOW_HEADERS = (
    "Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, accept, "
    "origin, Cache-Control, X-Requested-With"
)


class Cors:
    """FaynoSync's CORS headers: for an ``Origin`` in ALLOWED_CORS (or, when that list is
    empty, for a request without one); the methods depend on the API level."""

    def __init__(self, origins: list[str], methods: str) -> None:
        self._origins = frozenset(origins)
        self._methods = methods.encode()

    def headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        origin = b""
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
                break
        if origin.decode("latin-1") not in self._origins:
            return []
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-headers", _ALLOW_HEADERS),
            (b"access-control-allow-methods", self._methods),
        ]


_KNOWN_PATHS = 4096
_ALLOW_HEADERS = CORS_ALLOW_HEADERS.encode()


class GinFront:
    """ASGI middleware in front of the router."""

    def __init__(self, app: ASGIApp, *, routes: list[BaseRoute], cors: Cors):
        self.app = app
        self._routes = routes  # the live list: routes added before the first request count too
        self._cors = cors
        # Whether (method, path) has a route: matching runs every route's pattern, so the
        # answers are kept (bounded: paths with parameters are endless).
        self._known: dict[tuple[str, str], bool] = {}

    def _routed(self, scope: Scope, path: str) -> bool:
        key = (scope["method"], path)
        known = self._known.get(key)
        if known is None:
            probe = {**scope, "path": path}
            known = any(route.matches(probe)[0] is Match.FULL for route in self._routes)
            if len(self._known) >= _KNOWN_PATHS:
                self._known.clear()
            self._known[key] = known
        return known

    def _cors_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        return self._cors.headers(scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        if path != "/" and method != "CONNECT" and not self._routed(scope, path):
            other = path[:-1] if path.endswith("/") else path + "/"
            if self._routed(scope, other):
                query = scope.get("query_string", b"").decode("latin-1")
                target = other + (f"?{query}" if query else "")
                status = 301 if method == "GET" else 307
                await go_redirect(method, path, target, status)(scope, receive, send)
                return
        if method == "GET" and path == "/health":
            await self.app(scope, receive, send)
            return
        cors = self._cors_headers(scope)
        if method == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": cors})
            await send({"type": "http.response.body", "body": b""})
            return
        if not cors:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)
