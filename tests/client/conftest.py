"""The client's tests: ``faynosync`` run in this process (``main([...])``) against a real
``faynosync serve`` in a subprocess, on SQLite and on MongoDB; the user's config directory is a
temporary one, and the client's environment variables are unset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from faynosync.cli import main
from tests.support.api import API_KEY, JWT_SECRET
from tests.support.server import Served, serving

SETTINGS = {"JWT_SECRET": JWT_SECRET, "API_KEY": API_KEY, "FAYNOSYNC_START_CHECK_DELAY": "-1"}
CLIENT_VARIABLES = (
    "FAYNOSYNC_URL",
    "FAYNOSYNC_TOKEN",
    "FAYNOSYNC_PASSWORD",
    "FAYNOSYNC_RETRY_DELAY",
)
# Every test names its server: a stray config file of the user is never read.
FAST = ("--retry-delay", "0.05", "--progress-interval", "0")


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Admin:
    """A server with an admin, the app ``demo`` and a catalog to upload to."""

    server: Served
    token: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, headers=self.headers)

    def versions(self, app: str = "demo") -> list[dict[str, Any]]:
        items = self.get("/search", app_name=app, limit="100").json()["items"]
        return list(items or [])


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *args: str) -> Result:
        self._capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture(autouse=True)
def _client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    for name in CLIENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def server_settings(mongodb_url: str, **extra: str) -> dict[str, str]:
    settings = {**SETTINGS, **extra}
    if mongodb_url:
        settings["MONGODB_URL"] = mongodb_url
    return settings


def set_up(server: Served) -> Admin:
    with httpx.Client(base_url=server.url) as http:
        body = {"username": "admin", "password": "password", "api_key": API_KEY}
        assert http.post("/signup", json=body).status_code == 200
        token = http.post("/login", json=body).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for app, private in (("demo", "false"), ("secret", "true")):
            data = json.dumps({"app": app, "private": private})
            response = http.post("/app/create", files={"data": (None, data)}, headers=headers)
            assert response.status_code == 200, response.text
        catalog: list[tuple[str, dict[str, object]]] = [
            ("channel", {"channel": "stable"}),
            ("arch", {"arch": "arm64"}),
            ("arch", {"arch": "amd64"}),
            ("platform", {"platform": "darwin"}),
            ("platform", {"platform": "windows"}),
        ]
        for kind, create in catalog:
            response = http.post(f"/{kind}/create", json=create, headers=headers)
            assert response.status_code == 200, response.text
    return Admin(server, token)


@pytest.fixture
def admin(tmp_path: Path, mongodb_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Admin]:
    """A server on each store backend, set up, with the client pointed at it."""
    with serving(tmp_path / "data", **server_settings(mongodb_url)) as server:
        ready = set_up(server)
        monkeypatch.setenv("FAYNOSYNC_URL", ready.url)
        monkeypatch.setenv("FAYNOSYNC_TOKEN", ready.token)
        yield ready


@pytest.fixture
def sqlite_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Admin]:
    """The same on SQLite only, for what does not depend on the store."""
    with serving(tmp_path / "data", **server_settings("")) as server:
        ready = set_up(server)
        monkeypatch.setenv("FAYNOSYNC_URL", ready.url)
        monkeypatch.setenv("FAYNOSYNC_TOKEN", ready.token)
        yield ready


def write(path: Path, size: int, seed: int = 0) -> Path:
    """A file of ``size`` bytes (not all alike, so that two files differ)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    block = bytes((seed + i) % 251 for i in range(4096))
    path.write_bytes((block * (size // len(block) + 1))[:size])
    return path
