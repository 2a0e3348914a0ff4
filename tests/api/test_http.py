"""What happens around the routes: unknown paths and methods, CORS, OPTIONS, redirects, health."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from faynosync.core.security import create_token
from faynosync.http.middleware import CORS_ALLOW_HEADERS
from tests.support.api import (
    API_KEY,
    JWT_SECRET,
    TEXT_TYPE,
    assert_body,
    make_settings,
    running,
    signup,
)
from tests.support.server import serving

ORIGIN = "https://dashboard.example"


def token_headers(username: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(username, JWT_SECRET)}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nothing"),
        ("GET", "/login"),  # known path, wrong method
        ("DELETE", "/whoami"),
        ("HEAD", "/health"),  # HEAD is not GET
        ("PUT", "/signup"),
    ],
)
async def test_unknown_routes_check_the_token_then_answer_404_in_text(client, method, path):
    def check(response, status, body, content_type="application/json; charset=utf-8"):
        if method == "HEAD":  # same answer, without the body
            body = ""
        assert_body(response, status, body, content_type=content_type)

    check(await client.request(method, path), 401, '{"error":"missing authorization header"}')
    response = await client.request(method, path, headers={"Authorization": "Bearer x.y"})
    check(response, 401, '{"error":"malformed token"}')
    response = await client.request(method, path, headers=token_headers("anyone"))
    check(response, 404, "404 page not found", TEXT_TYPE)


async def test_paths_differing_by_a_trailing_slash_are_redirected(client):
    response = await client.get("/health/", headers={"Origin": ""})
    assert response.status_code == 301
    assert response.headers["location"] == "/health"
    assert response.text == '<a href="/health">Moved Permanently</a>.\n\n'
    assert "access-control-allow-origin" not in response.headers
    response = await client.post("/login/?a=1&b=2", json={})
    assert (response.status_code, response.headers["location"]) == (307, "/login?a=1&b=2")
    assert response.content == b""
    response = await client.get("/whoami/")
    assert (response.status_code, response.headers["location"]) == (301, "/whoami")


async def test_options_is_answered_204_before_auth(client_factory):
    async with client_factory(ALLOWED_CORS=f"{ORIGIN},https://other.example") as client:
        for path in ("/whoami", "/anything/at/all", "/health", "/login"):
            response = await client.options(path, headers={"Origin": ORIGIN})
            assert (response.status_code, response.content) == (204, b"")
            assert response.headers["access-control-allow-origin"] == ORIGIN
        response = await client.options("/whoami", headers={"Origin": "https://evil.example"})
        assert response.status_code == 204
        assert "access-control-allow-origin" not in response.headers


CORS_METHODS = {
    "1.4.6": "POST, OPTIONS, GET, PUT, DELETE",
    "2.1": "POST, OPTIONS, GET, PUT, DELETE, PATCH",
}


@pytest.mark.parametrize("level", ["1.4.6", "2.1"])
async def test_cors_headers_for_allowed_origins_only(client_factory, level):
    origins = f"{ORIGIN},https://other.example"
    async with client_factory(ALLOWED_CORS=origins, FAYNOSYNC_API_LEVEL=level) as client:
        response = await client.post("/login", json={}, headers={"Origin": ORIGIN})
        assert response.status_code == 401
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers["access-control-allow-headers"] == CORS_ALLOW_HEADERS
        assert response.headers["access-control-allow-methods"] == CORS_METHODS[level]
        # The update checks, answered in front of routing, carry the same.
        response = await client.get("/checkVersion", headers={"Origin": ORIGIN})
        assert response.headers["access-control-allow-methods"] == CORS_METHODS[level]
        response = await client.get("/whoami", headers={"Origin": "https://other.example"})
        assert response.headers["access-control-allow-origin"] == "https://other.example"
        for origin in ("https://evil.example", f" {ORIGIN}", ORIGIN.upper()):
            response = await client.get("/whoami", headers={"Origin": origin})
            assert "access-control-allow-origin" not in response.headers
        # /health never carries CORS headers.
        response = await client.get("/health", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in response.headers


async def test_empty_allowed_cors_matches_requests_without_origin(client):
    response = await client.get("/whoami")
    assert response.headers["access-control-allow-origin"] == ""
    response = await client.get("/whoami", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in response.headers


async def test_health(client, app, backend):
    assert_body(await client.get("/health"), 200, '{"status":"healthy"}')
    await app.state.store.close()
    name = "MongoDB" if backend == "mongo" else "SQLite"
    assert_body(
        await client.get("/health"),
        424,
        f'{{"details":"{name} connection failed","status":"unhealthy"}}',
    )


async def test_no_detail_bodies_reach_clients(client):
    await signup(client)
    headers = token_headers()
    for method, path in [
        ("GET", "/objects/nowhere/x"),
        ("GET", "/objects/public/"),
        ("POST", "/health"),
        ("GET", "/docs/x"),
    ]:
        response = await client.request(method, path, headers=headers)
        assert '"detail"' not in response.text, (path, response.text)
        assert response.status_code < 500


async def test_a_server_with_an_unknown_storage_driver_still_starts(client_factory):
    async with client_factory(STORAGE_DRIVER="gcp") as client:
        assert_body(await client.get("/health"), 200, '{"status":"healthy"}')


# --- unexpected errors ------------------------------------------------------------------------


def break_the_database(data_dir: Path) -> None:
    """A real failure below the API: the table of apps is gone."""
    with sqlite3.connect(data_dir / "faynosync.sqlite3") as db:
        db.execute("DROP TABLE apps_meta")


async def test_an_unexpected_error_keeps_the_error_shape_and_cors(tmp_path):
    settings = make_settings(
        FAYNOSYNC_DATA_DIR=tmp_path,
        JWT_SECRET=JWT_SECRET,
        API_KEY=API_KEY,
        ALLOWED_CORS=ORIGIN,
    )
    async with running(settings) as (_, client):
        await signup(client)
        token = await client.post("/login", json={"username": "admin", "password": "password"})
        headers = {"Authorization": f"Bearer {token.json()['token']}", "Origin": ORIGIN}
        break_the_database(settings.FAYNOSYNC_DATA_DIR)
        response = await client.get("/app/list", headers=headers)
        assert_body(response, 500, '{"error":"internal server error"}')
        assert response.headers["access-control-allow-origin"] == ORIGIN


def test_after_an_unexpected_error_the_connection_stays_open(tmp_path):
    data = tmp_path / "data"
    token = create_token("admin", JWT_SECRET)
    body = b'{"username":"admin","password":"password","api_key":""}'
    signup = b"POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )
    apps = f"GET /app/list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    with (
        serving(data, JWT_SECRET=JWT_SECRET) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock,
    ):
        sock.sendall(signup)
        assert read_response(sock)[0] == 200
        break_the_database(data)
        sock.sendall(apps.encode())
        assert read_response(sock) == (500, b'{"error":"internal server error"}')
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[0] == 200


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length, read off a kept-alive socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    length = next(
        int(v)
        for k, _, v in (h.partition(": ") for h in lines[1:])
        if k.lower() == "content-length"
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        body += chunk
    assert b"connection: close" not in head.lower()
    return int(lines[0].split()[1]), body
