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
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: dict[str, object], token: str | None = None) -> dict[str, object]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        result: dict[str, object] = json.loads(response.read())
        return result


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
        port = free_port()
        env = {
            **os.environ,
            "FAYNOSYNC_DATA_DIR": str(work / "data"),
            "PORT": str(port),
            "FAYNOSYNC_START_CHECK_DELAY": "-1",  # not during the measurement
        }
        env.pop("MONGODB_URL", None)
        env.pop("STORAGE_DRIVER", None)
        command = [sys.executable, "-m", "faynosync", "--log-level", "warning", "serve"]
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1"],
            cwd=work,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/health")
                    break
                except OSError:
                    time.sleep(0.1)
            post(f"{base}/signup", {"username": "bench", "password": "bench", "api_key": ""})
            token = str(post(f"{base}/login", {"username": "bench", "password": "bench"})["token"])
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
            idle_rss = rss_mib(server.pid, "VmRSS")
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
            peak_rss = rss_mib(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(timeout=30)
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
