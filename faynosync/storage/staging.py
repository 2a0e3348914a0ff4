"""Uploaded files staged on local disk (``FAYNOSYNC_DATA_DIR/tmp``) before they go to storage.

Each staged file is locked by the process writing it (:mod:`faynosync.core.lockedfiles`), so
that the files of a killed process can be told from those of live ones sharing the data dir.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faynosync.config import Settings
from faynosync.core.lockedfiles import StaleFile, create_locked, remove_if_stale, stale_files

PREFIX = ".part-"


@dataclass
class StagedFile:
    """An uploaded file, staged on disk: the base name of its filename, its path and size."""

    filename: str
    path: Path
    size: int


def staging_dir(settings: Settings) -> Path:
    return settings.FAYNOSYNC_DATA_DIR / "tmp"


def create_staged(directory: Path) -> tuple[Path, int]:
    """A new staging file and a descriptor holding its lock, to be closed when the request
    that staged it ends (write through an ``os.dup`` of it)."""
    fd, path = create_locked(directory, PREFIX)
    return path, fd


def _is_staged(name: str) -> bool:
    return name.startswith(PREFIX)


def stale_staged(directory: Path) -> list[StaleFile]:
    """Staged files that no live process uses."""
    return list(stale_files(directory, _is_staged))


def remove_stale_staged(directory: Path) -> list[StaleFile]:
    """Remove the staged files that no live process uses; what was removed."""
    removed = (remove_if_stale(found.path) for found in stale_files(directory, _is_staged))
    return [found for found in removed if found is not None]
