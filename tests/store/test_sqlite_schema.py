"""SQLite: versioned schema, WAL mode, data kept across restarts."""

from __future__ import annotations

import sqlite3

import pytest

from faynosync.store import StoreError, open_store
from faynosync.store.sqlite import MIGRATIONS, SqliteStore
from tests.support.factories import admin


@pytest.fixture
def backend():
    return "sqlite"


async def test_schema_is_versioned_and_in_wal_mode(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = await SqliteStore.open(path)
    await store.migrate()
    await store.admins.insert(admin())
    await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened = await SqliteStore.open(path)
    await reopened.migrate()
    assert await reopened.admins.get_by_username("admin") is not None
    await reopened.close()


async def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    store = await SqliteStore.open(path)
    with pytest.raises(StoreError, match="newer than this server"):
        await store.migrate()
    await store.close()


async def test_the_store_lives_in_the_data_dir(settings):
    store = await open_store(settings)
    await store.migrate()
    await store.close()
    assert (settings.FAYNOSYNC_DATA_DIR / "faynosync.sqlite3").exists()
