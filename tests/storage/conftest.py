"""Storage fixtures: local disk, and S3 served by moto's server mode (started once per run)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from faynosync.config import Settings
from faynosync.storage import ObjectStorage, open_storage
from tests.support.api import make_settings
from tests.support.storage import storage_overrides

STORAGE_KINDS = ["local", "minio", "aws"]


@pytest.fixture(params=STORAGE_KINDS)
def storage_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage_settings(storage_kind: str, tmp_path, request) -> Settings:  # type: ignore[no-untyped-def]
    values = {"FAYNOSYNC_DATA_DIR": tmp_path / "data", "API_URL": "http://localhost:9000"}
    values |= storage_overrides(storage_kind, request)
    return make_settings(**values)


@pytest.fixture
async def storage(storage_settings: Settings) -> AsyncIterator[ObjectStorage]:
    async with contextlib.AsyncExitStack() as stack:
        yield await open_storage(storage_settings, stack, signing_key=b"k" * 32)
