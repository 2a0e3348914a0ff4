"""Artifacts and logos behind one protocol: S3-compatible buckets or local disk (the default)."""

from __future__ import annotations

import contextlib
import logging

from faynosync.config import S3_DRIVERS, Settings
from faynosync.storage.protocol import (
    InvalidKey,
    ObjectNotFound,
    ObjectStorage,
    StorageError,
    StorageFull,
)

__all__ = [
    "InvalidKey",
    "ObjectNotFound",
    "ObjectStorage",
    "StorageError",
    "StorageFull",
    "delete_quietly",
    "open_storage",
]

log = logging.getLogger(__name__)


async def open_storage(
    settings: Settings, stack: contextlib.AsyncExitStack, *, signing_key: bytes
) -> ObjectStorage:
    """S3 when STORAGE_DRIVER is set, else local disk under FAYNOSYNC_DATA_DIR.

    Resources (the S3 client) are closed by ``stack``.
    """
    driver = settings.STORAGE_DRIVER
    if not driver:
        from faynosync.storage.local import LocalStorage

        return LocalStorage(
            settings.FAYNOSYNC_DATA_DIR / "objects",
            base_url=settings.base_url,
            signing_key=signing_key,
        )
    if driver in S3_DRIVERS:
        from faynosync.storage.s3 import S3Storage

        return await stack.enter_async_context(S3Storage.connect(settings))
    from faynosync.storage.s3 import UnsupportedStorage

    return UnsupportedStorage(driver)


async def delete_quietly(storage: ObjectStorage, key: str, *, private: bool) -> None:
    """Remove an object nothing refers to any more; a failure is logged, not raised."""
    try:
        await storage.delete(key, private=private)
    except StorageError:
        log.exception("could not remove %s", key)
