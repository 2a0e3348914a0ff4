"""Routes: ``POST /token/create``, ``GET /token/list``, ``DELETE /token/delete`` (an admin's
JWT only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.deps import AdminPrincipal, StoreDep
from faynosync.http import openapi as doc
from faynosync.http.inputs import bind_json
from faynosync.http.responses import GoJSONResponse
from faynosync.tokens import service
from faynosync.tokens.schemas import TokenCreate, TokenDelete

router = APIRouter(tags=["tokens"], default_response_class=GoJSONResponse)

_BODY_400 = "A body that is not JSON, or without the required fields: `Invalid request body`."
_ITEM = doc.obj(
    {
        "id": doc.ID,
        "name": doc.STRING,
        "token_prefix": doc.STRING,
        "allowed_apps": {"type": "array", "items": doc.ID},
        "created_at": doc.TIME,
    },
    {"expires_at": doc.TIME, "last_used_at": doc.TIME},
)


@router.post(
    "/token/create",
    operation_id="tokens-create_token",
    status_code=201,
    openapi_extra=doc.json_body(TokenCreate),
    responses=doc.answers(
        doc.ok(
            {
                "allowed_apps": {"type": "array", "items": doc.ID},
                "created_at": doc.TIME,
                "expires_at": {"type": ["string", "null"]},
                "id": doc.ID,
                "name": doc.STRING,
                "token": doc.STRING,
                "token_prefix": doc.STRING,
            },
            status=201,
            example={
                "allowed_apps": ["69259667351f660c2fd62d39"],
                "created_at": "2026-02-20T16:39:16.233976+02:00",
                "expires_at": None,
                "id": "699872148c1ed923e48bc2c9",
                "name": "ci",
                "token": "fns_<64 hex digits, shown once>",
                "token_prefix": "fns_22ba5585",
            },
        ),
        doc.error(400, _BODY_400 + " Also an empty `allowed_apps` or a bad `expires_at`."),
        doc.error(400, "`expires_at` in the past: `expires_at must be in the future`."),
        doc.error(
            400,
            "An id that is not one of the admin's apps: `one or more allowed_apps are invalid`.",
        ),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.JSON_TOO_LARGE,
        doc.error(500, "The database failed: `Failed to create token`."),
    ),
)
async def create_token(request: Request, store: StoreDep, admin: AdminPrincipal) -> Response:
    body = await bind_json(request, TokenCreate, error=service.INVALID_BODY)
    created = await service.create(
        store=store,
        admin=admin,
        name=body.name,
        allowed_apps=body.allowed_apps,
        expires_at=body.expires_at,
    )
    return GoJSONResponse(created, status_code=201)


@router.get(
    "/token/list",
    operation_id="tokens-list_tokens",
    openapi_extra=doc.guarded(),
    responses=doc.answers(
        doc.ok({"tokens": {"type": "array", "items": _ITEM}}, example={"tokens": []}),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.error(500, "The database failed: `Failed to list tokens`."),
    ),
)
async def list_tokens(store: StoreDep, admin: AdminPrincipal) -> Response:
    return GoJSONResponse(await service.list_tokens(store=store, admin=admin))


@router.delete(
    "/token/delete",
    operation_id="tokens-delete_token",
    openapi_extra=doc.json_body(TokenDelete),
    responses=doc.answers(
        doc.ok({"message": doc.const("Token revoked")}),
        doc.error(400, _BODY_400),
        doc.error(400, "An id that is not an ObjectID: `Invalid token ID format`."),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.error(404, "No token of this id among the admin's: `Token not found`."),
        doc.JSON_TOO_LARGE,
        doc.error(500, "The database failed: `Failed to delete token`."),
    ),
)
async def delete_token(request: Request, store: StoreDep, admin: AdminPrincipal) -> Response:
    body = await bind_json(request, TokenDelete, error=service.INVALID_BODY)
    await service.delete(store=store, admin=admin, token_id=body.id)
    return GoJSONResponse({"message": "Token revoked"})
