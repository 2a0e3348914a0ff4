"""Route: ``GET /objects/{public|private}/{key}``, the local store's files, with HTTP Range.

Public objects are served to anyone; private ones only through a link made by ``presign``
(signed, expiring after 15 minutes). Unused with S3, whose buckets serve their own links.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse

from faynosync.deps import StorageDep
from faynosync.errors import APIError
from faynosync.http import openapi as doc
from faynosync.storage import InvalidKey, ObjectNotFound
from faynosync.storage.keys import check_key, content_type_for
from faynosync.storage.local import OBJECTS_ROUTE, LinkRefused, LocalStorage

router = APIRouter(tags=["storage"])

RANGE = {
    "parameters": [
        {
            "name": "Range",
            "in": "header",
            "required": False,
            "description": "Bytes of the object, e.g. `bytes=0-1023`.",
            "schema": doc.STRING,
        }
    ]
}
OBJECT = {"schema": {"type": "string", "format": "binary"}}
ANSWERS = doc.answers(
    {200: {"description": "The object (its type by its name).", "content": {"*/*": OBJECT}}},
    {
        206: {
            "description": "The ranges asked for (several: `multipart/byteranges`).",
            "content": {"*/*": OBJECT},
        }
    },
    doc.error(400, "A key outside the storage root: `invalid object key`."),
    doc.text(400, "A malformed `Range` header.", example="Malformed range header."),
    doc.error(403, "A private object without a valid link: `invalid signature`, `link expired`."),
    doc.error(404, "No such object: `object not found`."),
    doc.text(416, "A range past the end of the object.", example=""),
    doc.no_route("A bucket other than public and private (any bucket when objects are in S3)"),
)


@router.get(
    OBJECTS_ROUTE + "/{bucket}/{key:path}",
    operation_id="storage-get_object",
    response_class=FileResponse,
    openapi_extra=RANGE,
    responses=ANSWERS,
)
async def get_object(
    bucket: str, key: str, storage: StorageDep, expires: str = "", signature: str = ""
) -> FileResponse:
    if not isinstance(storage, LocalStorage) or bucket not in ("public", "private"):
        raise StarletteHTTPException(404)
    private = bucket == "private"
    try:
        check_key(key)
        if private:
            storage.verify(key, expires, signature)
        obj = storage.stat(key, private=private)
    except InvalidKey:
        raise APIError(400, "invalid object key") from None
    except LinkRefused as exc:
        raise APIError(403, str(exc)) from None
    except ObjectNotFound:
        raise APIError(404, "object not found") from None
    media_type = content_type_for(key) or mimetypes.guess_type(key)[0] or "application/octet-stream"
    return FileResponse(obj.path, media_type=media_type)


# HEAD tells a downloader the size (S3's links answer it too).
router.add_api_route(
    OBJECTS_ROUTE + "/{bucket}/{key:path}",
    get_object,
    methods=["HEAD"],
    operation_id="storage-head_object",
    response_class=FileResponse,
    openapi_extra=RANGE,
    responses=ANSWERS,
)
