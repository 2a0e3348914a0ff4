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

    log: Path

    def output(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(errors="replace")


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAYNOSYNC_", "MONGODB"))}
    env["FAYNOSYNC_DATA_DIR"] = str(data_dir)
    env.update(settings)
    return env


@contextlib.contextmanager
def serving(data_dir: Path, *args: str, **settings: str) -> Iterator[Served]:
    """``faynosync serve [args]`` on a free port (or the one ``PORT`` names, to start a server
    again where it was) with these settings; stopped (SIGTERM) on exit.

    Its output goes to a file (a pipe nobody reads would stop a talkative server).
    """
    port = int(settings.pop("PORT", "0")) or free_port()
    env = server_env(data_dir, PORT=str(port), **settings)
    log = data_dir.parent / f"server-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "faynosync", "serve", "--host", "127.0.0.1", *args],
            cwd=data_dir.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", port, process, data_dir, log)
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
