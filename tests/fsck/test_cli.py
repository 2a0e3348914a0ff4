"""``faynosync fsck`` on the embedded default and on MongoDB + S3 (moto): lines, JSON, exit
status, removal past the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os

import pytest

from faynosync.cli import main
from faynosync.config import Settings
from faynosync.storage import open_storage
from faynosync.storage.staging import create_staged
from tests.support.api import running
from tests.support.factories import LOGO_KEY, PRIVATE_KEY, PUBLIC_KEY, tenants
from tests.support.storage import storage_overrides, stored_objects


def fsck(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(["fsck", *args])
    out, _ = capsys.readouterr()
    return int(exited.value.code or 0), out


def environ(monkeypatch, settings: Settings) -> None:
    """The settings as the environment the command reads them from."""
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if value != info.default:
            monkeypatch.setenv(name, str(value))


async def populate(settings: Settings) -> None:
    async with running(settings) as (_, client):
        await tenants(client)


async def put_orphan(settings: Settings) -> None:
    async with contextlib.AsyncExitStack() as stack:
        storage = await open_storage(settings, stack, signing_key=b"k")
        await storage.put("testapp-admin/stray.bin", io.BytesIO(b"stray"), private=True)


@pytest.mark.parametrize(("backend", "storage_kind"), [("sqlite", "local"), ("mongo", "minio")])
def test_fsck(backend, storage_kind, settings_factory, request, monkeypatch, capsys, tmp_path):
    settings = settings_factory(**storage_overrides(storage_kind, request))
    monkeypatch.chdir(tmp_path)
    environ(monkeypatch, settings)
    asyncio.run(populate(settings))

    assert fsck(capsys) == (0, "faynosync fsck: 3 objects, 3 links checked; clean\n")

    asyncio.run(put_orphan(settings))
    path, lock = create_staged(settings.FAYNOSYNC_DATA_DIR / "tmp")
    try:
        status, out = fsck(capsys)
    finally:
        os.close(lock)  # the request that staged it is over
    # Young: reported, not a problem yet; the staged file was in use: not even reported.
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("orphan private testapp-admin/stray.bin (5 bytes, ")
    assert lines[0].endswith(" old): young, kept")
    assert lines[1:] == ["faynosync fsck: 4 objects, 3 links checked; 1 orphan (1 young)"]

    status, out = fsck(capsys, "--grace", "0", "--json")
    assert status == 1
    report = json.loads(out)
    assert (report["clean"], report["objects"], report["links"]) == (False, 4, 3)
    found = [(f["problem"], f["where"], f["key"], f["young"]) for f in report["findings"]]
    assert found == [
        ("orphan", "private", "testapp-admin/stray.bin", False),
        ("partial-write", "staging", path.name, False),
    ]

    status, out = fsck(capsys, "--delete-orphans", "--grace", "0")
    assert status == 1
    assert out.splitlines()[-1] == (
        "faynosync fsck: 4 objects, 3 links checked; 1 orphan, 1 partial write; "
        "removed 1 orphan, 1 partial write"
    )
    assert stored_objects(settings) == {
        ("private", PRIVATE_KEY),
        ("public", PUBLIC_KEY),
        ("public", LOGO_KEY),
    }
    assert not path.exists()
    assert fsck(capsys, "--grace", "0") == (
        0,
        "faynosync fsck: 3 objects, 3 links checked; clean\n",
    )


def test_fsck_failures(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAYNOSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STORAGE_DRIVER", "gcp")
    with pytest.raises(SystemExit) as exited:
        main(["fsck"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == "faynosync: fsck failed: unknown storage driver: gcp\n"
    with pytest.raises(SystemExit) as exited:
        main(["fsck", "--grace", "-1"])
    assert exited.value.code == "faynosync: the grace period cannot be negative"
