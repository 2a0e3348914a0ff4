"""The ``env`` of the versions tests: a tenant with a catalog, on local disk or S3 (moto)."""

from types import SimpleNamespace

import pytest

from tests.api.versions_setup import catalog
from tests.support.api import admin_headers, running
from tests.support.storage import storage_overrides


@pytest.fixture(params=["local", "minio"])
async def env(request, settings_factory):
    """App, client, settings and an admin's catalog, on local disk or S3 (moto)."""
    settings = settings_factory(**storage_overrides(request.param, request))
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        ids = await catalog(client, headers)
        yield SimpleNamespace(
            app=app,
            client=client,
            settings=settings,
            headers=headers,
            ids=ids,
            store=app.state.store,
            storage=app.state.storage,
            kind=request.param,
        )
