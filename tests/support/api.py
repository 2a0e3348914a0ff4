"""Helpers for API tests: exact-body assertions and the usual admin set-up."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from faynosync import app as application
from faynosync.config import Settings
from faynosync.core import gojson

JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

JWT_SECRET = "test-jwt-secret-of-at-least-32-bytes!"
API_KEY = "test-api-key"
API_URL = "http://localhost:9000"


def assert_body(
    response: httpx.Response, status: int, body: str, *, content_type: str = JSON_TYPE
) -> None:
    """Status, content type and the body byte for byte (key order and escapes included)."""
    assert (response.status_code, response.text) == (status, body)
    assert response.headers.get("content-type") == content_type


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert_body(response, status, gojson.dumps({"error": error}))


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


def data_files(data: dict[str, object], *files: tuple[str, bytes], **fields: str) -> list:
    """Multipart parts: ``data`` as JSON, then ``file`` parts, then plain fields."""
    parts: list = [("data", (None, gojson.dumps(data)))]
    parts += [("file", (name, content, "application/octet-stream")) for name, content in files]
    parts += [(name, (None, value)) for name, value in fields.items()]
    return parts


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: dict[str, object],
    *files: tuple[str, bytes],
    **fields: str,
) -> httpx.Response:
    return await client.post("/upload", files=data_files(data, *files, **fields), headers=headers)
