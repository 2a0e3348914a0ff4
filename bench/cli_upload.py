"""Upload a large artifact with ``faynosync upload`` to a running server on the embedded
default; report the client's peak RSS and its time, as a ratio to the same upload with curl.

    .venv/bin/python bench/cli_upload.py [--size-mib 1024] [--runs 3]

Targets (issue 15): client peak RSS <= 100 MB, time <= 1.2x curl (``-F file=@...``, streamed
from disk). Each run uploads once with curl and once with the client, in alternating order, to
versions of their own (removed after each upload, so the data dir does not grow); the medians
of ``--runs`` are compared. A client's peak RSS is read from ``wait4``'s resource usage of its
process (``ru_maxrss``), so nothing else on the machine counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, Server, faynosync_server
from upload_1gib import make_file, post


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``command``, which must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {' '.join(command)}")
    return elapsed, usage.ru_maxrss / 1024


def remove_versions(server: Server, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    found = server.request("GET", "/search?app_name=bench&limit=100", headers).json()
    for item in found.get("items") or []:  # type: ignore[union-attr]
        server.request("DELETE", f"/apps/delete?id={item['ID']}", headers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="faynosync-bench-", dir=ROOT))
    try:
        source = work / "artifact.bin"
        make_file(source, args.size_mib)
        with faynosync_server(work / "data") as server:
            base = server.base
            post(server, "/signup", {"username": "bench", "password": "bench", "api_key": ""})
            token = str(post(server, "/login", {"username": "bench", "password": "bench"})["token"])
            app = {"data": json.dumps({"app": "bench"})}
            create = ["curl", "-sf", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}"]
            subprocess.run([*create, "-F", f"data={app['data']}", f"{base}/app/create"], check=True)
            env = {
                **os.environ,
                "FAYNOSYNC_URL": base,
                "FAYNOSYNC_TOKEN": token,
                "XDG_CONFIG_HOME": str(work / "config"),
                "PYTHONPATH": str(ROOT),
            }
            client = [sys.executable, "-m", "faynosync", "upload", str(source), "--app", "bench"]
            curls: list[tuple[float, float]] = []
            clients: list[tuple[float, float]] = []
            for n in range(args.runs):
                data = json.dumps({"app_name": "bench", "version": f"1.0.{n}"})
                curl = [
                    *create,
                    "-F",
                    f"data={data}",
                    "-F",
                    f"file=@{source};filename=artifact.bin",
                    f"{base}/upload",
                ]
                ours = [*client, "--version", f"2.0.{n}"]
                order = [(curl, curls), (ours, clients)]
                for command, results in order if n % 2 == 0 else order[::-1]:
                    results.append(run(command, env))
                    remove_versions(server, token)
        curl_s = statistics.median(t for t, _ in curls)
        client_s = statistics.median(t for t, _ in clients)
        print(f"file: {args.size_mib} MiB, {args.runs} runs (medians), load {os.getloadavg()}")
        print(f"curl:      {curl_s:.2f} s   ({', '.join(f'{t:.2f}' for t, _ in curls)})")
        print(f"faynosync: {client_s:.2f} s   ({', '.join(f'{t:.2f}' for t, _ in clients)})")
        print(f"ratio faynosync / curl: {client_s / curl_s:.2f}x (target <= 1.2x)")
        print(
            f"client peak RSS: {max(r for _, r in clients):.0f} MiB (target <= 100 MB); "
            f"curl: {max(r for _, r in curls):.0f} MiB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
