"""What the bench scripts share: seeding a store, starting servers, measuring them with wrk.

Servers run on 127.0.0.1 in their own process. faynosync is started by its command line
(``python -m faynosync --log-level warning serve``), the bare FastAPI app by uvicorn with the
same settings (``faynosync.http.server.options()``, the same log level, uvicorn's default
access log for both). A server's CPU time is read from ``/proc/PID/stat`` (utime + stime,
and cutime + cstime) of its process and of every process below it, so the worker processes of
``serve --workers`` count too, and other load on the machine does not.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from faynosync.store.models import Kind, Version
    from faynosync.store.protocol import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHECK = (
    "/checkVersion?app_name=benchapp&version={version}&channel=nightly"
    "&platform=universalPlatform&arch=universalArch&owner=admin"
)
ADMIN, PASSWORD = "admin", "pw"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# MongoDB (``--mongodb-url``): one database per data set, dropped afterwards.


def database_url(server_url: str, name: str) -> str:
    """``server_url`` (``--mongodb-url``) naming the database ``faynosync_bench_<name>``."""
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/faynosync_bench_{name}"))


def drop_database(url: str) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(url)
    try:
        client.drop_database(client.get_default_database().name)
    finally:
        client.close()


async def seed(
    data_dir: Path, versions: int, mongodb_url: str = "", rollout: int | None = None
) -> None:
    """A tenant with one app holding ``versions`` published versions, written by the store;
    with ``rollout``, the newest is offered to that percent of the devices."""
    from faynosync.config import Settings
    from faynosync.store import open_store

    settings = Settings(_env_file=None, FAYNOSYNC_DATA_DIR=data_dir, MONGODB_URL=mongodb_url)
    store = await open_store(settings)
    try:
        await store.migrate()
        await _fill(store, versions, rollout)
    finally:
        await store.close()


async def _fill(store: Store, versions: int, rollout: int | None = None) -> None:
    from faynosync.core import gotime
    from faynosync.core.ids import new_id
    from faynosync.core.security import hash_password
    from faynosync.store.models import Admin, Kind, Meta

    now = gotime.now()
    await store.admins.insert(Admin(new_id(), ADMIN, hash_password(PASSWORD), now))
    ids = {}
    for kind, name in (
        (Kind.APP, "benchapp"),
        (Kind.CHANNEL, "nightly"),
        (Kind.PLATFORM, "universalPlatform"),
        (Kind.ARCH, "universalArch"),
    ):
        ids[kind] = new_id()
        await store.meta.insert(Meta(ids[kind], kind, name, ADMIN, now))
    for n in range(versions):
        version = _version(n, ids, now)
        if rollout is not None and n == versions - 1:
            version.rollout_percent, version.rollout_seed = rollout, "9f1c2b7a4d3e8f01"
        await store.versions.insert(version)


def _version(n: int, ids: dict[Kind, str], now: datetime) -> Version:
    """The ``n``-th version: 1.0.0, 1.0.1, ... 1.1.0 ...; every 250th a required intermediate."""
    from faynosync.core.ids import new_id
    from faynosync.store.models import Artifact, ChangelogEntry, Kind, Version

    version = f"1.{n // 1000}.{n % 1000}"
    base = f"http://localhost/download?key=benchapp-admin%2Fnightly%2F{version}"
    return Version(
        id=new_id(),
        app_id=ids[Kind.APP],
        version=version,
        channel_id=ids[Kind.CHANNEL],
        published=True,
        critical=False,
        required_intermediate=n % 250 == 0,
        artifacts=[
            Artifact(
                link=f"{base}%2FuniversalPlatform%2FuniversalArch%2Fapp{ext}",
                platform=ids[Kind.PLATFORM],
                arch=ids[Kind.ARCH],
                package=ext,
            )
            for ext in (".dmg", ".zip")
        ],
        changelog=[ChangelogEntry(version, "### Changelog", "2026-01-01")],
        updated_at=now,
        owner=ADMIN,
    )


# Servers.


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> dict[str, object]:
        result: dict[str, object] = json.loads(self.body)
        return result


class Server:
    """A server process listening on 127.0.0.1:``port``; a context manager that stops it."""

    def __init__(
        self, command: list[str], *, port: int, env: dict[str, str], cwd: Path, ready: str
    ) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(command, env=env, cwd=cwd)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", ready).status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start: {' '.join(command)}")
            time.sleep(0.05)

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            answer_headers = {name.lower(): value for name, value in response.getheaders()}
            return Answer(response.status, answer_headers, response.read())
        finally:
            connection.close()

    def get_authorized(self, path: str) -> Answer:
        """GET as the seeded admin."""
        login = json.dumps({"username": ADMIN, "password": PASSWORD}).encode()
        token = self.request("POST", "/login", body=login).json()["token"]
        return self.request("GET", path, {"Authorization": f"Bearer {token}"})

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's process and every process below it."""
        return process_tree_ticks(self.process.pid) / CLOCK_TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=60)

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _environment(**values: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("MONGODB_URL", "STORAGE_DRIVER", "PORT", "FAYNOSYNC_LOG_LEVEL", "WEB_CONCURRENCY"):
        env.pop(name, None)
    env.update(values)
    return env


# The yardstick: FastAPI's hello world, one JSON route, on uvicorn as `faynosync serve` runs it.
HELLO = """
import uvicorn
from fastapi import FastAPI
from faynosync.http import server

app = FastAPI()

@app.get("/health")
async def health():
    return {{"status": "healthy"}}

uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", **server.options())
"""


def hello_server(cwd: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-c", HELLO.format(port=port)]
    return Server(command, port=port, env=_environment(), cwd=cwd, ready="/health")


FAYNOSYNC = [sys.executable, "-m", "faynosync", "--log-level", "warning", "serve"]


def faynosync_server(
    data_dir: Path,
    *,
    cache: bool = False,
    telemetry: bool = False,
    mongodb_url: str = "",
    workers: int | None = None,
    env: dict[str, str] | None = None,
) -> Server:
    """``faynosync serve`` on ``data_dir`` (also its working directory), or on ``mongodb_url``."""
    values = {
        "FAYNOSYNC_DATA_DIR": str(data_dir),
        "PERFORMANCE_MODE": "true" if cache else "false",
        "ENABLE_TELEMETRY": "true" if telemetry else "false",
        "FAYNOSYNC_CACHE_TTL": "3600",
        "JWT_SECRET": "bench-secret-bench-secret-bench-secret",
        # The start-up consistency check would run during the measurement.
        "FAYNOSYNC_START_CHECK_DELAY": "-1",
        **(env or {}),
    }
    if mongodb_url:
        values["MONGODB_URL"] = mongodb_url
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [*FAYNOSYNC, "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    return Server(command, port=port, env=_environment(**values), cwd=data_dir, ready="/health")


def serve_options() -> str:
    """The help text of ``faynosync serve`` (which options this version has)."""
    return subprocess.run(
        [*FAYNOSYNC, "--help"], env=_environment(), capture_output=True, text=True, check=True
    ).stdout


# CPU time of a process tree, from /proc.


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, CPU ticks: utime + stime + cutime + cstime) of a process, if it lives."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # from field 3 (state) on; comm may hold spaces
    return int(fields[1]), sum(int(value) for value in fields[11:15])


def _processes() -> Iterator[tuple[int, int, int]]:
    """(pid, parent pid, CPU ticks) of every process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            yield int(entry.name), *stat


def process_tree_ticks(root: int) -> int:
    """CPU ticks of ``root`` and of all the processes below it."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for pid, parent, used in _processes():
        children.setdefault(parent, []).append(pid)
        ticks[pid] = used
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += ticks.get(pid, 0)
        pending += children.get(pid, [])
    return total


# wrk.


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float  # wall time wrk measured
    cpu_seconds: float  # of the server, during wrk's run
    median_ms: float
    socket_errors: int = 0  # connect, read, write errors and timeouts (2 s) wrk counted

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def per_cpu_second(self) -> float:
        return self.requests / self.cpu_seconds if self.cpu_seconds else float("inf")


def _wrk_output(
    url: str, *, connections: int, duration: int, script: Path | None, headers: Sequence[str]
) -> str:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:  # wrk counts statuses of 400 and above
        raise RuntimeError(f"errors under load:\n{out}")
    return out


UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(out: str, pattern: str) -> tuple[int, float]:
    """The number and the time (in seconds) ``pattern`` finds in wrk's output."""
    match = re.search(pattern + r"\s*([\d.]+)(us|ms|s|m|h)", out)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    number, value, unit = match.groups()
    return int(number or 0), float(value) * UNITS[unit]


def measure(
    server: Server,
    path: str,
    *,
    connections: int = 50,
    duration: int = 10,
    warmup: int = 1,
    script: Path | None = None,
    headers: Sequence[str] = (),
) -> Measurement:
    """Drive ``path`` with wrk (one thread) for ``duration`` seconds, after ``warmup`` ones."""
    url = server.base + path
    if warmup > 0:
        _wrk_output(url, connections=connections, duration=warmup, script=script, headers=headers)
    before = server.cpu_seconds()
    out = _wrk_output(
        url, connections=connections, duration=duration, script=script, headers=headers
    )
    cpu = server.cpu_seconds() - before
    requests, wall = _seconds(out, r"(\d+) requests in")
    median = _seconds(out, r"50%()")[1]
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = sum(int(count) for count in errors.groups()) if errors else 0
    return Measurement(requests, wall, cpu, median * 1000, failed)
