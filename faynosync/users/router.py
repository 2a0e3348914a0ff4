"""Routes: ``POST /user/create``, ``POST /user/update``, ``GET /users/list``,
``DELETE /user/delete`` (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.deps import AdminPrincipal, StoreDep
from faynosync.http import openapi as doc
from faynosync.http.inputs import bind_json
from faynosync.http.responses import GoJSONResponse
from faynosync.users import service
from faynosync.users.openapi import USER
from faynosync.users.schemas import UserCreate, UserDelete, UserUpdate

router = APIRouter(tags=["users"], default_response_class=GoJSONResponse)

INVALID_BODY = "Invalid request body"

_BODY_400 = "A body that is not JSON, or without the required fields: `Invalid request body`."
_PASSWORD_400 = "A password over 72 bytes: `bcrypt: password length exceeds 72 bytes`."


@router.post(
    "/user/create",
    operation_id="users-create_user",
    openapi_extra=doc.json_body(UserCreate),
    responses=doc.answers(
        doc.ok({"message": doc.const("Team user created successfully")}),
        doc.error(400, _BODY_400),
        doc.error(400, _PASSWORD_400),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.error(
            409, "The name is taken (by a team user or an admin): `Username already exists`."
        ),
        doc.JSON_TOO_LARGE,
        doc.error(500, "The database failed: `Failed to create team user`."),
    ),
)
async def create_user(request: Request, store: StoreDep, admin: AdminPrincipal) -> Response:
    body = await bind_json(request, UserCreate, error=INVALID_BODY)
    await service.create_user(
        store=store,
        admin=admin,
        username=body.username,
        password=body.password,
        permissions=body.permissions,
    )
    return GoJSONResponse({"message": "Team user created successfully"})


@router.post(
    "/user/update",
    operation_id="users-update_user",
    openapi_extra=doc.json_body(UserUpdate),
    responses=doc.answers(
        doc.ok({"message": doc.const("Team user updated successfully")}),
        doc.error(400, _BODY_400),
        doc.error(400, "An id that is not an ObjectID (Go's parse error)."),
        doc.error(400, _PASSWORD_400),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.error(403, "Another admin's team user: `You are not the owner of this team user`."),
        doc.error(404, "No team user of this id: `Team user not found`."),
        doc.JSON_TOO_LARGE,
        doc.error(
            500,
            "As FaynoSync, the new name is taken (`Failed to update team user`), or the "
            "database failed (`Failed to find team user`).",
        ),
    ),
)
async def update_user(request: Request, store: StoreDep, admin: AdminPrincipal) -> Response:
    body = await bind_json(request, UserUpdate, error=INVALID_BODY)
    await service.update_user(
        store=store,
        admin=admin,
        user_id=body.id,
        username=body.username,
        password=body.password,
        permissions=body.permissions,
    )
    return GoJSONResponse({"message": "Team user updated successfully"})


@router.get(
    "/users/list",
    operation_id="users-list_users",
    openapi_extra=doc.guarded(),
    responses=doc.answers(
        doc.ok(
            {"users": doc.nullable_list(USER)},
            example={
                "users": [
                    {
                        "id": "653a…",
                        "username": "teamuser1",
                        "permissions": {},
                        "updated_at": "2024-01-01T00:00:00Z",
                    }
                ]
            },
        ),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.error(500, "The database failed: `Failed to retrieve team users`."),
    ),
)
async def list_users(store: StoreDep, admin: AdminPrincipal) -> Response:
    return GoJSONResponse(await service.list_users(store=store, admin=admin))


@router.delete(
    "/user/delete",
    operation_id="users-delete_user",
    openapi_extra=doc.json_body(UserDelete),
    responses=doc.answers(
        doc.ok({"message": doc.const("Team user deleted successfully")}),
        doc.error(400, _BODY_400),
        doc.error(400, "An id that is not an ObjectID: `Invalid user ID format`."),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.error(
            404,
            "No team user of this id among the caller's: "
            "`Team user not found or you don't have permission to delete it`.",
        ),
        doc.JSON_TOO_LARGE,
        doc.error(500, "The database failed: `Failed to delete team user`."),
    ),
)
async def delete_user(request: Request, store: StoreDep, admin: AdminPrincipal) -> Response:
    body = await bind_json(request, UserDelete, error=INVALID_BODY)
    await service.delete_user(store=store, admin=admin, user_id=body.id)
    return GoJSONResponse({"message": "Team user deleted successfully"})
