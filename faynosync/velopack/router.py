"""Route: ``GET /velopack/{owner}/{app}/{platform}/{arch}/{feed}``, Velopack's feeds and
packages (public: no token, no telemetry, no response cache)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.deps import StoreDep
from faynosync.http import openapi as doc
from faynosync.http.inputs import query_value
from faynosync.http.responses import GoJSONResponse, go_redirect
from faynosync.updaters import velopack
from faynosync.velopack import service

router = APIRouter(tags=["velopack"], default_response_class=GoJSONResponse)

_ASSET = doc.obj(
    {
        "PackageId": doc.STRING,
        "Version": doc.STRING,
        "Type": {"type": "string", "enum": ["Full", "Delta"]},
        "FileName": doc.STRING,
        "SHA1": doc.STRING,
        "SHA256": doc.STRING,
        "Size": {"type": "integer"},
        "NotesMarkdown": doc.STRING,
        "NotesHTML": doc.STRING,
    }
)
FEED: doc.Schema = doc.obj({"Assets": {"type": "array", "items": _ASSET}})


@router.get(
    "/velopack/{owner}/{app}/{platform}/{arch}/{feed:path}",
    operation_id="velopack-feed",
    openapi_extra=doc.query("id", "localVersion"),
    responses=doc.answers(
        doc.success(
            FEED,
            example={"Assets": []},
            description="`releases.{channel}.json`: the published releases of the channel, "
            "platform and arch, none above the required intermediate build a client at "
            '`localVersion` must install first (`{"Assets":[]}` when a name is unknown).',
        ),
        doc.redirect("A `.nupkg` file name: to that package's stored link."),
        doc.error(
            404,
            f"`{velopack.PACKAGE_NOT_FOUND}`, `{velopack.BAD_PATH}`, `{velopack.WRONG_ID}`.",
        ),
    ),
)
async def feed(
    request: Request, store: StoreDep, owner: str, app: str, platform: str, arch: str, feed: str
) -> Response:
    wanted = service.FeedRequest(
        owner=owner,
        app=app,
        platform=platform,
        arch=arch,
        feed=feed,
        feed_id=query_value(request, "id"),
        local_version=query_value(request, "localVersion"),
    )
    found = await service.answer(store, wanted)
    if found.location:
        return go_redirect(request.method, request.url.path, found.location)
    return Response(found.body, media_type=velopack.CONTENT_TYPE)
