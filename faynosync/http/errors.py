"""The handlers that render every error as FaynoSync's ``{"error": ...}`` body, and the
catch-all for errors nothing else handled."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from faynosync.core import disk
from faynosync.core.security import TokenError, username_from_header
from faynosync.errors import APIError
from faynosync.http.responses import TEXT_TYPE, GoJSONResponse, not_found

log = logging.getLogger(__name__)


def error_response(exc: APIError) -> Response:
    body = {"error": exc.error}
    if exc.details is not None:
        body["details"] = exc.details
    headers = {"content-type": TEXT_TYPE} if exc.plain else None
    return GoJSONResponse(body, status_code=exc.status_code, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def _no_route(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods: Gin runs CORS and the JWT check, then answers 404 in text."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code not in (404, 405):
        return GoJSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
    try:
        username_from_header(request.headers.get("authorization"), request.app.state.jwt_secret)
    except TokenError as error:
        return error_response(APIError(401, str(error)))
    return not_found()


async def _invalid_request(request: Request, exc: Exception) -> Response:
    return GoJSONResponse({"error": "invalid request"}, status_code=400)


async def _disk_full(request: Request, exc: Exception) -> Response:
    log.error("%s %s: %s", request.method, request.url.path, exc)
    return GoJSONResponse({"error": disk.MESSAGE}, status_code=507)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _no_route)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(disk.DiskFull, _disk_full)


class CatchAll:
    """ASGI middleware for errors nothing else handled: logged with their traceback and
    answered 500 ``{"error":"internal server error"}``.

    It sits inside the CORS layer, so a browser sees the body; and it does not re-raise, so
    the server keeps the connection open for the client's next request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            if scope["type"] != "http":
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            response = GoJSONResponse({"error": "internal server error"}, status_code=500)
            try:
                await response(scope, receive, send)
            except Exception:
                # Half an answer is out (the server refuses a second start): only closing the
                # connection can tell the client.
                raise exc from None
