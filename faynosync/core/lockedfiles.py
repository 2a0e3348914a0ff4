"""Temporary files that tell whether a live process still uses them.

The process that creates such a file holds an exclusive ``flock`` on it for as long as it uses
it. The lock dies with its process, even under ``kill -9``: a file whose lock another process
can take is stale and can be removed, while several processes share its directory.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StaleFile:
    path: Path
    size: int
    modified: float
    """POSIX time of the last write."""


def create_locked(directory: Path, prefix: str) -> tuple[int, Path]:
    """A new empty file in ``directory`` and an open descriptor holding its lock.

    The lock lasts until every descriptor of that open file (``os.dup`` copies included) is
    closed. Write through a copy and close this one when the file is no longer in use.
    """
    while True:
        fd, name = tempfile.mkstemp(dir=directory, prefix=prefix)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Between mkstemp and flock a cleaner may have found the file unlocked and removed
            # it (it unlinks while holding the lock): then start again with a new one.
            if os.fstat(fd).st_nlink:
                return fd, Path(name)
        except BaseException:
            os.close(fd)
            Path(name).unlink(missing_ok=True)
            raise
        os.close(fd)


def _locked_by_us(path: Path) -> int | None:
    """A descriptor of ``path`` holding its lock, or None when it is gone or in use."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def stale(path: Path) -> StaleFile | None:
    """``path`` when it is a file that no live process uses, else None."""
    fd = _locked_by_us(path)
    if fd is None:
        return None
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    return StaleFile(path, info.st_size, info.st_mtime) if info.st_nlink else None


def stale_files(directory: Path, match: Callable[[str], bool]) -> Iterator[StaleFile]:
    """Files of ``directory`` (not below) whose name ``match`` accepts and nobody uses."""
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    for entry in entries:
        if match(entry.name) and entry.is_file(follow_symlinks=False):
            found = stale(Path(entry.path))
            if found is not None:
                yield found


def remove_if_stale(path: Path) -> StaleFile | None:
    """Remove ``path`` unless a live process uses it; what was removed, or None."""
    fd = _locked_by_us(path)
    if fd is None:
        return None
    try:
        info = os.fstat(fd)
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == info.st_ino
        except FileNotFoundError:
            return None
        if not same or not info.st_nlink:
            return None
        path.unlink(missing_ok=True)
    finally:
        os.close(fd)
    return StaleFile(path, info.st_size, info.st_mtime)
