"""Route: ``GET /health``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.core import gojson
from faynosync.http import openapi as doc
from faynosync.http.responses import JSON_TYPE, GoJSONResponse
from faynosync.store import Store, StoreError

router = APIRouter(tags=["system"], default_response_class=GoJSONResponse)

PING_TIMEOUT = 5.0
_HEALTHY = gojson.dumpb({"status": "healthy"})


@router.get(
    "/health",
    operation_id="system-health",
    responses=doc.answers(
        doc.ok({"status": doc.const("healthy")}),
        doc.success(
            doc.obj({"details": doc.STRING, "status": doc.const("unhealthy")}),
            status=424,
            description="The database does not answer: `<database> connection failed`.",
        ),
    ),
)
async def health(request: Request) -> Response:
    # The store from the app's state, not a dependency: the cheapest answer is a health check's.
    store: Store = request.app.state.store
    try:
        async with asyncio.timeout(PING_TIMEOUT):
            await store.ping()
    except (StoreError, TimeoutError):
        body = {"details": f"{store.name} connection failed", "status": "unhealthy"}
        return GoJSONResponse(body, status_code=424)
    return Response(_HEALTHY, media_type=JSON_TYPE)
