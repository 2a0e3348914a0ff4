"""A running server with two tenants' data, on each store backend and each storage kind."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from faynosync.core import gojson
from tests.api.versions_setup import catalog, target
from tests.support.api import admin_headers, create, running, upload
from tests.support.storage import storage_overrides

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
PRIVATE_KEY = "testapp-admin/nightly/universalPlatform/universalArch/testapp-0.0.1.137.dmg"
PUBLIC_KEY = "pubapp-other/nightly/universalPlatform/universalArch/pubapp-0.0.1.137.dmg"
LOGO_KEY = "pubapp-other/pubapp-logo.png"


async def tenants(client) -> None:
    """admin: a private app with a version; other: a public app with a logo and a version."""
    admin = await admin_headers(client)
    await catalog(client, admin, private=True)
    response = await upload(client, admin, target(), ("app.dmg", b"private build"))
    assert response.status_code == 200, response.text
    other = await admin_headers(client, "other")
    response = await client.post(
        "/app/create",
        files={
            "data": (None, gojson.dumps({"app": "pubapp"})),
            "file": ("logo.png", PNG, "image/png"),
        },
        headers=other,
    )
    assert response.status_code == 200, response.text
    for kind, name in (("channel", "nightly"), ("platform", "universalPlatform")):
        await create(client, other, kind, name)
    await create(client, other, "arch", "universalArch")
    response = await upload(client, other, target(app_name="pubapp"), ("pub.dmg", b"public"))
    assert response.status_code == 200, response.text


@pytest.fixture(params=["local", "minio"])
async def env(request, settings_factory):
    settings = settings_factory(**storage_overrides(request.param, request))
    async with running(settings) as (app, client):
        await tenants(client)
        yield SimpleNamespace(
            app=app,
            client=client,
            settings=settings,
            store=app.state.store,
            storage=app.state.storage,
            staging=app.state.staging,
            kind=request.param,
        )
