"""Data behind one protocol: MongoDB (FaynoSync's schema) or SQLite (the embedded default)."""

from __future__ import annotations

from faynosync.config import Settings
from faynosync.store.protocol import DuplicateKey, Store, StoreError, StoreFull

__all__ = ["DuplicateKey", "Store", "StoreError", "StoreFull", "open_store"]

SQLITE_FILE = "faynosync.sqlite3"


async def open_store(settings: Settings) -> Store:
    """MongoDB when MONGODB_URL is set, else SQLite under FAYNOSYNC_DATA_DIR."""
    if settings.uses_mongo:
        from faynosync.store.mongo import MongoStore

        return MongoStore(settings.MONGODB_URL)
    from faynosync.store.sqlite import SqliteStore

    return await SqliteStore.open(settings.FAYNOSYNC_DATA_DIR / SQLITE_FILE)
