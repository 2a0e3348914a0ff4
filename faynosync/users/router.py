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
from faynosync.users.schemas import UserCreate, UserDelete, UserUpdate

router = APIRouter(tags=["users"], default_response_class=GoJSONResponse)

INVALID_BODY = "Invalid request body"


@router.post(
    "/user/create",
    operation_id="users-create_user",
    openapi_extra=doc.json_body(UserCreate),
    responses=doc.answers({"message": "Team user created successfully"}, 400, 401, 403, 409),
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
    responses=doc.answers({"message": "Team user updated successfully"}, 400, 401, 403, 404),
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
        {
            "users": [
                {
                    "id": "653a…",
                    "username": "teamuser1",
                    "permissions": {},
                    "updated_at": "2024-01-01T00:00:00Z",
                }
            ]
        },
        401,
        403,
    ),
)
async def list_users(store: StoreDep, admin: AdminPrincipal) -> Response:
    return GoJSONResponse(await service.list_users(store=store, admin=admin))


@router.delete(
    "/user/delete",
    operation_id="users-delete_user",
    openapi_extra=doc.json_body(UserDelete),
    responses=doc.answers({"message": "Team user deleted successfully"}, 400, 401, 403, 404),
)
async def delete_user(request: Request, store: StoreDep, admin: AdminPrincipal) -> Response:
    body = await bind_json(request, UserDelete, error=INVALID_BODY)
    await service.delete_user(store=store, admin=admin, user_id=body.id)
    return GoJSONResponse({"message": "Team user deleted successfully"})
