"""A running server with two tenants' data, on each store backend and each storage kind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.api import running
from tests.support.env import Env, SettingsFactory
from tests.support.factories import tenants
from tests.support.storage import storage_overrides


@pytest.fixture(params=["local", "minio"])
async def env(
    request: pytest.FixtureRequest, settings_factory: SettingsFactory
) -> AsyncIterator[Env]:
    settings = settings_factory(**storage_overrides(request.param, request))
    async with running(settings) as (app, client):
        await tenants(client)
        yield Env(app, client, settings, request.param)
