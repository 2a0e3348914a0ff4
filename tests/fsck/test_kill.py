"""A real fault: ``kill -9`` of ``faynosync serve`` during parallel uploads, then a restart.

After it the staging dir is empty, no document links a missing object, and what the kill left
(orphans, partial writes) goes with ``faynosync fsck --delete-orphans``, after which the check
is clean: the consistency check run at the end of the fault tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support import multipart
from tests.support.services import free_port, wait_for_http

UPLOADS = 8
CHUNK = 64 * 1024
API_URL = "http://localhost:9000"  # what links carry; the same across restarts


def server_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FAYNOSYNC_", "MONGODB", "STORAGE_", "S3_"))
    }
    env |= {
        "FAYNOSYNC_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(port),
        "API_URL": API_URL,
        "API_KEY": "",
        "JWT_SECRET": "fault-test-secret-of-at-least-32-bytes",
    }
    return env


def serve(tmp_path: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "faynosync", "serve", "--host", "127.0.0.1"],
            cwd=tmp_path,
            env=server_env(tmp_path, port),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/health", server)
    return server, base


def fsck(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faynosync", "fsck", "--grace", "0", *args],
        cwd=tmp_path,
        env=server_env(tmp_path, 9000),
        capture_output=True,
        text=True,
        timeout=60,
    )


def slow_body(app: str, version: str, size: int) -> Iterator[bytes]:
    """An upload arriving in small pieces, as over a slow link, so that the kill finds it."""
    yield multipart.head({"app_name": app, "version": version}, f"{app}.dmg")
    for _ in range(size // CHUNK):
        time.sleep(0.01)
        yield os.urandom(CHUNK)
    yield multipart.TAIL


def test_kill_9_during_parallel_uploads_leaves_nothing_behind(tmp_path):
    log = tmp_path / "server.log"
    staging = tmp_path / "data" / "tmp"
    server, base = serve(tmp_path, log)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            body = {"username": "admin", "password": "password", "api_key": ""}
            assert http.post("/signup", json=body).status_code == 200
            token = http.post("/login", json=body).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            for app, private in (("privapp", "true"), ("pubapp", "false")):
                data = json.dumps({"app": app, "private": private})
                response = http.post("/app/create", files={"data": (None, data)}, headers=headers)
                assert response.status_code == 200, response.text
            for n in range(2):  # finished before the kill
                for app in ("privapp", "pubapp"):
                    response = http.post(
                        "/upload",
                        content=b"".join(slow_body(app, f"0.{n}.0", CHUNK)),
                        headers={**headers, "Content-Type": multipart.CONTENT_TYPE},
                    )
                    assert response.status_code == 200, response.text

        answers: list[int | str] = []

        def upload(n: int) -> None:
            app = ("privapp", "pubapp")[n % 2]
            try:
                with httpx.Client(base_url=base, timeout=60) as http:
                    response = http.post(
                        "/upload",
                        content=slow_body(app, f"1.{n}.0", (n + 1) * 512 * 1024),
                        headers={**headers, "Content-Type": multipart.CONTENT_TYPE},
                    )
                answers.append(response.status_code)
            except httpx.HTTPError as exc:
                answers.append(type(exc).__name__)

        threads = [threading.Thread(target=upload, args=(n,)) for n in range(UPLOADS)]
        for thread in threads:
            thread.start()
        # Kill once some uploads are done and others are still arriving.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = sum(answer == 200 for answer in answers)
            if done >= 2 and len(list(staging.glob(".part-*"))) >= 2:
                break
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)

    assert sum(answer == 200 for answer in answers) >= 2, answers
    assert any(answer != 200 for answer in answers), answers
    left = list(staging.glob(".part-*"))
    assert left, "the kill left no staged upload: the test did not test anything"

    server, _ = serve(tmp_path, log)
    try:
        assert list(staging.iterdir()) == []
        assert f"removed {len(left)} stale staged upload files" in log.read_text()

        result = fsck(tmp_path, "--json")
        report = json.loads(result.stdout)
        problems = {finding["problem"] for finding in report["findings"]}
        assert problems <= {"orphan", "partial-write"}, result.stdout
        assert report["links"] >= 4 + 2  # the finished uploads, before the kill and after

        result = fsck(tmp_path, "--delete-orphans")
        assert result.returncode in (0, 1), result.stderr
        assert all(line.endswith(": removed") for line in result.stdout.splitlines()[:-1])
        result = fsck(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.endswith("links checked; clean\n")
    finally:
        server.terminate()
        server.wait(timeout=15)
