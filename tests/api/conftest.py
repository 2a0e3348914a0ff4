"""The ``env`` of the versions tests: a tenant with a catalog, on local disk or S3 (moto)."""

from collections.abc import AsyncIterator

import pytest

from tests.support.api import admin_headers, running
from tests.support.env import CatalogEnv, SettingsFactory
from tests.support.factories import catalog
from tests.support.storage import storage_overrides


@pytest.fixture(params=["local", "minio"])
async def env(
    request: pytest.FixtureRequest, settings_factory: SettingsFactory
) -> AsyncIterator[CatalogEnv]:
    """App, client, settings and an admin's catalog, on local disk or S3 (moto)."""
    settings = settings_factory(**storage_overrides(request.param, request))
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        ids = await catalog(client, headers)
        yield CatalogEnv(app, client, settings, request.param, headers, ids)
