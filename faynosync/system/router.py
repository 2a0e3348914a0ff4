"""Route: ``GET /health``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.responses import Response

from faynosync.deps import StoreDep
from faynosync.http import openapi as doc
from faynosync.http.responses import GoJSONResponse
from faynosync.store import StoreError

router = APIRouter(tags=["system"], default_response_class=GoJSONResponse)

PING_TIMEOUT = 5.0


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
async def health(store: StoreDep) -> Response:
    try:
        await asyncio.wait_for(store.ping(), PING_TIMEOUT)
    except (StoreError, TimeoutError):
        body = {"details": f"{store.name} connection failed", "status": "unhealthy"}
        return GoJSONResponse(body, status_code=424)
    return GoJSONResponse({"status": "healthy"})
