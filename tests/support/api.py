"""Helpers for API tests: exact-body assertions and the usual admin set-up."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.routing import BaseRoute

from faynosync import app as application
from faynosync.config import Settings
from faynosync.core import gojson

JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

JWT_SECRET = "test-jwt-secret-of-at-least-32-bytes!"
API_KEY = "test-api-key"
API_URL = "http://localhost:9000"

# A time as the documents' Updated_at fields show it.
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z"


def make_settings(**values: Any) -> Settings:
    """Settings of these values and the environment, never of a ``.env`` file."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]  # pydantic-settings'


def assert_body(
    response: httpx.Response, status: int, body: str, *, content_type: str = JSON_TYPE
) -> None:
    """Status, content type and the body byte for byte (key order and escapes included)."""
    assert (response.status_code, response.text) == (status, body)
    assert response.headers.get("content-type") == content_type


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert_body(response, status, gojson.dumps({"error": error}))


def duplicate_text(backend: str, settings: Settings, kind: str, name: str) -> str:
    """The duplicate key error the original answers (with a 500) for an existing ``name``."""
    field = {
        "channel": "channel_name",
        "platform": "platform_name",
        "arch": "arch_id",
        "app": "app_name",
    }[kind]
    database = (
        settings.MONGODB_URL.split("/")[3].split("?")[0] if backend == "mongo" else "faynosync"
    )
    return (
        "write exception: write errors: [E11000 duplicate key error collection: "
        f"{database}.apps_meta"
        f' index: {field}_owner_sort_by_asc_created dup key: {{ {field}: "{name}", owner: '
        f'"admin", created: null }}]'
    )


async def signup(
    client: httpx.AsyncClient, username: str = "admin", password: str = "password"
) -> None:
    response = await client.post(
        "/signup", json={"username": username, "password": password, "api_key": API_KEY}
    )
    assert_body(response, 200, '{"result":"Successfully created admin user."}')


async def login(
    client: httpx.AsyncClient, username: str = "admin", password: str = "password"
) -> str:
    response = await client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def admin_headers(
    client: httpx.AsyncClient, username: str = "admin", password: str = "password"
) -> dict[str, str]:
    """Sign up an admin and return the Authorization header of its token."""
    await signup(client, username, password)
    return {"Authorization": f"Bearer {await login(client, username, password)}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, name: str, **extra: object
) -> str:
    """Create a channel, platform or arch and return its id."""
    response = await client.post(f"/{kind}/create", json={kind: name, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    (value,) = response.json().values()
    return str(value)


async def create_app(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, **data: str
) -> str:
    response = await client.post(
        "/app/create", files={"data": (None, gojson.dumps({"app": name, **data}))}, headers=headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["createAppResult.Created"])


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan entered, and an HTTP client speaking to it over ASGI."""
    app = application.create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


def route_table(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the application serves, included routers flattened."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Sequence[BaseRoute]) -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes)
            else:
                for method in getattr(route, "methods", None) or ():
                    if method != "HEAD":
                        found.add((method, getattr(route, "path", "")))

    walk(app.routes)
    return found


def data_files(
    data: Mapping[str, object], *files: tuple[str, bytes], **fields: str
) -> list[tuple[str, tuple[str | None, Any] | tuple[str, bytes, str]]]:
    """Multipart parts: ``data`` as JSON, then ``file`` parts, then plain fields."""
    parts: list[tuple[str, tuple[str | None, Any] | tuple[str, bytes, str]]]
    parts = [("data", (None, gojson.dumps(data)))]
    parts += [("file", (name, content, "application/octet-stream")) for name, content in files]
    parts += [(name, (None, value)) for name, value in fields.items()]
    return parts


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: Mapping[str, object],
    *files: tuple[str, bytes],
    **fields: str,
) -> httpx.Response:
    return await client.post("/upload", files=data_files(data, *files, **fields), headers=headers)
