"""/checkVersion throughput and latency on the embedded default (or MongoDB), measured with wrk.

    .venv/bin/python bench/check_version.py [--duration 10] [--versions 10000]
        [--mongodb-url mongodb://host:27017/?directConnection=true]

Needs wrk (Debian package ``wrk``). One server process (uvicorn, one worker) serves a tenant
whose app has ``--versions`` published versions; wrk drives it with 50 connections. The store
is the embedded SQLite, or with ``--mongodb-url`` that MongoDB server (in databases named
``faynosync_bench_*``, dropped afterwards). Reported, all as ratios taken in this one run:

- requests/s of /checkVersion with the response cache warm (PERFORMANCE_MODE=true) and with
  it off, each against a trivial JSON endpoint of the same server (added by this script);
- median latency of /checkVersion (cache off, one connection) at 100 and at 100,000 versions.

Targets (DESIGN.md): warm >= 0.6x, cache off >= 0.25x, latency growth <= 1.5x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHECK = (
    "/checkVersion?app_name=benchapp&version={version}&channel=nightly"
    "&platform=universalPlatform&arch=universalArch&owner=admin"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


async def seed(data_dir: Path, versions: int, mongodb_url: str = "") -> None:
    """A tenant with one app holding ``versions`` published versions, written by the store."""
    from faynosync.config import Settings
    from faynosync.core import gotime
    from faynosync.core.ids import new_id
    from faynosync.core.security import hash_password
    from faynosync.store import open_store
    from faynosync.store.models import Admin, Artifact, ChangelogEntry, Kind, Meta, Version

    settings = Settings(_env_file=None, FAYNOSYNC_DATA_DIR=data_dir, MONGODB_URL=mongodb_url)
    store = await open_store(settings)
    await store.migrate()
    now = gotime.now()
    await store.admins.insert(Admin(new_id(), "admin", hash_password("pw"), now))
    ids = {}
    for kind, name in (
        (Kind.APP, "benchapp"),
        (Kind.CHANNEL, "nightly"),
        (Kind.PLATFORM, "universalPlatform"),
        (Kind.ARCH, "universalArch"),
    ):
        ids[kind] = new_id()
        await store.meta.insert(Meta(ids[kind], kind, name, "admin", now))
    for n in range(versions):
        version = f"1.{n // 1000}.{n % 1000}"
        base = f"http://localhost/download?key=benchapp-admin%2Fnightly%2F{version}"
        await store.versions.insert(
            Version(
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
                owner="admin",
            )
        )
    await store.close()


# Started as `faynosync serve` starts it (faynosync.http.server's options), plus the route.
SERVER = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from faynosync.app import create_app
from faynosync.http import server
from faynosync.http.responses import GoJSONResponse
app = create_app()
@app.get("/bench/ping")
async def ping():
    return GoJSONResponse({{"status": "ok"}})
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", **server.options())
"""


class Server:
    def __init__(
        self, data_dir: Path, *, cache: bool, telemetry: bool = False, mongodb_url: str = ""
    ) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "FAYNOSYNC_DATA_DIR": str(data_dir),
            "PERFORMANCE_MODE": "true" if cache else "false",
            "ENABLE_TELEMETRY": "true" if telemetry else "false",
            "FAYNOSYNC_CACHE_TTL": "3600",
            "JWT_SECRET": "bench-secret-bench-secret-bench-secret",
            # The start-up consistency check would run during the measurement.
            "FAYNOSYNC_START_CHECK_DELAY": "-1",
        }
        for name in ("MONGODB_URL", "STORAGE_DRIVER"):
            env.pop(name, None)
        if mongodb_url:
            env["MONGODB_URL"] = mongodb_url
        data_dir.mkdir(parents=True, exist_ok=True)  # its working directory, also on MongoDB
        code = SERVER.format(root=str(ROOT), port=self.port)
        self.process = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=data_dir)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/bench/ping")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def get(self, path: str) -> dict[str, object]:
        with urllib.request.urlopen(self.base + path) as response:
            result: dict[str, object] = json.loads(response.read())
            return result

    def get_authorized(self, path: str) -> dict[str, object]:
        """GET as the seeded admin."""
        login = urllib.request.Request(
            self.base + "/login",
            data=json.dumps({"username": "admin", "password": "pw"}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(login) as response:
            token = json.loads(response.read())["token"]
        request = urllib.request.Request(self.base + path)
        request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request) as response:
            result: dict[str, object] = json.loads(response.read())
            return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def wrk(
    url: str, *, connections: int, duration: int, script: Path | None = None
) -> tuple[float, float]:
    """(requests/s, median latency in ms)."""
    extra = ["-s", str(script)] if script else []
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", *extra, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    median = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    return rps, median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--growth", type=int, nargs=2, default=[100, 100_000])
    parser.add_argument("--mongodb-url", default="", help="a MongoDB server instead of SQLite")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="faynosync-bench-", dir=ROOT))
    databases: list[str] = []

    def mongodb(name: str) -> str:
        if not args.mongodb_url:
            return ""
        databases.append(database_url(args.mongodb_url, name))
        return databases[-1]

    try:
        data = work / "main"
        main_db = mongodb("main")
        asyncio.run(seed(data, args.versions, main_db))
        old = CHECK.format(version="1.0.1")
        results: dict[str, tuple[float, float]] = {}
        for cache in (True, False):
            server = Server(data, cache=cache, mongodb_url=main_db)
            try:
                body = server.get(old)
                assert body["update_available"] is True, body
                label = "warm" if cache else "off"
                server.get(old)
                results[f"ping-{label}"] = wrk(
                    server.base + "/bench/ping", connections=50, duration=args.duration
                )
                results[f"check-{label}"] = wrk(
                    server.base + old, connections=50, duration=args.duration
                )
            finally:
                server.stop()
        latencies = {}
        for count in args.growth:
            dir_ = work / f"v{count}"
            growth_db = mongodb(f"v{count}")
            asyncio.run(seed(dir_, count, growth_db))
            server = Server(dir_, cache=False, mongodb_url=growth_db)
            try:
                server.get(old)
                latencies[count] = wrk(server.base + old, connections=1, duration=args.duration)[1]
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for url in databases:
            drop_database(url)

    store = "MongoDB" if args.mongodb_url else "SQLite"
    print(f"{args.versions} versions on {store}, wrk -t1 -c50 -d{args.duration}s, one server")
    for label in ("warm", "off"):
        ping, check = results[f"ping-{label}"][0], results[f"check-{label}"][0]
        target = 0.6 if label == "warm" else 0.25
        print(
            f"cache {label:4}: /checkVersion {check:8.0f} req/s, trivial {ping:8.0f} req/s, "
            f"ratio {check / ping:.2f}x (target >= {target}x)"
        )
    low, high = args.growth
    growth = latencies[high] / latencies[low]
    print(
        f"median latency, cache off, 1 connection: {latencies[low]:.2f} ms at {low} versions, "
        f"{latencies[high]:.2f} ms at {high} versions, growth {growth:.2f}x (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
