"""Route: ``GET /telemetry``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.deps import SettingsDep, StoreDep, Viewer
from faynosync.http import openapi as doc
from faynosync.http import update_checks
from faynosync.http.inputs import query_value, query_values
from faynosync.http.responses import GoJSONResponse
from faynosync.telemetry import beacon, service

router = APIRouter(tags=["telemetry"], default_response_class=GoJSONResponse)


def _counts(name: str) -> doc.Schema:
    return doc.nullable_list(doc.obj({name: doc.STRING, "client_count": doc.INTEGER}))


_TOTALS = {
    "total_requests": doc.INTEGER,
    "unique_clients": doc.INTEGER,
    "clients_using_latest_version": doc.INTEGER,
    "clients_outdated": doc.INTEGER,
}
REPORT = doc.obj(
    {
        "date": doc.STRING,
        "date_range": {"type": "array", "items": doc.STRING},
        "admin": doc.STRING,
        "summary": doc.obj({**_TOTALS, "total_active_apps": doc.INTEGER}),
        "versions": doc.obj(
            {
                "used_versions_count": doc.INTEGER,
                "known_versions": doc.nullable_list(doc.STRING),
                "usage": _counts("version"),
            }
        ),
        "platforms": _counts("platform"),
        "architectures": _counts("arch"),
        "channels": _counts("channel"),
        "daily_stats": {"type": "array", "items": doc.obj({"date": doc.STRING, **_TOTALS})},
    }
)


@router.get(
    "/telemetry",
    operation_id="telemetry-report",
    openapi_extra=doc.query(
        "date", "range", "apps", "channels", "platforms", "architectures", guarded=True
    ),
    responses=doc.answers(
        doc.success(REPORT, description="The report of the caller's tenant."),
        doc.error(400, "`Invalid range parameter. Use 'week' or 'month'`."),
        doc.TOKEN,
        doc.error(403, "ENABLE_TELEMETRY is off: `Telemetry is not enabled on this instance`."),
    ),
)
async def telemetry(
    request: Request, store: StoreDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    params = query_values(
        request, "date", "range", "apps", "channels", "platforms", "architectures"
    )
    body = await service.report(
        store=store,
        collector=request.app.state.telemetry,
        enabled=settings.ENABLE_TELEMETRY,
        viewer=viewer,
        day=params["date"],
        range_name=params["range"],
        apps=params["apps"],
        channels=params["channels"],
        platforms=params["platforms"],
        archs=params["architectures"],
        today=datetime.now(UTC).date(),
        unions=settings.api_level.telemetry_unions,
    )
    return GoJSONResponse(body)


@router.get(
    "/telemetry/beacon",
    operation_id="telemetry-beacon",
    openapi_extra=doc.query(*beacon.PARAMS),
    responses=doc.answers(
        doc.empty(
            204,
            "Always, once telemetry is on: counted as an update check when `X-Device-ID` is "
            "given and the owner's app, channel, platform and arch have a published version "
            "(docs/behaviour.md#telemetry-beacon); ignored otherwise.",
        ),
        doc.error(403, "ENABLE_TELEMETRY is off: `Telemetry is not enabled on this instance`."),
    ),
)
async def telemetry_beacon(request: Request) -> Response:
    """What ``update_checks.receive_beacon`` answers; the layer in front of routing answers
    this path first, so this runs only when a request reaches the routes some other way."""
    reply = await update_checks.receive_beacon(
        request.app.state,
        lambda name, default: query_value(request, name) or default,
        lambda name: request.headers.get(name, ""),
    )
    return update_checks.as_response(reply)
