"""The update check against a bare FastAPI app, per server CPU-second, measured with wrk.

    .venv/bin/python bench/check_version.py [--duration 10] [--rounds 3] [--versions 10000]
        [--growth 100 100000] [--only SCENARIO]... [--json]
        [--mongodb-url mongodb://host:27017/?directConnection=true]

Needs wrk (Debian package ``wrk``). In one run, this starts FastAPI's hello world (one route,
``GET /health`` returning ``{"status": "healthy"}``) on uvicorn with the settings
``faynosync serve`` uses, then ``faynosync serve`` itself on a tenant whose app has
``--versions`` published versions (the embedded SQLite, or with ``--mongodb-url`` that MongoDB
server, in databases named ``faynosync_bench_*`` dropped afterwards). wrk drives each with one
thread and 50 connections for ``--duration`` seconds, after a ``--warmup``. Each figure is
requests per second and requests per CPU-second of the server's own processes (utime + stime
from /proc/PID/stat, the worker processes summed), and both as ratios to a baseline: on a
shared machine the CPU-second figure is the one that holds still, so a target applies to it.
A scenario compared with the hello world is measured in ``--rounds`` rounds alternating with
the hello world's (sharing ``--duration``), and compared with those rounds: the machine's drift
during a run falls on both alike.

Scenarios (``--only``, repeatable; all by default), targets from DESIGN.md:

- ``hello``: the bare FastAPI app, the baseline of the next four;
- ``health``: faynosync's ``/health`` (>= 0.8x);
- ``warm``: ``/checkVersion`` with the answer cache warm, PERFORMANCE_MODE=true (>= 1.2x);
- ``revalidate``: the same request with ``If-None-Match`` and the ETag of the answer, answered
  304 (>= 1.2x); skipped when the server sends no ETag;
- ``off``: ``/checkVersion`` with the cache off, so the store answers (>= 0.5x);
- ``telemetry``: ENABLE_TELEMETRY=true, cache warm and cache off, each request carrying an
  ``X-Device-ID`` out of a set of 2,000 (all seen once before), against the same load without
  the header (>= 0.9x), in alternating ``--rounds``; both loads come from a wrk Lua script, so
  wrk does the same work;
- ``rollout``: the ``telemetry`` load (2,000 devices, each seen once before), cache warm,
  telemetry off, on the data set whose newest version is rolled out to 20% of the devices
  (so answers are kept per variant of the device), against the same data set without the
  rollout (>= 0.9x), both served at once and measured in alternating ``--rounds``;
- ``beacon``: ENABLE_TELEMETRY=true, ``GET /telemetry/beacon`` (204) of the tenant's app with
  an ``X-Device-ID`` out of a set of 2,000 and ``is_latest=false``, against the hello world:
  reported (no target in DESIGN.md; the update check with its cache warm is the comparable
  path, >= 1.2x); skipped when the server has no beacon;
- ``workers``: ``faynosync serve --workers 2`` against one worker, cache warm: total
  throughput, reported only (on 2 cores with wrk beside it, only indicative); skipped when
  ``serve`` has no ``--workers``;
- ``growth``: median latency of ``/checkVersion``, cache off, one connection, at the two
  ``--growth`` version counts (<= 1.3x from 100 to 100,000), both served at once and measured
  in alternating rounds.

The start-up consistency check is off in every server (FAYNOSYNC_START_CHECK_DELAY=-1).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    CHECK,
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
    seed,
    serve_options,
)

SCENARIOS = (
    "hello",
    "health",
    "warm",
    "revalidate",
    "off",
    "telemetry",
    "rollout",
    "beacon",
    "workers",
    "growth",
)
AGAINST_HELLO = ("health", "warm", "revalidate", "off", "beacon")
OLD = CHECK.format(version="1.0.1")  # an update is available to it
BEACON = (
    "/telemetry/beacon?owner=admin&app_name=benchapp&version=1.0.1&channel=nightly"
    "&platform=universalPlatform&arch=universalArch&is_latest=false"
)
DEVICES = 2000
# Both telemetry loads send requests made once per wrk thread, 2,000 of them, in turn: wrk does
# the same (little) work for both, so that it takes the same share of the machine's 2 cores.
_TURNS = f"""
counter = 0
made = {{}}
init = function(args)
  for n = 0, {DEVICES - 1} do
    local headers = {{}}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    %s
    made[n] = wrk.format(nil, nil, headers)
  end
end
request = function()
  counter = counter + 1
  return made[counter %% {DEVICES}]
end
"""
PLAIN_SCRIPT = _TURNS % ""
DEVICES_SCRIPT = _TURNS % 'headers["X-Device-ID"] = "device-" .. n'


@dataclass(frozen=True)
class Load:
    """What wrk drives: a path of a server, with a script or headers, over ``connections``."""

    server: Server
    path: str
    script: Path | None = None
    headers: tuple[str, ...] = ()
    connections: int = 50


@dataclass
class Row:
    label: str
    measurement: Measurement | None = None
    baseline: str = ""  # the name of the row this one is compared with
    target: float | None = None  # the least ratio per server CPU-second
    skipped: str = ""
    base: Measurement | None = None  # the baseline measured beside this row (--rounds)
    rounds: tuple[float, ...] = ()  # the CPU ratio of each round, when measured in rounds


class Bench:
    """One run: its options, its data sets (seeded once each), what it measured."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="faynosync-bench-", dir=ROOT))
        self.rows: dict[str, Row] = {}
        self.notes: dict[str, object] = {}
        self.latencies: dict[int, float] = {}
        self.growth_rounds: tuple[float, ...] = ()  # the latency ratio of each round
        self._data: dict[tuple[int, int | None], tuple[Path, str]] = {}
        self._hello: Server | None = None

    def data(self, versions: int, rollout: int | None = None) -> tuple[Path, str]:
        """(data directory, MongoDB URL or "") of a tenant with ``versions`` versions, the
        newest rolled out to ``rollout`` percent of the devices when given."""
        if (versions, rollout) not in self._data:
            name = f"v{versions}" + (f"r{rollout}" if rollout is not None else "")
            url = self.args.mongodb_url and database_url(self.args.mongodb_url, name)
            self._data[versions, rollout] = (self.work / name, url)
            start = time.monotonic()
            asyncio.run(seed(self.work / name, versions, url, rollout))
            took = time.monotonic() - start
            print(f"seeded {versions} versions in {took:.1f} s", file=sys.stderr)
        return self._data[versions, rollout]

    def server(
        self,
        versions: int | None = None,
        *,
        cache: bool,
        telemetry: bool = False,
        workers: int | None = None,
        rollout: int | None = None,
    ) -> Server:
        """``faynosync serve`` on the data set of ``versions`` (default ``--versions``)."""
        count = self.args.versions if versions is None else versions
        data_dir, mongodb_url = self.data(count, rollout)
        return faynosync_server(
            data_dir, cache=cache, telemetry=telemetry, mongodb_url=mongodb_url, workers=workers
        )

    def measure(
        self,
        server: Server,
        path: str,
        *,
        connections: int = 50,
        script: Path | None = None,
        headers: Sequence[str] = (),
    ) -> Measurement:
        return measure(
            server,
            path,
            connections=connections,
            duration=self.args.duration,
            warmup=self.args.warmup,
            script=script,
            headers=headers,
        )

    def paired(
        self, server: Server, path: str, *, headers: Sequence[str] = ()
    ) -> tuple[Measurement, Measurement, tuple[float, ...]]:
        """``path`` on ``server`` and the hello world, in alternating rounds; with the CPU
        ratio of each round."""
        if self._hello is None:
            self._hello = hello_server(self.work).__enter__()
        (theirs, mine), each = self.alternating(
            Load(self._hello, "/health"), Load(server, path, headers=tuple(headers))
        )
        return mine, theirs, each

    def alternating(
        self, base: Load, load: Load
    ) -> tuple[tuple[Measurement, Measurement], tuple[float, ...]]:
        """Both loads measured in :meth:`rounds`, each as one measurement. Also the ratio per
        CPU-second of ``load`` to ``base`` in each round, which tells how far the machine
        moved."""
        parts = self.rounds(base, load)
        each = tuple(
            mine.per_cpu_second / theirs.per_cpu_second for theirs, mine in zip(*parts, strict=True)
        )
        return (combined(parts[0]), combined(parts[1])), each

    def rounds(self, base: Load, load: Load) -> tuple[list[Measurement], list[Measurement]]:
        """Both loads measured in ``--rounds`` rounds that alternate and share ``--duration``:
        drift of a shared machine falls on both alike. Each round's measurement of each."""
        rounds = max(1, self.args.rounds)
        seconds = max(1, self.args.duration // rounds)
        parts: tuple[list[Measurement], list[Measurement]] = ([], [])
        for n in range(rounds):
            warmup = self.args.warmup if n == 0 else 0
            for found, one in zip(parts, (base, load), strict=True):
                found.append(
                    measure(
                        one.server,
                        one.path,
                        duration=seconds,
                        warmup=warmup,
                        script=one.script,
                        headers=one.headers,
                        connections=one.connections,
                    )
                )
        return parts

    def close(self) -> None:
        if self._hello is not None:
            self._hello.__exit__(None, None, None)
        shutil.rmtree(self.work, ignore_errors=True)
        for _, url in self._data.values():
            if url:
                drop_database(url)


def combined(parts: list[Measurement]) -> Measurement:
    """Rounds as one measurement (the median latency: the rounds' mean)."""
    return Measurement(
        requests=sum(p.requests for p in parts),
        seconds=sum(p.seconds for p in parts),
        cpu_seconds=sum(p.cpu_seconds for p in parts),
        median_ms=sum(p.median_ms for p in parts) / len(parts),
        socket_errors=sum(p.socket_errors for p in parts),
    )


def check_answer(server: Server) -> None:
    """The update check answers 200 with an update, as the measured requests will."""
    answer = server.request("GET", OLD)
    if answer.status != 200 or answer.json().get("update_available") is not True:
        raise RuntimeError(f"unexpected answer {answer.status}: {answer.body!r}")


def run_hello(bench: Bench) -> None:
    with hello_server(bench.work) as server:
        measured = bench.measure(server, "/health")
    bench.rows["hello"] = Row("bare FastAPI hello world", measured)


def run_cached(bench: Bench, selected: set[str]) -> None:
    """``health``, ``warm`` and ``revalidate``: one server, cache on."""
    with bench.server(cache=True) as server:
        if "health" in selected:
            measured, base, each = bench.paired(server, "/health")
            bench.rows["health"] = Row("/health", measured, "hello", 0.8, base=base, rounds=each)
        check_answer(server)
        if "warm" in selected:
            measured, base, each = bench.paired(server, OLD)
            label = "/checkVersion, cache warm"
            bench.rows["warm"] = Row(label, measured, "hello", 1.2, base=base, rounds=each)
        if "revalidate" in selected:
            run_revalidate(bench, server)


def run_revalidate(bench: Bench, server: Server) -> None:
    row = Row("/checkVersion, 304 (If-None-Match)", baseline="hello", target=1.2)
    bench.rows["revalidate"] = row
    etag = server.request("GET", OLD).headers.get("etag")
    if not etag:
        row.skipped = "not supported by this server: /checkVersion answers without an ETag"
        return
    again = server.request("GET", OLD, {"If-None-Match": etag})
    if again.status != 304:
        row.skipped = (
            f"not supported by this server: If-None-Match with the answer's ETag gets "
            f"{again.status}, not 304"
        )
        return
    row.measurement, row.base, row.rounds = bench.paired(
        server, OLD, headers=[f"If-None-Match: {etag}"]
    )


def run_off(bench: Bench) -> None:
    with bench.server(cache=False) as server:
        check_answer(server)
        measured, base, each = bench.paired(server, OLD)
    label = f"/checkVersion, cache off, {bench.args.versions} versions"
    bench.rows["off"] = Row(label, measured, "hello", 0.5, base=base, rounds=each)


def see_devices(server: Server) -> None:
    """Every device of the load checks once, so the measurement sees known devices."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for n in range(DEVICES):
            connection.request("GET", OLD, headers={"X-Device-ID": f"device-{n}"})
            connection.getresponse().read()
    finally:
        connection.close()


def wait_stored(server: Server, timeout: float = 60.0) -> None:
    """Until the devices seen are written (a flush every FAYNOSYNC_TELEMETRY_FLUSH seconds):
    the measurement is of known devices, not of the first flush that writes them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = server.get_authorized("/telemetry?apps=benchapp").json().get("summary") or {}
        if summary.get("unique_clients", 0) >= DEVICES:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the {DEVICES} devices seen were not written within {timeout:.0f} s")


def run_telemetry(bench: Bench) -> None:
    plain, devices = bench.work / "plain.lua", bench.work / "devices.lua"
    plain.write_text(PLAIN_SCRIPT)
    devices.write_text(DEVICES_SCRIPT)
    for cache, mode in ((True, "warm"), (False, "off")):
        name = f"telemetry-{mode}"
        with bench.server(cache=cache, telemetry=True) as server:
            check_answer(server)
            see_devices(server)
            wait_stored(server)
            (without, with_ids), each = bench.alternating(
                Load(server, OLD, script=plain), Load(server, OLD, script=devices)
            )
            report = server.get_authorized("/telemetry?apps=benchapp").json()
        bench.rows[name] = Row(f"telemetry, cache {mode}, no X-Device-ID", without)
        label = f"telemetry, cache {mode}, X-Device-ID"
        bench.rows[f"{name}-devices"] = Row(label, with_ids, name, 0.9, rounds=each)
        bench.notes[f"{name} recorded"] = report.get("summary")


def run_rollout(bench: Bench) -> None:
    """Both data sets served at once, measured in alternating rounds (as the others)."""
    devices = bench.work / "devices.lua"
    devices.write_text(DEVICES_SCRIPT)
    with bench.server(cache=True) as plain, bench.server(cache=True, rollout=20) as rolled:
        for server in (plain, rolled):
            check_answer(server)
            see_devices(server)
        (none, twenty), each = bench.alternating(
            Load(plain, OLD, script=devices), Load(rolled, OLD, script=devices)
        )
    bench.rows["rollout-none"] = Row("cache warm, X-Device-ID, no rollout", none)
    label = "cache warm, X-Device-ID, 20% rollout"
    bench.rows["rollout-20"] = Row(label, twenty, "rollout-none", 0.9, rounds=each)


def run_beacon(bench: Bench) -> None:
    row = Row("/telemetry/beacon, X-Device-ID", baseline="hello")
    bench.rows["beacon"] = row
    devices = bench.work / "devices.lua"
    devices.write_text(DEVICES_SCRIPT)
    with bench.server(cache=False, telemetry=True) as server:
        answer = server.request("GET", BEACON, {"X-Device-ID": "device-0"})
        if answer.status != 204:
            row.skipped = f"not supported by this server: the beacon answers {answer.status}"
            return
        if bench._hello is None:
            bench._hello = hello_server(bench.work).__enter__()
        (row.base, row.measurement), row.rounds = bench.alternating(
            Load(bench._hello, "/health"), Load(server, BEACON, script=devices)
        )
        report = server.get_authorized("/telemetry?apps=benchapp").json()
    bench.notes["beacon recorded"] = report.get("summary")


def run_workers(bench: Bench) -> None:
    row = Row("--workers 2, /checkVersion, cache warm", baseline="workers-1")
    if "--workers" not in serve_options():
        row.skipped = "not supported by this server: `faynosync serve` has no --workers"
        bench.rows["workers-2"] = row
        return
    with bench.server(cache=True) as server:
        check_answer(server)
        measured = bench.measure(server, OLD)
    bench.rows["workers-1"] = Row("one worker, /checkVersion, cache warm", measured)
    with bench.server(cache=True, workers=2) as server:
        check_answer(server)
        row.measurement = bench.measure(server, OLD)
    bench.rows["workers-2"] = row


def run_growth(bench: Bench) -> None:
    """Both data sets served at once and measured in alternating rounds (one connection
    each): a latency moves by a fifth between runs on a shared machine, and a round of each
    in turn sees the same machine. Each count's figure is the median of its rounds'."""
    low, high = bench.args.growth
    with bench.server(low, cache=False) as few, bench.server(high, cache=False) as many:
        for server in (few, many):
            check_answer(server)
        few_rounds, many_rounds = bench.rounds(
            Load(few, OLD, connections=1), Load(many, OLD, connections=1)
        )
    low_ms = [m.median_ms for m in few_rounds]
    high_ms = [m.median_ms for m in many_rounds]
    bench.latencies[low] = statistics.median(low_ms)
    bench.latencies[high] = statistics.median(high_ms)
    bench.growth_rounds = tuple(m / f for f, m in zip(low_ms, high_ms, strict=True))


def run(bench: Bench) -> None:
    selected = set(bench.args.only or SCENARIOS)
    if "hello" in selected or selected & set(AGAINST_HELLO):
        run_hello(bench)
    if selected & {"health", "warm", "revalidate"}:
        run_cached(bench, selected)
    if "off" in selected:
        run_off(bench)
    if "telemetry" in selected:
        run_telemetry(bench)
    if "rollout" in selected:
        run_rollout(bench)
    if "beacon" in selected:
        run_beacon(bench)
    if "workers" in selected:
        run_workers(bench)
    if "growth" in selected:
        run_growth(bench)


# Report.

GROWTH_TARGET = 1.3


def ratios(bench: Bench, row: Row) -> tuple[float, float] | None:
    """(per second, per CPU-second) of ``row`` as ratios to its baseline."""
    base = bench.rows.get(row.baseline)
    theirs = row.base or (base.measurement if base is not None else None)
    if row.measurement is None or theirs is None:
        return None
    mine = row.measurement
    return mine.per_second / theirs.per_second, mine.per_cpu_second / theirs.per_cpu_second


def growth(bench: Bench) -> dict[str, object] | None:
    if len(bench.latencies) < 2:
        return None
    low, high = bench.args.growth
    ratio = bench.latencies[high] / bench.latencies[low]
    return {
        "connections": 1,
        "median_ms": {str(count): bench.latencies[count] for count in (low, high)},
        "ratio": round(ratio, 3),
        "rounds": [round(r, 3) for r in bench.growth_rounds],
        "target": GROWTH_TARGET,
        "met": ratio <= GROWTH_TARGET,
    }


def row_json(bench: Bench, row: Row) -> dict[str, object]:
    if row.skipped:
        return {"label": row.label, "skipped": row.skipped}
    assert row.measurement is not None
    m = row.measurement
    result: dict[str, object] = {
        "label": row.label,
        "requests": m.requests,
        "seconds": m.seconds,
        "cpu_seconds": round(m.cpu_seconds, 2),
        "requests_per_second": round(m.per_second, 1),
        "requests_per_cpu_second": round(m.per_cpu_second, 1),
        "median_ms": m.median_ms,
        "socket_errors": m.socket_errors,
    }
    if (pair := ratios(bench, row)) is not None:
        result.update(baseline=row.baseline, ratio_per_second=round(pair[0], 3))
        result.update(ratio_per_cpu_second=round(pair[1], 3), target=row.target)
        if row.target is not None:
            result["met"] = pair[1] >= row.target
        if row.rounds:
            result["ratio_per_cpu_second_rounds"] = [round(r, 3) for r in row.rounds]
    return result


def context(bench: Bench, loads: tuple[str, str]) -> dict[str, object]:
    args = bench.args
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "store": "MongoDB" if args.mongodb_url else "SQLite",
        "versions": args.versions,
        "wrk": f"wrk -t1 -c50 -d{args.duration}s",
        "warmup_seconds": args.warmup,
        "cpus": os.cpu_count(),
        "load_average": {"start": loads[0], "end": loads[1]},
    }


def as_json(bench: Bench, loads: tuple[str, str]) -> dict[str, object]:
    return {
        **context(bench, loads),
        "scenarios": {name: row_json(bench, row) for name, row in bench.rows.items()},
        "growth": growth(bench),
        "notes": bench.notes,
    }


def table_line(bench: Bench, row: Row) -> str:
    if row.skipped:
        return f"{row.label:<40} skipped: {row.skipped}"
    assert row.measurement is not None
    m = row.measurement
    line = f"{row.label:<40} {m.per_second:>8.0f} {m.per_cpu_second:>10.0f}"
    pair = ratios(bench, row)
    if pair is None:
        return line
    line += f"  {row.baseline:<15} {pair[0]:>6.2f}x {pair[1]:>7.2f}x"
    if row.target is None:
        return line + "  (reported; indicative on 2 cores)" + spread(row)
    verdict = "met" if pair[1] >= row.target else "NOT met"
    return line + f"  >= {row.target}x {verdict}" + spread(row)


def spread(row: Row) -> str:
    """The lowest and highest CPU ratio of the rounds, when there were several."""
    if len(row.rounds) < 2:
        return ""
    return f" (rounds {min(row.rounds):.2f}-{max(row.rounds):.2f})"


def print_table(bench: Bench, loads: tuple[str, str]) -> None:
    about = context(bench, loads)
    print(
        f"faynosync bench, {about['date']}: {about['store']}, {bench.args.versions} versions, "
        f"{about['wrk']} after a {bench.args.warmup}s warm-up, {about['cpus']} CPUs; "
        f"load average {loads[0]} at the start, {loads[1]} at the end"
    )
    print("ratios to the baseline of req/s and of requests per server CPU-second (utime + stime")
    print("from /proc/PID/stat, worker processes summed); a target applies to the CPU ratio")
    print()
    columns = ("req/s", "req/CPU-s", "baseline", "x req/s", "x CPU-s")
    print("{:<40} {:>8} {:>10}  {:<15} {:>7} {:>8}  target".format("", *columns))
    for row in bench.rows.values():
        print(table_line(bench, row))
    for row in bench.rows.values():
        if row.measurement is not None and row.measurement.socket_errors:
            print(f"{row.label}: {row.measurement.socket_errors} socket errors or timeouts")
    if (result := growth(bench)) is not None:
        low, high = bench.args.growth
        verdict = "met" if result["met"] else "NOT met"
        print(
            f"median latency, cache off, 1 connection: {bench.latencies[low]:.2f} ms at {low} "
            f"versions, {bench.latencies[high]:.2f} ms at {high}: {result['ratio']:.2f}x "
            f"(<= {GROWTH_TARGET}x {verdict}; rounds {min(bench.growth_rounds):.2f}-"
            f"{max(bench.growth_rounds):.2f})"
        )
    for name, value in bench.notes.items():
        print(f"{name}: {json.dumps(value)}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk before each")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="a scenario against the hello world: alternating rounds sharing --duration",
    )
    parser.add_argument("--versions", type=int, default=10_000, help="versions of the app")
    parser.add_argument(
        "--growth", type=int, nargs=2, default=[100, 100_000], metavar=("FEW", "MANY")
    )
    parser.add_argument("--only", action="append", choices=SCENARIOS, metavar="SCENARIO")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--mongodb-url", default="", help="a MongoDB server instead of SQLite")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    require_wrk()
    bench = Bench(args)
    start = load_average()
    try:
        run(bench)
    finally:
        bench.close()
    loads = (start, load_average())
    if args.json:
        print(json.dumps(as_json(bench, loads), indent=2))
    else:
        print_table(bench, loads)


if __name__ == "__main__":
    main()
