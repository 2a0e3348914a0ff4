from collections.abc import AsyncIterator

import pytest

from faynosync.config import Settings
from faynosync.store import Store, open_store


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    store = await open_store(settings)
    await store.migrate()
    yield store
    await store.close()
