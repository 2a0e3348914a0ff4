"""API levels (FAYNOSYNC_API_LEVEL): each answer that FaynoSync v2.1 changed, at 1.4.6 (as
v1.4.6) and at 2.1 (as v2.1.0), on both stores; docs/compatibility.md#api-levels."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from faynosync.core import gojson
from tests.support.api import admin_headers, create, create_app
from tests.support.checks import check, link, publish

LEVELS = ["1.4.6", "2.1"]


@pytest.fixture(params=LEVELS)
def level(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def leveled(client_factory, level) -> AsyncIterator[tuple[httpx.AsyncClient, dict]]:
    """A server at ``level`` with testapp's catalog (private app)."""
    async with client_factory(FAYNOSYNC_API_LEVEL=level) as client:
        headers = await admin_headers(client)
        await create_app(client, headers, "testapp", private="true")
        for kind, name in (
            ("channel", "nightly"),
            ("platform", "universalPlatform"),
            ("arch", "universalArch"),
        ):
            await create(client, headers, kind, name)
        yield client, headers


async def test_check_version_reads_dashes_as_dots_at_2_1(leveled, level):
    client, headers = leveled
    await publish(client, headers, "0.0.2", ("app.dmg", b"d"))
    response = await check(client, "0-0-2")
    if level == "1.4.6":
        # go-version reads 0-0-2 as 0 with the prerelease 0-2: older than 0.0.2.
        assert response.json()["update_available"] is True
    else:
        assert response.json() == {
            "critical": False,
            "possible_rollback": False,
            "update_available": False,
            "update_url_dmg": link("0.0.2", ".dmg"),
        }
    releases = await client.get(
        "/update/admin/testapp/nightly/universalPlatform/universalArch/0-0-2/RELEASES"
    )
    assert releases.status_code in (200, 204, 302)


async def test_check_version_leaves_out_blockmap_and_nupkg_links_at_2_1(leveled, level):
    client, headers = leveled
    files = (("app.dmg", b"d"), ("app.dmg.blockmap", b"b"), ("app.nupkg", b"n"))
    await publish(client, headers, "0.0.2", *files)
    body = (await check(client, "0.0.1")).json()
    expected = {
        "critical": False,
        "update_available": True,
        "update_url_dmg": link("0.0.2", ".dmg"),
    }
    if level == "1.4.6":
        expected["update_url_blockmap"] = link("0.0.2", ".blockmap")
        expected["update_url_nupkg"] = link("0.0.2", ".nupkg")
    assert (await check(client, "0.0.1")).text == gojson.dumps(expected)
    assert body == expected
