"""Routes: ``POST /signup``, ``POST /login``, ``GET /whoami``, ``POST /admin/update``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from faynosync.auth import service
from faynosync.auth.schemas import AdminUpdateRequest, LoginRequest, SignupRequest
from faynosync.deps import AdminPrincipal, SecretDep, SettingsDep, StoreDep, TokenUsername
from faynosync.http import openapi as doc
from faynosync.http.inputs import bind_json
from faynosync.http.responses import GoJSONResponse

public = APIRouter(tags=["auth"], default_response_class=GoJSONResponse)
protected = APIRouter(tags=["auth"], default_response_class=GoJSONResponse)


@public.post(
    "/signup",
    operation_id="auth-signup",
    openapi_extra=doc.json_body(SignupRequest, guarded=False),
    responses=doc.answers({"result": "Successfully created admin user."}, 400, 401),
)
async def signup(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    body = await bind_json(request, SignupRequest, error="invalid request body", plain=True)
    await service.signup(
        store=store,
        settings=settings,
        username=body.username,
        password=body.password,
        api_key=body.api_key,
    )
    return GoJSONResponse({"result": "Successfully created admin user."})


@public.post(
    "/login",
    operation_id="auth-login",
    openapi_extra=doc.json_body(LoginRequest, guarded=False),
    responses=doc.answers({"token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…"}, 400, 401),
)
async def login(request: Request, store: StoreDep, secret: SecretDep) -> Response:
    body = await bind_json(request, LoginRequest, error="invalid request body", plain=True)
    token = await service.login(
        store=store, secret=secret, username=body.username, password=body.password
    )
    return GoJSONResponse({"token": token})


@protected.get(
    "/whoami",
    operation_id="auth-whoami",
    openapi_extra=doc.guarded(),
    responses=doc.answers({"id": "653a…", "username": "admin", "is_admin": True}, 401),
)
async def whoami(store: StoreDep, username: TokenUsername) -> Response:
    return GoJSONResponse(await service.whoami(store=store, username=username))


@protected.post(
    "/admin/update",
    operation_id="auth-update_admin",
    openapi_extra=doc.json_body(AdminUpdateRequest),
    responses=doc.answers({"message": "Admin updated successfully"}, 400, 401, 403, 404),
)
async def update_admin(request: Request, store: StoreDep, principal: AdminPrincipal) -> Response:
    body = await bind_json(request, AdminUpdateRequest, error="Invalid request body")
    await service.update_admin(
        store=store,
        caller=principal.username,
        admin_id=body.id,
        username=body.username,
        password=body.password,
    )
    return GoJSONResponse({"message": "Admin updated successfully"})
