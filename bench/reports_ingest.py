"""Report ingest against a bare FastAPI app, per server CPU-second, measured with wrk.

    .venv/bin/python bench/reports_ingest.py [--duration 10] [--rounds 3] [--warmup 1]
        [--groups 2000] [--json] [--mongodb-url mongodb://host:27017/?directConnection=true]

Needs wrk (Debian package ``wrk``). In one run, this starts FastAPI's hello world (one route,
``GET /health`` returning ``{"status": "healthy"}``) on uvicorn with the settings ``faynosync
serve`` uses, then ``faynosync serve`` with ``REPORTS_ENABLED=true`` (API level 2.1, the
embedded SQLite and local store, or with ``--mongodb-url`` that MongoDB server, in a database
named ``faynosync_bench_*`` dropped afterwards) with an admin and an app whose reports are on.
wrk drives each with one thread and 50 connections. The loads, measured in ``--rounds``
rounds that alternate and share ``--duration`` (the machine's drift falls on all alike):

- ``hello``: the bare FastAPI app's ``/health``, the baseline;
- ``health``: faynosync's ``/health``;
- ``ingest``: ``POST /reports/ingest`` without details, each request from a new device and
  spread over ``--groups`` groups (so that no rate limit is reached: the key, address and
  tenant limits are raised out of the way, the per-group one stays FaynoSync's 30 a minute);
- ``details``: the same with gzip details (about 300 bytes of JSON), stored as a blob.

Each figure is events (requests) per second and per CPU-second of the server's processes
(utime + stime from /proc/PID/stat), and the ratios to the hello world and to faynosync's own
``/health``; on a shared machine the CPU-second figure is the one that holds still.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    Measurement,
    Server,
    database_url,
    drop_database,
    faynosync_server,
    hello_server,
    load_average,
    measure,
    require_wrk,
)

LOADS = ("hello", "health", "ingest", "details")
UNLIMITED = str(10**9)
DETAILS = base64.b64encode(
    gzip.compress(json.dumps({"stack": ["main.go:10", "app.go:20"] * 10}).encode())
).decode()


def script(groups: int, *, with_details: bool, key: str, run: str) -> str:
    """A wrk script: POST an event per request, a new device each time, ``groups`` reasons."""
    details = (
        f',"details":{{"encoding":"gzip+base64","content_type":"application/json",'
        f'"payload":"{DETAILS}"}}'
        if with_details
        else ""
    )
    return f"""
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
prefix = "{run}-" .. math.random(1, 2000000000)
counter = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  wrk.headers["X-Device-ID"] = prefix .. "-" .. counter
  local body = '{{"application":{{"name":"benchapp","version":"1.2.3","channel":"stable"}},'
    .. '"system":{{"platform":"windows","arch":"amd64"}},'
    .. '"event":{{"type":"crash","reason":"r' .. (counter % {groups}) .. '"}}{details}}}'
  return wrk.format(nil, nil, nil, body)
end
"""


def prepare(server: Server) -> str:
    """An admin, an app with reports on; its report key."""
    credentials = json.dumps({"username": "bench", "password": "bench-password"}).encode()
    server.request("POST", "/signup", body=credentials)
    token = server.request("POST", "/login", body=credentials).json()["token"]
    boundary = "benchboundary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'
        '{"app":"benchapp","reports":"true"}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    created = server.request("POST", "/app/create", headers, form)
    if created.status != 200:
        raise RuntimeError(f"app not created: {created.body!r}")
    listed = server.request("GET", "/report-keys/list", {"Authorization": f"Bearer {token}"})
    key: str = listed.json()["report_keys"][0]["key_value"]  # type: ignore[index]
    return key


def run(args: argparse.Namespace) -> dict[str, Measurement]:
    work = Path(tempfile.mkdtemp(prefix="faynosync-bench-", dir=ROOT))
    url = args.mongodb_url and database_url(args.mongodb_url, "reports")
    totals: dict[str, list[Measurement]] = {name: [] for name in LOADS}
    env = {
        "REPORTS_ENABLED": "true",
        "FAYNOSYNC_API_LEVEL": "2.1",
        "REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE": UNLIMITED,
        "FAYNOSYNC_REPORTS_PER_IP_PER_MINUTE": UNLIMITED,
        "FAYNOSYNC_REPORTS_PER_TENANT_PER_HOUR": UNLIMITED,
        "FAYNOSYNC_ACCESS_LOG": "false",
    }
    try:
        with (
            hello_server(work) as hello,
            faynosync_server(work / "data", mongodb_url=url, env=env) as server,
        ):
            key = prepare(server)
            share = max(1, args.duration // args.rounds)
            for round_number in range(args.rounds):
                for name in LOADS:
                    target, path, lua = hello, "/health", None
                    if name == "health":
                        target = server
                    elif name in ("ingest", "details"):
                        target, path = server, "/reports/ingest"
                        lua = work / f"{name}-{round_number}.lua"
                        lua.write_text(
                            script(
                                args.groups,
                                with_details=name == "details",
                                key=key,
                                run=f"{name}{round_number}",
                            )
                        )
                    totals[name].append(
                        measure(target, path, duration=share, warmup=args.warmup, script=lua)
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if url:
            drop_database(url)
    return {name: _sum(found) for name, found in totals.items()}


def _sum(found: list[Measurement]) -> Measurement:
    return Measurement(
        requests=sum(m.requests for m in found),
        seconds=sum(m.seconds for m in found),
        cpu_seconds=sum(m.cpu_seconds for m in found),
        median_ms=sorted(m.median_ms for m in found)[len(found) // 2],
        socket_errors=sum(m.socket_errors for m in found),
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load in all")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk before each")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--groups", type=int, default=2000, help="distinct groups reported")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--mongodb-url", default="", help="a MongoDB server instead of SQLite")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    require_wrk()
    start = load_average()
    figures = run(args)
    loads = (start, load_average())
    hello, health = figures["hello"], figures["health"]
    rows = {
        name: {
            "events_per_second": round(m.per_second),
            "events_per_cpu_second": round(m.per_cpu_second),
            "median_ms": round(m.median_ms, 2),
            "x_hello_cpu": round(m.per_cpu_second / hello.per_cpu_second, 3),
            "x_health_cpu": round(m.per_cpu_second / health.per_cpu_second, 3),
            "x_hello_per_second": round(m.per_second / hello.per_second, 3),
            "socket_errors": m.socket_errors,
        }
        for name, m in figures.items()
    }
    if args.json:
        print(
            json.dumps(
                {
                    "load_average": loads,
                    "store": "MongoDB" if args.mongodb_url else "SQLite",
                    "loads": rows,
                },
                indent=2,
            )
        )
        return
    print(
        f"faynosync reports bench: {'MongoDB' if args.mongodb_url else 'SQLite'}, "
        f"{args.rounds} rounds sharing {args.duration}s per load, load average {loads[0]} at "
        f"the start, {loads[1]} at the end"
    )
    print(
        f"{'':<10} {'ev/s':>8} {'ev/CPU-s':>9} {'median ms':>10} "
        f"{'x hello CPU':>12} {'x /health CPU':>14}"
    )
    for name, row in rows.items():
        print(
            f"{name:<10} {row['events_per_second']:>8} {row['events_per_cpu_second']:>9} "
            f"{row['median_ms']:>10} {row['x_hello_cpu']:>11}x {row['x_health_cpu']:>13}x"
        )


if __name__ == "__main__":
    main()
