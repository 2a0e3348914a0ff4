"""A small file system of its own (tmpfs) for tests that fill the disk."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """``path`` as the mount point of a tmpfs of ``size`` (e.g. ``"8m"``); unmounted after.

    Mounting needs root (as in CI here); elsewhere the test is skipped, saying why.
    """
    if os.geteuid() != 0:
        pytest.skip("filling a disk needs a small tmpfs, which only root can mount")
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {result.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> Path:
    """Write a ballast file in ``path`` until the file system refuses even one byte."""
    ballast = path / "ballast"
    with ballast.open("wb", buffering=0) as handle:
        for size in (1024 * 1024, 64 * 1024, 4096, 1):
            with contextlib.suppress(OSError):
                while handle.write(b"\0" * size):
                    pass
    return ballast
