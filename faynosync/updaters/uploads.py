"""What each updater demands of an upload (docs/behaviour.md#upload-demands).

Validators match the ``updater`` string by prefix, as the original does (``squirrel_windows_x``
must include a RELEASES file), whereas the storage layout uses exact names (``versions.layout``).
"""

from __future__ import annotations

from faynosync.errors import APIError
from faynosync.updaters import velopack

SQUIRREL_DARWIN = (
    "squirrel darwin updater requires a ZIP archive for update functionality. "
    "Please include a ZIP file in your upload"
)
SQUIRREL_WINDOWS = (
    "squirrel windows updater requires a RELEASES file for update functionality. "
    "Please include a RELEASES file in your upload"
)
ELECTRON_BUILDER = (
    "electron-builder updater requires a YML/YAML file for update functionality. "
    "Please include a .yml or .yaml file in your upload"
)
TAURI = (
    "tauri updater requires a signature parameter for update functionality. "
    "Please include a signature in your request"
)


def check_files(updater: str, filenames: list[str]) -> None:
    """The files an updater needs; a 400 with the original's message when one is missing."""
    names = [name.lower() for name in filenames]
    if updater.startswith("squirrel_darwin") and not any(n.endswith(".zip") for n in names):
        raise APIError(400, SQUIRREL_DARWIN)
    if updater.startswith("squirrel_windows") and "releases" not in names:
        raise APIError(400, SQUIRREL_WINDOWS)
    if updater.startswith("electron-builder") and not any(
        n.endswith((".yml", ".yaml")) for n in names
    ):
        raise APIError(400, ELECTRON_BUILDER)
    velopack.check_files(updater, filenames)


def check_params(updater: str, signature: str) -> None:
    """The parameters an updater needs (only Tauri's signature)."""
    if updater.startswith("tauri") and not signature:
        raise APIError(400, TAURI)
