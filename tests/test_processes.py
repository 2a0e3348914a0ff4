"""Several processes on one database: a write through one reaches the others' response caches
(within a second, far below the entries' hour-long lifetime here), and ``--workers`` serves one
port from several processes. Real ``faynosync serve`` processes, on SQLite and on MongoDB."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.api import API_KEY, JWT_SECRET
from tests.support.server import serving

SETTINGS = {
    "JWT_SECRET": JWT_SECRET,
    "API_KEY": API_KEY,
    "PERFORMANCE_MODE": "true",
    "FAYNOSYNC_CACHE_TTL": "3600",
    "FAYNOSYNC_START_CHECK_DELAY": "-1",
}
CHECK = {
    "app_name": "demo",
    "version": "0.1",
    "channel": "nightly",
    "platform": "universalPlatform",
    "arch": "universalArch",
    "owner": "admin",
}


def set_up(url: str) -> dict[str, str]:
    with httpx.Client(base_url=url) as http:
        body = {"username": "admin", "password": "password", "api_key": API_KEY}
        assert http.post("/signup", json=body).status_code == 200
        token = http.post("/login", json=body).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        http.post("/app/create", files={"data": (None, '{"app":"demo"}')}, headers=headers)
        for kind, name in (
            ("channel", "nightly"),
            ("platform", "universalPlatform"),
            ("arch", "universalArch"),
        ):
            assert http.post(f"/{kind}/create", json={kind: name}, headers=headers).is_success
        upload(http, headers, "1.0")
    return headers


def upload(http: httpx.Client, headers: dict[str, str], version: str) -> None:
    data = {**CHECK, "version": version, "publish": True}
    files: list[tuple[str, tuple[str | None, str | bytes]]] = [
        ("data", (None, httpx.Request("GET", "/", json=data).content.decode())),
        ("file", ("app.dmg", b"build " + version.encode())),
    ]
    response = http.post("/upload", files=files, headers=headers)
    assert response.status_code == 200, response.text


def offered(url: str) -> str:
    body = httpx.get(f"{url}/checkVersion", params=CHECK).json()
    return str(body.get("update_url_dmg", "")).rsplit("-", 1)[-1]


def env_for(mongodb_url: str) -> dict[str, str]:
    return {**SETTINGS, "MONGODB_URL": mongodb_url} if mongodb_url else dict(SETTINGS)


def test_a_write_through_one_process_reaches_the_others_cache(tmp_path: Path, mongodb_url):
    data = tmp_path / "data"
    with (
        serving(data, **env_for(mongodb_url)) as first,
        serving(data, **env_for(mongodb_url)) as second,
    ):
        headers = set_up(first.url)
        assert offered(first.url) == offered(second.url) == "1.0.dmg"  # both cached now
        with httpx.Client(base_url=first.url) as http:
            upload(http, headers, "2.0")
        assert offered(first.url) == "2.0.dmg"  # its own write: at once
        written = time.monotonic()
        while offered(second.url) != "2.0.dmg":
            assert time.monotonic() - written < 5, "the other process still serves 1.0"
            time.sleep(0.05)


@pytest.mark.parametrize("how", ["--workers", "WEB_CONCURRENCY"])
def test_workers_serve_one_port(tmp_path: Path, how, mongodb_url):
    args = ("--workers", "2") if how == "--workers" else ()
    extra = {"WEB_CONCURRENCY": "2"} if how == "WEB_CONCURRENCY" else {}
    with serving(tmp_path / "data", *args, **env_for(mongodb_url), **extra) as server:
        deadline = time.monotonic() + 30
        while server.output().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        headers = set_up(server.url)
        assert {offered(server.url) for _ in range(20)} == {"1.0.dmg"}
        with httpx.Client(base_url=server.url) as http:
            upload(http, headers, "2.0")
        written = time.monotonic()
        while {offered(server.url) for _ in range(10)} != {"2.0.dmg"}:
            assert time.monotonic() - written < 5, "a worker still serves 1.0"
            time.sleep(0.05)


@pytest.mark.parametrize(("setting", "logged"), [("true", True), ("false", False)])
def test_the_access_log_is_a_setting(tmp_path: Path, setting, logged):
    with serving(tmp_path / "data", FAYNOSYNC_ACCESS_LOG=setting) as server:
        for _ in range(3):
            httpx.get(f"{server.url}/health")
        time.sleep(0.2)
        assert ('"GET /health HTTP/1.1" 200' in server.output()) is logged
