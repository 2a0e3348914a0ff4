"""FaynoSync and faynosync on one MongoDB database at once (a migration).

Versions FaynoSync writes while faynosync runs lack faynosync's ordering field; every route
answers for them exactly as if faynosync had written them. The response cache is off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from faynosync.core import gojson
from faynosync.store.models import Kind
from faynosync.store.mongo import ORDER_FIELD, order_document
from tests.support.api import admin_headers, assert_body, assert_error, create, create_app, upload
from tests.support.checks import (
    INTERMEDIATE_ANSWERS,
    INTERMEDIATES,
    SECOND,
    check,
    latest,
    link,
    publish,
    second,
    set_up_tenant,
    urls,
)

WHEN = datetime(2024, 8, 3, 11, 46, 42, 361000, tzinfo=UTC)
pytestmark = pytest.mark.mongo

UNORDERABLE = (
    "(ConversionFailure) Failed to parse number '' in $convert with no onError value: No digits"
)


@pytest.fixture
def backend():
    return "mongo"


@pytest.fixture
async def faynosync(mongodb_url):
    """FaynoSync's own connection to the database faynosync serves."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield client.get_default_database()
    await client.close()


@pytest.fixture
async def tenant(client):
    return await set_up_tenant(client)


async def write_as_faynosync(
    db,
    app,
    version: str,
    links: dict[str, str],
    *,
    app_name: str = "testapp",
    platform: str = "universalPlatform",
    arch: str = "universalArch",
    published: bool = True,
    critical: bool = False,
    intermediate: bool = False,
    changelog: str = "",
) -> dict[str, object]:
    """Insert a version document as FaynoSync v1.4.6 writes it (spec 4.1): links by
    extension, the nightly channel, the admin's tenant; no ``faynosync_order``."""
    meta = app.state.store.meta
    ids = {}
    for kind, name in (
        (Kind.APP, app_name),
        (Kind.CHANNEL, "nightly"),
        (Kind.PLATFORM, platform),
        (Kind.ARCH, arch),
    ):
        found = await meta.get_by_name(kind, name, "admin")
        ids[kind] = ObjectId(found.id)
    doc = {
        "_id": ObjectId(),
        "app_id": ids[Kind.APP],
        "version": version,
        "channel_id": ids[Kind.CHANNEL],
        "published": published,
        "critical": critical,
        "required_intermediate": intermediate,
        "artifacts": [
            {
                "link": url,
                "platform": ids[Kind.PLATFORM],
                "arch": ids[Kind.ARCH],
                "package": package,
                "signature": "",
            }
            for package, url in links.items()
        ],
        "changelog": [{"version": version, "changes": changelog, "date": "2024-08-03"}],
        "updated_at": WHEN,
        "owner": "admin",
    }
    await db["apps"].insert_one(dict(doc))
    return doc


def files_of(version: str) -> dict[str, str]:
    """The links of the tenant's usual three files of a version (spec 6.1)."""
    return {ext: link(version, ext) for ext in ("", ".dmg", ".pkg")}


async def test_check_version_offers_it_at_once(app, client, tenant, faynosync):
    assert (await check(client, "0.0.1.137")).json()["update_available"] is True
    written = await write_as_faynosync(
        faynosync, app, "0.0.3.137", files_of("0.0.3.137"), changelog="### Three"
    )
    response = await check(client, "0.0.2.137")
    assert_body(
        response,
        200,
        gojson.dumps(
            {
                "changelog": "### Three\n",
                "critical": False,
                "update_available": True,
                **urls("0.0.3.137"),
            }
        ),
    )
    response = await check(client, "0.0.3.137")
    assert_body(
        response,
        200,
        gojson.dumps(
            {
                "critical": False,
                "possible_rollback": False,
                "update_available": False,
                **urls("0.0.3.137"),
            }
        ),
    )
    # The document got the ordering field, and nothing else changed.
    stored = await faynosync["apps"].find_one({"_id": written["_id"]})
    assert list(stored) == [*written, ORDER_FIELD]
    assert stored == {**written, ORDER_FIELD: order_document("0.0.3.137")}


async def test_a_lower_version_faynosync_writes_stays_below(app, client, tenant, faynosync):
    await write_as_faynosync(faynosync, app, "0.0.1.500", files_of("0.0.1.500"))
    response = await check(client, "0.0.1.137")
    assert response.json()["update_url"] == link("0.0.2.137")


async def test_faynosyncs_edits_keep_the_ordering(app, client, tenant, faynosync):
    """FaynoSync's /apps/update ``$set``s flags, artifacts and changelog, never the version."""
    await faynosync["apps"].update_one(
        {"version": "0.0.2.137"}, {"$set": {"published": False, "updated_at": WHEN}}
    )
    response = await check(client, "0.0.0.1")
    assert response.json()["update_url"] == link("0.0.1.137")


async def test_apps_latest_serves_it(app, client, tenant, faynosync):
    await write_as_faynosync(faynosync, app, "0.0.3.137", files_of("0.0.3.137"))
    response = await latest(client, platform="universalPlatform", arch="universalArch")
    assert_body(
        response,
        200,
        gojson.dumps(
            {
                "nightly": {
                    "universalPlatform": {
                        "universalArch": {
                            "dmg": {"url": link("0.0.3.137", ".dmg")},
                            "no-extension": {"url": link("0.0.3.137")},
                            "pkg": {"url": link("0.0.3.137", ".pkg")},
                        }
                    }
                }
            }
        ),
    )
    response = await latest(client, package="dmg")
    assert (response.status_code, response.headers["location"]) == (302, link("0.0.3.137", ".dmg"))


async def test_the_releases_route_serves_it(app, client, faynosync):
    headers = await admin_headers(client)
    await create_app(client, headers, "updaters")
    await create(client, headers, "channel", "nightly")
    await create(client, headers, "arch", "universalArch")
    windows = [{"type": "squirrel_windows", "default": True}]
    await create(client, headers, "platform", "windows", updaters=windows)
    data = {
        "app_name": "updaters",
        "version": "0.0.1.137",
        "channel": "nightly",
        "platform": "windows",
        "arch": "universalArch",
        "publish": True,
        "updater": "squirrel_windows",
    }
    files = (("RELEASES", b"r"), ("app-full.nupkg", b"n"))
    assert (await upload(client, headers, data, *files)).status_code == 200
    key = "squirrel_windows/updaters-admin/0.0.2.137/nightly/windows/universalArch/{}"
    releases = app.state.storage.public_link(key.format("RELEASES"))
    nupkg = app.state.storage.public_link(key.format("app-full.nupkg"))
    await write_as_faynosync(
        faynosync,
        app,
        "0.0.2.137",
        {"": releases, ".nupkg": nupkg},
        app_name="updaters",
        platform="windows",
    )
    response = await client.get(
        "/update/admin/updaters/nightly/windows/universalArch/0.0.1.137/RELEASES",
        params={"id": "App", "localVersion": "0.0.1.137", "arch": "amd64"},
    )
    assert (response.status_code, response.headers["location"]) == (302, releases)


async def test_search_orders_them_among_faynosyncs(app, client, tenant, faynosync):
    for version, published in (("0.0.10", False), ("0.0.1.500", True), ("0.0.2", True)):
        await write_as_faynosync(faynosync, app, version, files_of(version), published=published)
    order = ["0.0.10", "0.0.2.137", "0.0.2", "0.0.1.500", "0.0.1.137"]
    pages = []
    for page in ("1", "2", "3"):
        params = {"app_name": "testapp", "limit": "2", "page": page}
        response = await client.get("/search", params=params, headers=tenant)
        assert response.json()["total"] == 5
        pages += [item["Version"] for item in response.json()["items"]]
    assert pages == order
    params = {"app_name": "testapp", "published": "true"}
    response = await client.get("/search", params=params, headers=tenant)
    assert [item["Version"] for item in response.json()["items"]] == order[1:]


@pytest.mark.parametrize(("client_version", "expected"), INTERMEDIATE_ANSWERS)
async def test_required_intermediate_builds_faynosync_wrote(
    app, client, tenant, faynosync, client_version, expected
):
    """The spec's example with 0.0.7.137, 0.0.9.137 and 0.0.10.138 written by FaynoSync,
    newest first, so that their document ids run against their versions."""
    await create(client, tenant, "platform", "secondPlatform")
    await create(client, tenant, "arch", "secondArch")
    flags = dict(INTERMEDIATES)
    for version in ("0.0.6.135", "0.0.8.136"):
        await publish(client, tenant, version, ("app.dmg", b"d"), **SECOND, **flags[version])
    for version in ("0.0.10.138", "0.0.9.137", "0.0.7.137"):
        await write_as_faynosync(
            faynosync,
            app,
            version,
            {".dmg": second(version)},
            platform=SECOND["platform"],
            arch=SECOND["arch"],
            critical=flags[version].get("critical", False),
            intermediate=flags[version].get("intermediate", False),
        )
    response = await check(client, client_version, **SECOND)
    assert_body(response, 200, gojson.dumps(expected))


@pytest.mark.parametrize(
    ("route", "status"), [("/checkVersion", 400), ("/search", 500), ("/apps/latest", 500)]
)
async def test_an_unorderable_version_faynosync_wrote(
    app, client, tenant, faynosync, route, status
):
    """As the existing unorderable versions: the original's query fails on it."""
    await write_as_faynosync(faynosync, app, "1..2", {".dmg": link("1..2", ".dmg")})
    params = {
        "app_name": "testapp",
        "version": "0.0.1",
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        "owner": "admin",
    }
    response = await client.get(route, params=params, headers=tenant)
    assert_error(response, status, UNORDERABLE)
    # Recorded as faynosync records it, the answer stays.
    assert_error(await client.get(route, params=params, headers=tenant), status, UNORDERABLE)
