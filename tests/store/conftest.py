import pytest

from faynosync.store import open_store


@pytest.fixture
async def store(settings):
    store = await open_store(settings)
    await store.migrate()
    yield store
    await store.close()
