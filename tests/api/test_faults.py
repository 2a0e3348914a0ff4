"""Faults below the API: a full disk. The answer is a clear error, nothing is left half-written
or staged, and reads go on."""

from __future__ import annotations

import pytest

from faynosync.core import disk
from faynosync.fsck.check import check
from tests.support.api import admin_headers, assert_error, running, upload
from tests.support.disk import fill, small_disk
from tests.support.factories import catalog, target

FULL = disk.MESSAGE


@pytest.fixture
async def on_a_small_disk(tmp_path, settings_factory):
    """The embedded store's data dir (or, on MongoDB, the staging and objects) on an 8 MiB disk."""
    with small_disk(tmp_path / "small", "8m") as root:
        settings = settings_factory(FAYNOSYNC_DATA_DIR=root / "data")
        async with running(settings) as (app, client):
            headers = await admin_headers(client)
            await catalog(client, headers)
            yield app, client, headers, root
            report = await check(
                app.state.store, app.state.storage, staging=root / "data" / "tmp", grace=0
            )
            assert report.clean, report.problems


def staged(root):
    return list((root / "data" / "tmp").iterdir())


async def test_an_upload_that_fills_the_disk(on_a_small_disk):
    app, client, headers, root = on_a_small_disk
    response = await upload(client, headers, target(), ("big.dmg", b"x" * 9 * 1024 * 1024))
    assert_error(response, 507, FULL)
    assert staged(root) == []
    assert (
        await app.state.store.versions.find(
            (await client.get("/app/list", headers=headers)).json()["apps"][0]["ID"],
            "0.0.1.137",
            "admin",
        )
        is None
    )
    # The space is free again: the next upload lands.
    response = await upload(client, headers, target(), ("small.dmg", b"x" * 1024))
    assert response.status_code == 200, response.text


async def test_writes_on_a_full_disk_answer_507_and_reads_go_on(on_a_small_disk, backend):
    _, client, headers, root = on_a_small_disk
    response = await upload(client, headers, target(publish=True), ("a.dmg", b"x" * 1024))
    assert response.status_code == 200, response.text
    ballast = fill(root)
    response = await upload(client, headers, target(version="2.0"), ("b.dmg", b"y" * 64 * 1024))
    assert_error(response, 507, FULL)
    assert staged(root) == []
    if backend == "sqlite":
        for _ in range(20):  # SQLite may find room in pages it has: fill them
            response = await client.post(
                "/channel/create", json={"channel": "x" * 4000}, headers=headers
            )
            if response.status_code != 200:
                break
        assert_error(response, 507, FULL)
    # Reads are served.
    assert (await client.get("/app/list", headers=headers)).status_code == 200
    response = await client.get(
        "/checkVersion",
        params={**{k: v for k, v in target(version="0.0.1").items()}, "owner": "admin"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["update_available"] is True
    # Deletes free space, and once it is free writes work again.
    ballast.unlink()
    response = await upload(client, headers, target(version="2.0"), ("b.dmg", b"y" * 1024))
    assert response.status_code == 200, response.text
