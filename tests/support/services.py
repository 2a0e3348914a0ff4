"""Test services started by the test run itself: a MongoDB wire server and an S3 server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MONGOECO_SCRIPT = Path(__file__).with_name("mongoeco_server.py")
MONGO_SKIP_REASON = (
    "MongoDB tests need Python >= 3.13 with mongoeco[wire] (./scripts/test installs it) "
    "or a MongoDB in FAYNOSYNC_TEST_MONGODB_URL"
)


def mongoeco_python() -> str | None:
    """The Python >= 3.13 that has mongoeco[wire], or None."""
    configured = os.environ.get("FAYNOSYNC_TEST_MONGOECO_PYTHON")
    candidates = [configured] if configured else [str(ROOT / ".venv-mongoeco" / "bin" / "python")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    return None


@contextmanager
def mongoeco_server(python: str) -> Iterator[str]:
    """Start mongoeco's wire server; yield ``mongodb://127.0.0.1:<port>``; stop it after."""
    process = subprocess.Popen(
        [python, str(MONGOECO_SCRIPT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"mongoeco server did not start: {line!r}")
        yield f"mongodb://127.0.0.1:{int(line.split()[1])}"
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (directConnection for a single server)."""
    base, _, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    hosts = rest.split("/", 1)[0]
    params = [p for p in query.split("&") if p and not p.startswith("directConnection=")]
    if "," not in hosts and "+srv" not in scheme:
        params.append("directConnection=true")
    return f"{scheme}://{hosts}/{name}" + (f"?{'&'.join(params)}" if params else "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto's S3 server in its own process; yield ``127.0.0.1:<port>``; stop it after."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/moto-api/", process)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
