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
from faynosync.users.openapi import PERMISSIONS

public = APIRouter(tags=["auth"], default_response_class=GoJSONResponse)
protected = APIRouter(tags=["auth"], default_response_class=GoJSONResponse)

# Kept on purpose, as FaynoSync: Gin's BindJSON commits this 400 before the JSON renderer can set
# the content type, so clients see a JSON text sent as text/plain.
UNREADABLE_BODY = doc.text(
    400,
    "A body that is not one JSON object of strings (an empty body too). Sent as `text/plain` on "
    'purpose, as FaynoSync does; the text is the JSON `{"error":"invalid request body"}`.',
    example='{"error":"invalid request body"}',
)
PLAIN_400_NOTE = (
    " An unreadable body (an empty one too) is answered 400 with `text/plain` as the content "
    'type and the JSON text `{"error":"invalid request body"}` as the body: kept on '
    "purpose, as FaynoSync answers it, for the clients that match on it."
)


@public.post(
    "/signup",
    operation_id="auth-signup",
    description="Create an admin (a tenant); `api_key` must equal the server's API_KEY."
    + PLAIN_400_NOTE,
    openapi_extra=doc.json_body(SignupRequest, guarded=False),
    responses=doc.answers(
        doc.ok({"result": doc.const("Successfully created admin user.")}),
        UNREADABLE_BODY,
        doc.error(400, "A password over 72 bytes: `bcrypt: password length exceeds 72 bytes`."),
        doc.error(401, "`wrong api key`, or the name is taken: `user already exists`."),
        doc.JSON_TOO_LARGE,
    ),
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
    description="A bearer token (valid 24 hours) for an admin or a team user." + PLAIN_400_NOTE,
    openapi_extra=doc.json_body(LoginRequest, guarded=False),
    responses=doc.answers(
        doc.ok({"token": doc.STRING}, example={"token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…"}),
        UNREADABLE_BODY,
        doc.error(401, "`invalid username or password`."),
        doc.JSON_TOO_LARGE,
    ),
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
    responses=doc.answers(
        doc.success(
            doc.obj(
                {"id": doc.ID, "username": doc.STRING, "is_admin": doc.BOOLEAN},
                {"owner": doc.STRING, "permissions": PERMISSIONS},
            ),
            example={"id": "653a…", "username": "admin", "is_admin": True},
            description="The caller; a team user's id is the zero id, with its owner and "
            "permissions.",
        ),
        doc.TOKEN,
    ),
)
async def whoami(store: StoreDep, username: TokenUsername) -> Response:
    return GoJSONResponse(await service.whoami(store=store, username=username))


@protected.post(
    "/admin/update",
    operation_id="auth-update_admin",
    openapi_extra=doc.json_body(AdminUpdateRequest),
    responses=doc.answers(
        doc.ok({"message": doc.const("Admin updated successfully")}),
        doc.error(
            400,
            "`Invalid request body`, `Invalid ID format`, or a password over 72 bytes "
            "(`bcrypt: password length exceeds 72 bytes`).",
        ),
        doc.TOKEN,
        doc.ADMIN_ONLY,
        doc.error(403, "Another admin's name: `Username mismatch`."),
        doc.error(404, "No admin with this id and name: `Admin not found`."),
        doc.JSON_TOO_LARGE,
        doc.error(500, "The database failed: `Failed to find admin`, `Failed to update admin`."),
    ),
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
