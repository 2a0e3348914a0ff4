"""Staged uploads: locked while a request uses them, removed at start once their process is
gone, kept while another live process (a second server, a uvicorn worker) uses them."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faynosync.config import Settings
from faynosync.core.lockedfiles import stale
from faynosync.storage.staging import create_staged, remove_stale_staged, stale_staged
from tests.support import multipart
from tests.support.api import API_KEY, JWT_SECRET, admin_headers, create_app, make_settings, running

HOLD = (
    "import fcntl, sys\n"
    "handle = open(sys.argv[1], 'rb')\n"
    "fcntl.flock(handle, fcntl.LOCK_EX)\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


@contextmanager
def held_by_another_process(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another live process holding ``path``'s lock, as a second server's request would."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        yield process
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=10)


def staged(directory: Path, content: bytes) -> Path:
    """A staged file whose writer has finished with it (as if killed)."""
    path, lock = create_staged(directory)
    os.write(lock, content)
    os.close(lock)
    return path


def test_stale_staged_files_go_those_of_live_processes_stay(tmp_path):
    old = staged(tmp_path, b"12345")
    busy = staged(tmp_path, b"")
    other = tmp_path / "notes.txt"
    other.write_text("not a staged upload")
    with held_by_another_process(busy) as holder:
        assert [found.path for found in stale_staged(tmp_path)] == [old]
        removed = remove_stale_staged(tmp_path)
        assert [(found.path, found.size) for found in removed] == [(old, 5)]
        assert busy.exists() and other.exists() and not old.exists()
        holder.kill()  # kill -9: its locks go with it
        holder.wait(timeout=10)
        assert [found.path for found in remove_stale_staged(tmp_path)] == [busy]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert remove_stale_staged(tmp_path / "missing") == []


def embedded(tmp_path: Path) -> Settings:
    return make_settings(
        FAYNOSYNC_DATA_DIR=tmp_path / "data",
        JWT_SECRET=JWT_SECRET,
        API_KEY=API_KEY,
    )


async def test_start_removes_stale_staged_files(tmp_path, caplog):
    settings = embedded(tmp_path)
    staging = tmp_path / "data" / "tmp"
    staging.mkdir(parents=True)
    old = staged(staging, b"x" * 10)
    busy = staged(staging, b"y")
    with held_by_another_process(busy), caplog.at_level(logging.INFO, logger="faynosync.app"):
        async with running(settings):
            assert not old.exists()
            assert busy.exists()
    assert f"removed 1 stale staged upload files (10 bytes) from {staging}" in caplog.text


async def test_a_request_holds_the_lock_of_its_staged_file(tmp_path):
    """While an upload arrives its staged file is locked; once the request ends it is gone."""
    settings = embedded(tmp_path)
    staging = tmp_path / "data" / "tmp"
    seen: list[list[bool]] = []

    async def body():
        yield multipart.head({"app_name": "app", "version": "1.0.0"}, "app.dmg")
        yield b"x" * 100_000
        seen.append([stale(path) is None for path in staging.glob(".part-*")])
        yield b"x" * 100_000
        yield multipart.TAIL

    async with running(settings) as (_, client):
        headers = await admin_headers(client)
        await create_app(client, headers, "app")
        response = await client.post(
            "/upload",
            content=body(),
            headers={**headers, "Content-Type": multipart.CONTENT_TYPE},
        )
        assert response.status_code == 200, response.text
    assert seen == [[True]]
    assert list(staging.iterdir()) == []
