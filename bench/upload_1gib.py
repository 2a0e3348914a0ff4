"""Upload a large artifact to a running server on the embedded default; report its peak RSS
and the time, as a ratio to a plain ``cp`` of the same file on the same disk.

    .venv/bin/python bench/upload_1gib.py [--size-mib 1024] [--runs 3]

Targets (DESIGN.md): server peak RSS <= 200 MB, upload time <= 2x cp. The client is curl
(``-F file=@...``, streamed from disk), as a CI pipeline would send it. Each run takes the
median of ``--runs`` uploads and of as many copies, interleaved, in one run of this script.
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


def post(server: Server, path: str, body: dict[str, object]) -> dict[str, object]:
    answer = server.request("POST", path, body=json.dumps(body).encode())
    if answer.status != 200:
        raise RuntimeError(f"{path}: {answer.status} {answer.body!r}")
    return answer.json()


def rss_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def make_file(path: Path, size_mib: int) -> None:
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(size_mib):
            handle.write(block)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


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
            subprocess.run(
                [
                    "curl",
                    "-sf",
                    "-o",
                    "/dev/null",
                    "-H",
                    f"Authorization: Bearer {token}",
                    "-F",
                    'data={"app":"bench"}',
                    f"{base}/app/create",
                ],
                check=True,
            )
            idle_rss = rss_mib(server.process.pid, "VmRSS")
            uploads, copies = [], []
            for run in range(args.runs):
                target = work / f"copy-{run}.bin"
                copies.append(timed(["cp", str(source), str(target)]))
                target.unlink()
                data = json.dumps({"app_name": "bench", "version": f"1.0.{run}"})
                uploads.append(
                    timed(
                        [
                            "curl",
                            "-sf",
                            "-o",
                            "/dev/null",
                            "-H",
                            f"Authorization: Bearer {token}",
                            "-F",
                            f"data={data}",
                            "-F",
                            f"file=@{source};filename=bench.bin",
                            f"{base}/upload",
                        ]
                    )
                )
            peak_rss = rss_mib(server.process.pid, "VmHWM")
        upload_s, copy_s = statistics.median(uploads), statistics.median(copies)
        print(f"file: {args.size_mib} MiB, {args.runs} runs (medians)")
        print(f"cp:      {copy_s:.2f} s   ({', '.join(f'{t:.2f}' for t in copies)})")
        print(f"upload:  {upload_s:.2f} s   ({', '.join(f'{t:.2f}' for t in uploads)})")
        print(f"ratio upload / cp: {upload_s / copy_s:.2f}x (target <= 2x)")
        print(f"server RSS: {idle_rss:.0f} MiB idle, {peak_rss:.0f} MiB peak (target <= 200 MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
