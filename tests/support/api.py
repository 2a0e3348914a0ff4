"""Helpers for API tests: exact-body assertions and the usual admin set-up."""

from __future__ import annotations

import httpx

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
