"""The update check's CPU cost in-process, per check, without HTTP: for changes of a few percent.

    .venv/bin/python bench/check_inprocess.py [--versions 10000] [--pairs 8]
        [--against DIR] [--only service|off|warm]...

``bench/check_version.py`` measures the whole server against a hello world; on a shared
machine its ratios move by a tenth between runs. This measures what the code costs: one
process per measurement loops over the bench's update check (``/checkVersion`` of version
1.0.1, an update available) and reports the CPU time (``time.process_time``) per check, the
lowest of 5 rounds. Three paths, on the embedded SQLite:

- ``service``: ``checks.service.check_version`` alone (cache off);
- ``off``: the ASGI application, ``PERFORMANCE_MODE=false`` (what a server adds but HTTP);
- ``warm``: the ASGI application, answer cached.

With ``--against DIR`` (another checkout's root, e.g. ``git worktree add /tmp/old HEAD~3``),
measurements of that code and of this one alternate in ``--pairs`` pairs of processes, on the
same data: each line gives the lowest and the median of both and the median of the pairs'
ratios (this / that), which holds still better than either figure.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
PATHS = ("service", "off", "warm")
ROUNDS = 5
QUERY = (
    b"app_name=benchapp&version=1.0.1&channel=nightly&platform=universalPlatform"
    b"&arch=universalArch&owner=admin"
)


async def _measure(data: Path, path: str) -> float:
    """µs of CPU per check on ``path``, the lowest of the rounds (run in a child process whose
    ``sys.path`` starts with the checkout measured)."""
    from faynosync.checks.service import CheckRequest, check_version
    from faynosync.config import Settings
    from faynosync.store import open_store

    if path == "service":
        store = await open_store(Settings(_env_file=None, FAYNOSYNC_DATA_DIR=data))
        request = CheckRequest(
            "benchapp", "1.0.1", "nightly", "universalPlatform", "universalArch", "admin", ""
        )

        async def once() -> None:
            await check_version(store, request)

        try:
            return await _rounds(once, 1000)
        finally:
            await store.close()
    return await _measure_app(data, cache=path == "warm")


async def _measure_app(data: Path, *, cache: bool) -> float:
    from faynosync.app import create_app
    from faynosync.config import Settings

    settings = Settings(
        _env_file=None,
        FAYNOSYNC_DATA_DIR=data,
        PERFORMANCE_MODE=cache,
        FAYNOSYNC_START_CHECK_DELAY=-1,
        JWT_SECRET="bench-secret-bench-secret-bench-secret",
    )
    app = create_app(settings)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/checkVersion",
        "raw_path": b"/checkVersion",
        "query_string": QUERY,
        "headers": [(b"host", b"127.0.0.1")],
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "root_path": "",
        "asgi": {"version": "3.0"},
    }
    statuses: list[int] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))  # type: ignore[call-overload]

    async def once() -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]

    async with app.router.lifespan_context(app):
        took = await _rounds(once, 10_000 if cache else 1000)
    if set(statuses) != {200}:
        raise RuntimeError(f"the check answered {sorted(set(statuses))}, not 200")
    return took


async def _rounds(once: Callable[[], Awaitable[None]], count: int) -> float:
    for _ in range(count // 2):  # warm-up: caches of the interpreter, of SQLite, of the app
        await once()
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(count):
            await once()
        best = min(best, (time.process_time() - start) / count * 1e6)
    return best


def _child(tree: Path, data: Path, path: str) -> float:
    """One measurement, in a process of its own, of the checkout at ``tree``."""
    command = [sys.executable, str(HERE), "--child", str(tree), str(data), path]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(output.split()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=10_000, help="versions of the app")
    parser.add_argument("--pairs", type=int, default=8, help="measurements of each path")
    parser.add_argument("--against", type=Path, help="another checkout, measured in turn")
    parser.add_argument("--only", action="append", choices=PATHS, help="paths (default all)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        tree, data, path = args.child
        sys.path.insert(0, tree)
        print(asyncio.run(_measure(Path(data), path)))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import seed

    with tempfile.TemporaryDirectory(prefix="faynosync-inprocess-", dir=ROOT) as work:
        data = Path(work) / "data"
        asyncio.run(seed(data, args.versions))
        print(f"µs of CPU per check, lowest of {ROUNDS} rounds; {args.versions} versions, SQLite")
        for path in args.only or PATHS:
            _report(path, args, data)


def _report(path: str, args: argparse.Namespace, data: Path) -> None:
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(args.pairs):
        if args.against is not None:
            theirs.append(_child(args.against.resolve(), data, path))
        mine.append(_child(ROOT, data, path))
    line = f"{path:<8} this: lowest {min(mine):6.1f}, median {statistics.median(mine):6.1f}"
    if theirs:
        ratio = statistics.median(m / t for m, t in zip(mine, theirs, strict=True))
        line += (
            f" | {args.against}: lowest {min(theirs):6.1f}, median {statistics.median(theirs):6.1f}"
            f" | this/that, median of pairs {ratio:.3f}"
        )
    print(line, flush=True)


if __name__ == "__main__":
    main()
