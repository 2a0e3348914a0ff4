"""The store protocol, the same tests on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from faynosync.core.ids import new_id
from faynosync.store import DuplicateKey
from faynosync.store.models import (
    AppPermissions,
    Kind,
    Meta,
    Permissions,
    ResourcePermissions,
    TeamUser,
)
from tests.support.factories import WHEN, admin


async def test_admins_round_trip(store):
    first = admin()
    await store.admins.insert(first)
    assert await store.admins.get_by_username("admin") == first
    assert await store.admins.get_by_id_and_username(first.id, "admin") == first
    assert await store.admins.get_by_id_and_username(first.id, "other") is None
    assert await store.admins.get_by_username("Admin") is None  # case-sensitive, as in MongoDB


async def test_admin_usernames_are_unique(store):
    await store.admins.insert(admin())
    with pytest.raises(DuplicateKey):
        await store.admins.insert(admin())
    await store.admins.insert(admin("second"))


async def test_update_password(store):
    first = admin()
    await store.admins.insert(first)
    later = datetime(2025, 1, 1, tzinfo=UTC)
    assert await store.admins.update_password(first.id, password=None, updated_at=later)
    got = await store.admins.get_by_username("admin")
    assert (got.password, got.updated_at) == ("$2a$10$hash", later)
    assert await store.admins.update_password(first.id, password="$2a$new", updated_at=WHEN)
    assert (await store.admins.get_by_username("admin")).password == "$2a$new"
    assert not await store.admins.update_password(new_id(), password="x", updated_at=WHEN)


async def test_team_users_round_trip(store):
    permissions = Permissions(
        apps=AppPermissions(create=True, upload=True, allowed=["a" * 24]),
        channels=ResourcePermissions(edit=True),
    )
    user = TeamUser(
        id=new_id(),
        username="tu",
        password="$2a$10$x",
        owner="admin",
        permissions=permissions,
        updated_at=WHEN,
    )
    await store.team_users.insert(user)
    assert await store.team_users.get_by_username("tu") == user
    assert await store.team_users.get_by_username("admin") is None
    with pytest.raises(DuplicateKey):
        await store.team_users.insert(user)


async def test_migrate_is_idempotent(store):
    await store.admins.insert(admin())
    await store.migrate()
    await store.migrate()
    assert await store.admins.get_by_username("admin") is not None
    await store.ping()


def test_permissions_document_shape():
    doc = Permissions(apps=AppPermissions(create=True, allowed=["x", "x", ""])).to_document()
    assert list(doc) == ["apps", "channels", "platforms", "archs"]
    assert doc["apps"] == {
        "create": True,
        "delete": False,
        "edit": False,
        "download": False,
        "upload": False,
        "allowed": ["x", "x", ""],
    }
    assert doc["channels"] == {"create": False, "delete": False, "edit": False}
    assert Permissions.from_document(doc).apps.allowed == ["x", "x", ""]
    assert Permissions.from_document(None) == Permissions()


async def test_every_document_of_a_kind_of_every_owner_in_pages(store, monkeypatch):
    monkeypatch.setattr("faynosync.store.sqlite.connection.PAGE", 2)
    monkeypatch.setattr("faynosync.store.mongo.connection.BATCH", 2)
    owners: list[tuple[str, dict[str, Any]]] = [
        ("admin", {}),
        ("admin", {"logo": "http://localhost:9000/objects/public/app1-admin/l.png"}),
        ("other", {"private": True}),
        ("other", {}),
        ("third", {}),
    ]
    apps = [
        Meta(id=new_id(), kind=Kind.APP, name=f"app{n}", owner=owner, updated_at=WHEN, **extra)
        for n, (owner, extra) in enumerate(owners)
    ]
    channel = Meta(id=new_id(), kind=Kind.CHANNEL, name="nightly", owner="admin", updated_at=WHEN)
    for meta in [*apps, channel]:
        await store.meta.insert(meta)
    found = [meta async for meta in store.meta.every(Kind.APP)]
    assert sorted(found, key=lambda m: m.name) == apps
    assert [meta async for meta in store.meta.every(Kind.CHANNEL)] == [channel]
    assert [meta async for meta in store.meta.every(Kind.ARCH)] == []


async def test_the_change_counter_counts_every_bump(store):
    assert await store.changes.count() == 0
    assert await store.changes.bump() == 1
    results = await asyncio.gather(*(store.changes.bump() for _ in range(20)))
    assert sorted(results) == list(range(2, 22))
    assert await store.changes.count() == 21


async def test_documents_of_several_kinds_by_name_in_one_query(store):
    metas = [
        Meta(id=new_id(), kind=kind, name=name, owner=owner, updated_at=WHEN)
        for kind, name, owner in [
            (Kind.APP, "demo", "admin"),
            (Kind.CHANNEL, "nightly", "admin"),
            (Kind.PLATFORM, "demo", "admin"),  # a platform named as the app
            (Kind.ARCH, "x64", "other"),  # another tenant's
        ]
    ]
    for meta in metas:
        await store.meta.insert(meta)
    found = await store.meta.get_by_names(
        "admin",
        {Kind.APP: "demo", Kind.CHANNEL: "nightly", Kind.PLATFORM: "demo", Kind.ARCH: "x64"},
    )
    one_by_one = {m.kind: await store.meta.get_by_name(m.kind, m.name, "admin") for m in metas[:3]}
    assert found == one_by_one
    assert [found[m.kind].id for m in metas[:3]] == [m.id for m in metas[:3]]
    assert await store.meta.get_by_names("admin", {}) == {}
    assert await store.meta.get_by_names("admin", {Kind.CHANNEL: "demo"}) == {}


def _app(name: str, owner: str = "admin") -> Meta:
    return Meta(id=new_id(), kind=Kind.APP, name=name, owner=owner, updated_at=WHEN)


async def test_reads_in_a_snapshot_see_one_state(store):
    """SQLite: the block's reads see the state at its first read (a write committed meanwhile
    is seen after the block); blocks nest and overlap; a block left by an exception ends its
    transaction. MongoDB makes the block's reads as outside one."""
    first = _app("demo")
    await store.meta.insert(first)
    later = _app("later")
    with store.snapshot():
        assert await store.meta.get_by_name(Kind.APP, "demo", "admin") == first
        await store.meta.insert(later)  # committed by the writer, outside the block's view
        within = await store.meta.get_by_name(Kind.APP, "later", "admin")
        with store.snapshot():
            assert await store.meta.get_by_name(Kind.APP, "later", "admin") == within
    assert within == (None if store.name == "SQLite" else later)
    assert await store.meta.get_by_name(Kind.APP, "later", "admin") == later
    with pytest.raises(LookupError), store.snapshot():
        assert await store.meta.get_by_name(Kind.APP, "demo", "admin") == first
        raise LookupError
    third = _app("third")
    await store.meta.insert(third)
    assert await store.meta.get_by_name(Kind.APP, "third", "admin") == third


async def test_overlapping_snapshots_end_with_the_last(store):
    """Two requests' blocks that overlap (the first ends before the second) share one read
    transaction, and neither fails; reads after both see every write."""
    entered, first_done = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        with store.snapshot():
            await store.meta.get_by_name(Kind.APP, "demo", "admin")
            entered.set()
            await asyncio.sleep(0)
        first_done.set()

    async def second() -> None:
        await entered.wait()
        with store.snapshot():
            await store.meta.get_by_name(Kind.APP, "demo", "admin")
            await first_done.wait()
            await store.meta.get_by_name(Kind.APP, "demo", "admin")

    await asyncio.gather(first(), second())
    app = _app("after")
    await store.meta.insert(app)
    assert await store.meta.get_by_name(Kind.APP, "after", "admin") == app
