"""The OpenAPI text of the reports routes: inputs and every answer they give."""

from __future__ import annotations

from typing import Any

from faynosync.http import openapi as doc
from faynosync.reports.schemas import GROUP_QUERY, GroupPatch, Ingest, Regenerate

_HASH_PATH = {
    "name": "groupHash",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "64 lowercase hex digits.",
}
_APPLICATION = doc.obj({"name": doc.STRING, "version": doc.STRING, "channel": doc.STRING})
_SYSTEM = doc.obj({"platform": doc.STRING, "arch": doc.STRING})
_EVENT = doc.obj({"type": doc.STRING, "reason": doc.STRING})
_SUBJECT = {"application": _APPLICATION, "system": _SYSTEM, "event": _EVENT}
_GROUP = doc.obj(
    {
        "id": doc.ID,
        "group_hash": doc.STRING,
        "app_id": doc.ID,
        **_SUBJECT,
        "stats": doc.obj(
            {
                "count": doc.INTEGER,
                "first_seen": doc.TIME,
                "last_seen": doc.TIME,
                "details_stored": doc.INTEGER,
                "details_rejected": doc.INTEGER,
            }
        ),
        "created_at": doc.TIME,
        "updated_at": doc.TIME,
    },
    {
        "status": doc.STRING,
        "tags": {"type": "array", "items": doc.STRING},
        "note": doc.STRING,
        "resolved_at": doc.TIME,
        "resolved_by": doc.STRING,
    },
)
_BLOB = doc.obj(
    {
        "id": doc.ID,
        "group_hash": doc.STRING,
        "app_id": doc.ID,
        **_SUBJECT,
        "storage": doc.obj(
            {
                "driver": doc.STRING,
                "key": doc.STRING,
                "compressed_size": doc.INTEGER,
                "decompressed_size": doc.INTEGER,
                "content_type": doc.STRING,
                "encoding": doc.STRING,
            }
        ),
        "created_at": doc.TIME,
        "expires_at": doc.TIME,
        "url": doc.STRING,
    }
)
_KEY = doc.obj(
    {
        "id": doc.ID,
        "app_id": doc.ID,
        "app_name": doc.STRING,
        "key_value": doc.STRING,
        "updated_at": doc.TIME,
    }
)
_BAD_HASH = doc.error(400, "A path that is not 64 lowercase hex digits: `invalid group hash`.")
_DB = doc.error(500, "The database failed: `internal server error`.")
_GROUP_QUERY = doc.query(*GROUP_QUERY, guarded=True)

INGEST: dict[str, Any] = {
    "operation_id": "reports-ingest",
    "openapi_extra": {
        **doc.json_body(Ingest, guarded=False),
        "parameters": [
            {
                "name": "X-Device-ID",
                "in": "header",
                "required": True,
                "schema": doc.STRING,
                "description": "The device sending the report.",
            }
        ],
    },
    "responses": doc.answers(
        doc.ok(
            {
                "status": doc.const("accepted"),
                "group_hash": doc.STRING,
                "stored_details": doc.BOOLEAN,
            },
            status=202,
        ),
        doc.error(
            400,
            "No `X-Device-ID` (`missing X-Device-ID`); a body that is not JSON "
            "(`invalid request body`); an empty or malformed field (`missing application.name`, "
            "`invalid event.reason`...); details FaynoSync does not take "
            "(`unsupported details encoding`, `unsupported details content_type`, "
            "`invalid details payload encoding`, `invalid details payload`).",
        ),
        doc.error(401, "No report key, or an unknown one: `invalid report key`."),
        doc.error(
            403,
            "The app's reports are off (`reports are disabled for this app`), or the key is "
            "another app's (`report key does not belong to this application`).",
        ),
        doc.error(
            413,
            "A body over REPORTS_MAX_BODY_BYTES (`request body too large`), details over the "
            "limits (`compressed details too large`, `decompressed details too large`).",
        ),
        doc.error(
            429,
            "Too many reports (per key, address, tenant, device and group): `rate limit exceeded`.",
        ),
        _DB,
    ),
}
LIST_KEYS: dict[str, Any] = {
    "operation_id": "reports-list_keys",
    "openapi_extra": doc.guarded(),
    "responses": doc.answers(
        doc.ok({"report_keys": doc.nullable_list(_KEY)}, example={"report_keys": None}),
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(500, "The database failed (its message)."),
    ),
}
REGENERATE: dict[str, Any] = {
    "operation_id": "reports-regenerate_key",
    "openapi_extra": doc.json_body(Regenerate),
    "responses": doc.answers(
        doc.ok({"app_id": doc.STRING, "key_value": doc.STRING}),
        doc.error(
            400,
            "No `app_id` (`Invalid request body`), or not an ObjectID (`Invalid app ID format`).",
        ),
        doc.TOKEN,
        doc.PERMISSION,
        doc.JSON_TOO_LARGE,
        doc.error(
            500,
            "Not an app of the caller's (`app not found`, `you don't have access to this "
            "app`), reports off (`reports are disabled for this app`), no key "
            "(`report key for app <id> not found`).",
        ),
    ),
}
GROUPS: dict[str, Any] = {
    "operation_id": "reports-list_groups",
    "openapi_extra": _GROUP_QUERY,
    "responses": doc.answers(
        doc.ok(
            {
                "items": {"type": "array", "items": _GROUP},
                "total": doc.INTEGER,
                "page": doc.INTEGER,
                "limit": doc.INTEGER,
            }
        ),
        doc.error(400, "A status other than open, resolved, muted, all: `invalid status`."),
        doc.TOKEN,
        doc.PERMISSION,
        _DB,
    ),
}
BLOBS: dict[str, Any] = {
    "operation_id": "reports-list_blobs",
    "openapi_extra": {**doc.guarded(), "parameters": [_HASH_PATH]},
    "responses": doc.answers(
        doc.ok({"items": {"type": "array", "items": _BLOB}}),
        _BAD_HASH,
        doc.TOKEN,
        doc.PERMISSION,
        _DB,
    ),
}
PATCH: dict[str, Any] = {
    "operation_id": "reports-change_group",
    "openapi_extra": {**doc.json_body(GroupPatch), "parameters": [_HASH_PATH]},
    "responses": doc.answers(
        doc.ok({"group_hash": doc.STRING, "updated": doc.const(True)}),
        _BAD_HASH,
        doc.error(
            400,
            "Not JSON of the expected types (`invalid request body`), nothing to change "
            "(`no fields to update`), `invalid status`, `invalid tags`, `note too long`.",
        ),
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(404, "No such group among the caller's apps: `report group not found`."),
        doc.JSON_TOO_LARGE,
        _DB,
    ),
}
DELETE: dict[str, Any] = {
    "operation_id": "reports-delete_group",
    "openapi_extra": {**doc.guarded(), "parameters": [_HASH_PATH]},
    "responses": doc.answers(
        doc.ok({"deleted": doc.const(True), "group_hash": doc.STRING}),
        _BAD_HASH,
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(404, "No such group among the caller's apps: `report group not found`."),
        _DB,
    ),
}
