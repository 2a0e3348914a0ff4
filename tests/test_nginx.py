"""The nginx configuration of docs/nginx.md, run with Debian's nginx in front of a real server:
answers pass unchanged, update checks are kept and revalidated with 304s, uploads stream."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from tests.support.api import API_KEY, JWT_SECRET
from tests.support.server import serving
from tests.support.services import free_port
from tests.test_processes import CHECK, set_up, upload

DOC = Path(__file__).resolve().parents[1] / "docs" / "nginx.md"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (./scripts/test installs it where it can)"
)


def documented_config() -> str:
    """The ``nginx`` block of docs/nginx.md, as a reader would copy it."""
    (block,) = re.findall(r"```nginx\n(.*?)```", DOC.read_text(), re.S)
    return block


def full_config(tmp: Path, *, listen: int, upstream: int) -> str:
    block = documented_config()
    block = block.replace("server 127.0.0.1:9000;", f"server 127.0.0.1:{upstream};")
    block = block.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    block = block.replace("/var/cache/nginx/faynosync", str(tmp / "cache"))
    temp_paths = "\n".join(
        f"    {name}_temp_path {tmp / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'};\nevents {{}}\nhttp {{\n    access_log off;\n"
        f"{temp_paths}\n{block}\n}}\n"
    )


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(nginx's URL, faynosync's URL): the server on SQLite, nginx in front with the doc's
    configuration."""
    settings = {
        "JWT_SECRET": JWT_SECRET,
        "API_KEY": API_KEY,
        "FAYNOSYNC_START_CHECK_DELAY": "-1",
    }
    with serving(tmp_path / "data", **settings) as server:
        port = free_port()
        conf = tmp_path / "nginx" / "nginx.conf"
        conf.parent.mkdir()
        conf.write_text(full_config(conf.parent, listen=port, upstream=server.port))
        assert NGINX is not None
        check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        nginx = subprocess.Popen([NGINX, "-c", str(conf)], stderr=subprocess.PIPE)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.get(f"{url}/health")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.05)
            yield url, server.url
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def test_update_checks_are_kept_and_revalidated(behind_nginx):
    url, direct = behind_nginx
    headers = set_up(url)  # sign-up, catalog and an upload, all through nginx
    through = httpx.get(f"{url}/checkVersion", params=CHECK)
    straight = httpx.get(f"{direct}/checkVersion", params=CHECK)
    assert (through.status_code, through.content) == (straight.status_code, straight.content)
    assert through.headers["etag"] == straight.headers["etag"]
    assert through.headers["x-cache-status"] == "MISS"
    assert httpx.get(f"{url}/checkVersion", params=CHECK).headers["x-cache-status"] == "HIT"
    time.sleep(2.1)  # past the lifetime: one second, counted by nginx in whole seconds
    again = httpx.get(f"{url}/checkVersion", params=CHECK)
    assert again.headers["x-cache-status"] == "REVALIDATED"  # faynosync answered 304
    assert again.content == straight.content
    # A new release is seen once the kept answer is revalidated.
    with httpx.Client(base_url=url) as http:
        upload(http, headers, "2.0")
    time.sleep(2.1)
    body = httpx.get(f"{url}/checkVersion", params=CHECK).json()
    assert body["update_url_dmg"].endswith("demo-2.0.dmg")


def test_other_parameters_and_origins_are_other_entries(behind_nginx):
    url, _ = behind_nginx
    set_up(url)
    assert httpx.get(f"{url}/checkVersion", params=CHECK).headers["x-cache-status"] == "MISS"
    other = {**CHECK, "version": "0.2"}
    assert httpx.get(f"{url}/checkVersion", params=other).headers["x-cache-status"] == "MISS"
    origin = {"Origin": "https://dashboard.example"}
    response = httpx.get(f"{url}/checkVersion", params=CHECK, headers=origin)
    assert response.headers["x-cache-status"] == "MISS"


def test_uploads_of_any_size_stream_through(behind_nginx, tmp_path: Path):
    url, _ = behind_nginx
    headers = set_up(url)
    big = tmp_path / "big.dmg"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # past nginx's default 1 MiB body limit
    data = {**CHECK, "version": "3.0", "publish": True}
    with big.open("rb") as handle:
        files: list[tuple[str, tuple[str | None, str | BinaryIO]]] = [
            ("data", (None, httpx.Request("GET", "/", json=data).content.decode())),
            ("file", ("big.dmg", handle)),
        ]
        response = httpx.post(f"{url}/upload", files=files, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
