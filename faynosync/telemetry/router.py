"""Route: ``GET /telemetry``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.auth import service as auth_service
from faynosync.deps import SettingsDep, StoreDep, TokenUsername
from faynosync.errors import APIError
from faynosync.http import openapi as doc
from faynosync.http.inputs import query_values
from faynosync.http.responses import GoJSONResponse
from faynosync.telemetry import service

router = APIRouter(tags=["telemetry"], default_response_class=GoJSONResponse)


@router.get(
    "/telemetry",
    operation_id="telemetry-report",
    openapi_extra=doc.query(
        "date", "range", "apps", "channels", "platforms", "architectures", guarded=True
    ),
    responses=doc.answers({"date": "2024-03-13", "summary": {"total_requests": 5}}, 400, 401, 403),
)
async def telemetry(
    request: Request, store: StoreDep, settings: SettingsDep, username: TokenUsername
) -> Response:
    if not settings.ENABLE_TELEMETRY:
        raise APIError(403, "Telemetry is not enabled on this instance")
    collector = request.app.state.telemetry
    if collector is not None:
        await collector.flush()  # what was counted up to now is in the report

    params = query_values(
        request, "date", "range", "apps", "channels", "platforms", "architectures"
    )
    body = await service.report(
        store=store,
        viewer=await auth_service.viewer(store=store, username=username),
        day=params["date"],
        range_name=params["range"],
        apps=params["apps"],
        channels=params["channels"],
        platforms=params["platforms"],
        archs=params["architectures"],
        today=datetime.now(UTC).date(),
    )
    return GoJSONResponse(body)
