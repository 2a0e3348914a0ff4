"""A real ``faynosync serve`` in a subprocess, for tests of what only a real server shows."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import free_port, wait_for_http


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    data_dir: Path

    def output(self) -> str:
        """What the server printed (call after it stopped)."""
        assert self.process.stdout is not None
        return self.process.stdout.read().decode(errors="replace")


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAYNOSYNC_", "MONGODB"))}
    env["FAYNOSYNC_DATA_DIR"] = str(data_dir)
    env.update(settings)
    return env


@contextlib.contextmanager
def serving(data_dir: Path, **settings: str) -> Iterator[Served]:
    """``faynosync serve`` on a free port with these settings; stopped (SIGTERM) on exit."""
    port = free_port()
    env = server_env(data_dir, PORT=str(port), **settings)
    process = subprocess.Popen(
        [sys.executable, "-m", "faynosync", "serve", "--host", "127.0.0.1"],
        cwd=data_dir.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    served = Served(f"http://127.0.0.1:{port}", port, process, data_dir)
    try:
        wait_for_http(f"{served.url}/health", process)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
