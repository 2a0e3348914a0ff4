"""The versions repository on both backends: CRUD, the database ordering, search filters."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from faynosync.core.ids import ZERO_ID, new_id
from faynosync.core.versioning import OrderingError, order_key, step_key
from faynosync.store import DuplicateKey, StoreError
from faynosync.store.models import (
    Artifact,
    ChangelogEntry,
    Kind,
    Meta,
    PublishedTarget,
    StepFound,
    Version,
    VersionFilter,
)
from faynosync.telemetry.allowlist import build

WHEN = datetime(2024, 8, 3, 11, 46, 42, 361000, tzinfo=UTC)
APP = new_id()
P1, P2, A1, A2, CH = (new_id() for _ in range(5))


def version(
    v: str,
    *,
    app_id=APP,
    owner="admin",
    channel=ZERO_ID,
    published=True,
    critical=False,
    artifacts=None,
) -> Version:
    return Version(
        id=new_id(),
        app_id=app_id,
        version=v,
        channel_id=channel,
        published=published,
        critical=critical,
        required_intermediate=False,
        artifacts=artifacts
        if artifacts is not None
        else [Artifact(link=f"link-{v}", platform=P1, arch=A1, package=".dmg", signature="s")],
        changelog=[ChangelogEntry(version=v, changes="### Changelog", date="2024-08-03")],
        updated_at=WHEN,
        owner=owner,
    )


async def test_artifacts_keep_the_fields_of_later_servers(store):
    """An artifact's fields beyond v1.4.6's (v2.1's ``sparkle`` block...) are kept through
    inserts, appends, saves and every way of reading, on both backends."""
    block = {"file_name": "A 1.zip", "kind": "full", "sparkle_version": "1", "raw_item": "<i/>"}
    first = version("1.0.0")
    first.artifacts[0].extra["sparkle"] = dict(block)
    await store.versions.insert(first)
    added = Artifact(link="l2", platform=P1, arch=A1, package=".delta")
    added.extra["sparkle"] = {"file_name": "d.delta", "kind": "delta"}
    assert await store.versions.append_artifacts(first.id, [added], WHEN)
    found = await store.versions.get(first.id)
    assert found is not None
    assert [a.extra for a in found.artifacts] == [
        {"sparkle": block},
        {"sparkle": {"file_name": "d.delta", "kind": "delta"}},
    ]
    found.artifacts[1].extra = {}
    await store.versions.save(found)
    latest = await store.versions.latest(VersionFilter(owner="admin", app_id=APP))
    assert latest is not None
    assert [a.extra for a in latest.artifacts] == [{"sparkle": block}, {}]
    (page,), _ = await store.versions.search(
        VersionFilter(owner="admin", app_id=APP), skip=0, limit=5
    )
    assert [a.extra for a in page.artifacts] == [{"sparkle": block}, {}]


async def test_insert_find_save_delete(store):
    first = version("1.2.3")
    await store.versions.insert(first)
    assert await store.versions.get(first.id) == first
    assert await store.versions.find(APP, "1.2.3", "admin") == first
    assert await store.versions.find(APP, "1.2.3", "other") is None
    first.artifacts.append(Artifact(link="l2", platform=ZERO_ID, arch=ZERO_ID, package=""))
    first.published, first.critical = False, True
    first.changelog[0] = dataclasses.replace(first.changelog[0], changes="new")
    await store.versions.save(first)
    assert await store.versions.get(first.id) == first
    assert await store.versions.with_private_link("l2") == first
    assert await store.versions.with_private_link("nope") is None
    assert await store.versions.delete(first.id)
    assert not await store.versions.delete(first.id)
    assert await store.versions.get(first.id) is None


async def test_one_document_per_app_version_and_owner(store):
    await store.versions.insert(version("1.0.0"))
    with pytest.raises(DuplicateKey):
        await store.versions.insert(version("1.0.0"))
    await store.versions.insert(version("1.0.0", owner="other"))
    await store.versions.insert(version("1.0.0", app_id=new_id()))


async def test_search_orders_by_the_first_four_numeric_parts(store):
    # Database ordering: numeric, a missing part below any number, parts past 4 ignored.
    order = ["10.0", "2.0.0.1", "2.0.0.0", "2.0.0", "2.0", "1.10.0", "1.9.9", "01.2"]
    for v in ["1.9.9", "2.0", "1.10.0", "2.0.0.1", "10.0", "2.0.0", "01.2", "2.0.0.0"]:
        await store.versions.insert(version(v))
    items, total = await store.versions.search(
        VersionFilter(owner="admin", app_id=APP), skip=0, limit=100
    )
    assert [i.version for i in items] == order
    assert total == 8
    page, total = await store.versions.search(
        VersionFilter(owner="admin", app_id=APP), skip=3, limit=2
    )
    assert [i.version for i in page] == order[3:5]
    assert total == 8
    page, _ = await store.versions.search(
        VersionFilter(owner="admin", app_id=APP), skip=100, limit=9
    )
    assert page == []


async def test_search_filters(store):
    a = version("1.0.0", published=False)
    b = version("2.0.0", critical=True, channel=CH)
    c = version(
        "3.0.0",
        artifacts=[
            Artifact(link="x", platform=P1, arch=A2, package=".exe"),
            Artifact(link="y", platform=P2, arch=A1, package=".exe"),
        ],
    )
    d = version("4.0.0", app_id=new_id())
    for v in (a, b, c, d):
        await store.versions.insert(v)

    async def found(**filters) -> list[str]:
        items, total = await store.versions.search(
            VersionFilter(owner="admin", app_id=APP, **filters), skip=0, limit=10
        )
        assert total == len(items)
        return [i.version for i in items]

    assert await found() == ["3.0.0", "2.0.0", "1.0.0"]
    assert await found(published=False) == ["1.0.0"]
    assert await found(published=True, critical=True) == ["2.0.0"]
    assert await found(channel_id=CH) == ["2.0.0"]
    assert await found(platform_id=P1) == ["3.0.0", "2.0.0", "1.0.0"]
    assert await found(platform_id=P2) == ["3.0.0"]
    # Platform and arch must be on the same artifact.
    assert await found(platform_id=P2, arch_id=A2) == []
    assert await found(platform_id=P1, arch_id=A2) == ["3.0.0"]
    assert await found(arch_id=A2) == ["3.0.0"]
    items, _ = await store.versions.search(VersionFilter(owner="admin"), skip=0, limit=10)
    assert [i.version for i in items] == ["4.0.0", "3.0.0", "2.0.0", "1.0.0"]


CONVERT = "(ConversionFailure) Failed to parse number '{}' in $convert with no onError value: {}"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("1..2", CONVERT.format("", "No digits")),
        ("1.2147483648", CONVERT.format("2147483648", "Overflow")),
    ],
)
async def test_an_unorderable_version_fails_the_search(store, bad, message):
    await store.versions.insert(version("1.0.0"))
    await store.versions.insert(version(bad))
    with pytest.raises(StoreError) as error:
        await store.versions.search(VersionFilter(owner="admin", app_id=APP), skip=0, limit=10)
    assert str(error.value) == message
    with pytest.raises(StoreError):
        await store.versions.latest(VersionFilter(owner="admin", app_id=APP))
    # Not when it is not among the matched versions.
    items, _ = await store.versions.search(
        VersionFilter(owner="admin", app_id=APP, critical=True), skip=0, limit=10
    )
    assert items == []


def test_order_keys():
    assert order_key("1.2.3") == (1, 2, 3, None)
    assert order_key("1.2.3.4.5") == (1, 2, 3, 4)
    assert order_key("007") == (7, None, None, None)
    assert order_key("2147483647") == (2147483647, None, None, None)
    for bad in ("", "1.", ".1", "1..2", "2147483648", "1.x"):
        with pytest.raises(OrderingError):
            order_key(bad)
    assert order_key("1.2.3.4.") == (1, 2, 3, 4)  # the empty fifth part is never converted


async def test_latest_and_steps(store):
    for v, flags in [("1.0", {}), ("3.0", {"published": False}), ("2.0", {"critical": True})]:
        await store.versions.insert(version(v, **flags))
    query = VersionFilter(owner="admin", app_id=APP, published=True)
    assert (await store.versions.latest(query)).version == "2.0"
    query.platform_id = P2
    assert await store.versions.latest(query) is None
    made = {}
    for v in ("1.5", "1.5.0", "1.10", "1.9.1", "2.0.0.1", "1.2.", "0.9"):
        step = version(v)
        step.required_intermediate = True
        await store.versions.insert(step)
        made[step.id] = v
    intermediates = VersionFilter(owner="admin", app_id=APP, required_intermediate=True)

    async def unkeyed(skip=0, limit=50) -> list[str]:
        found = await store.versions.unkeyed_steps(intermediates, skip=skip, limit=limit)
        assert all(made[i] == v for i, v in found)
        return [v for _, v in found]

    async def lowest(above: str, up_to: str, inclusive=False) -> str | None:
        found = await store.versions.lowest_step(
            intermediates, above=step_key(above), inclusive=inclusive, up_to=step_key(up_to)
        )
        assert found.unkeyed  # "1.2." has no key
        return found.version.version if found.version else None

    # Those without a key in the order they were stored; the others by go-version's order
    # within the range, the first stored among equals ("1.5" before "1.5.0").
    assert await unkeyed() == ["1.2."]
    assert await unkeyed(skip=1) == []
    assert await lowest("1.5", "2.0") == "1.9.1"
    assert await lowest("1.5", "2.0", inclusive=True) == "1.5"
    assert await lowest("0", "9") == "0.9"
    assert await lowest("1.9.1", "1.10") == "1.10"
    assert await lowest("1.10", "2.0") is None
    assert await lowest("2", "2.0.0.1") == "2.0.0.1"
    elsewhere = VersionFilter(owner="admin", app_id=new_id(), required_intermediate=True)
    nothing = await store.versions.lowest_step(
        elsewhere, above=step_key("0"), inclusive=False, up_to=step_key("9")
    )
    assert nothing == StepFound(None, unkeyed=False)
    prerelease = version("1.7.0-beta")
    prerelease.required_intermediate = True
    await store.versions.insert(prerelease)
    made[prerelease.id] = "1.7.0-beta"
    assert await unkeyed() == ["1.2.", "1.7.0-beta"]
    assert await unkeyed(skip=1, limit=1) == ["1.7.0-beta"]


async def test_every_artifact_link_of_every_owner_in_pages(store, monkeypatch):
    """Read in several round trips (pages of 2 here), nothing missed, nothing twice."""
    monkeypatch.setattr("faynosync.store.sqlite.connection.PAGE", 2)
    monkeypatch.setattr("faynosync.store.mongo.connection.BATCH", 2)
    other_app = new_id()
    versions = [
        version("1.0.0", artifacts=[]),
        version("1.1.0"),
        version("2.0.0", app_id=other_app, owner="other"),
        version(
            "2.1.0",
            artifacts=[
                Artifact(link=f"link-2.1.0-{n}", platform=P1, arch=A1, package=f".{n}")
                for n in range(3)
            ],
        ),
    ]
    for v in versions:
        await store.versions.insert(v)
    found = [link async for link in store.versions.artifact_links()]
    assert sorted((f.link, f.version_id, f.app_id, f.owner) for f in found) == sorted(
        (a.link, v.id, v.app_id, v.owner) for v in versions for a in v.artifacts
    )
    assert len(found) == 5


async def test_artifact_fields_of_v2_1_are_kept_in_order(store):
    """The ``velopack`` block (and any other field v2.1 adds) comes back as written, in
    order, through insert, append, save and every read."""
    block = {"type": "Full", "file_name": "a-full.nupkg", "sha1": "x", "sha256": "y", "size": 5}
    first = version("1.0.0")
    first.artifacts[0].extra["velopack"] = dict(block)
    await store.versions.insert(first)
    found = await store.versions.get(first.id)
    assert found.artifacts[0].extra == {"velopack": block}
    assert list(found.artifacts[0].extra["velopack"]) == list(block)
    delta = Artifact(link="d", platform=P1, arch=A1, package=".nupkg", extra={"velopack": block})
    assert await store.versions.append_artifacts(first.id, [delta], WHEN)
    found = await store.versions.find(APP, "1.0.0", "admin")
    assert [a.extra for a in found.artifacts] == [{"velopack": block}, {"velopack": block}]
    found.artifacts[0].extra = {}
    await store.versions.save(found)
    latest = await store.versions.latest(VersionFilter(owner="admin", app_id=APP))
    assert [a.extra for a in latest.artifacts] == [{}, {"velopack": block}]


async def test_repeatable_extensions_are_appended_again(store):
    first = version("1.0.0", artifacts=[Artifact(link="f", platform=P1, arch=A1, package=".nupkg")])
    await store.versions.insert(first)
    again = [Artifact(link="g", platform=P1, arch=A1, package=".nupkg")]
    assert not await store.versions.append_artifacts(first.id, again, WHEN)
    assert await store.versions.append_artifacts(first.id, again, WHEN, frozenset({".nupkg"}))
    other = [Artifact(link="h", platform=P1, arch=A1, package=".dmg")]
    assert await store.versions.append_artifacts(first.id, other, WHEN, frozenset({".nupkg"}))
    assert not await store.versions.append_artifacts(first.id, other, WHEN, frozenset({".x"}))
    found = await store.versions.get(first.id)
    assert [a.link for a in found.artifacts] == ["f", "g", "h"]


async def seed_targets(store) -> dict[Kind, str]:
    """An app with published and other versions: what the allow-list is built from."""
    names = {}
    for kind, name in (
        (Kind.APP, "demo"),
        (Kind.CHANNEL, "nightly"),
        (Kind.PLATFORM, "mac"),
        (Kind.ARCH, "arm64"),
    ):
        meta = Meta(id=new_id(), kind=kind, name=name, owner="admin", updated_at=WHEN)
        await store.meta.insert(meta)
        names[kind] = meta.id
    app, channel = names[Kind.APP], names[Kind.CHANNEL]
    platform, arch = names[Kind.PLATFORM], names[Kind.ARCH]
    both = [
        Artifact(link="l1", platform=platform, arch=arch, package=".dmg"),
        Artifact(link="l2", platform=platform, arch=arch, package=".zip"),
        Artifact(link="l3", platform=P2, arch=arch, package=".zip"),
    ]
    for v in (
        version("1.0.0", app_id=app, channel=channel, artifacts=both),
        version("1.1.0", app_id=app, channel=channel, artifacts=both[:1]),
        version("0.9.0", app_id=app, channel=ZERO_ID, artifacts=both[:1]),  # no channel
        version("2.0.0", app_id=app, channel=channel, published=False),
        version("3.0.0", app_id=app, channel=channel, artifacts=[]),
    ):
        await store.versions.insert(v)
    return names


async def test_published_targets_and_the_beacons_allow_list(store):
    """Every distinct (owner, app, channel, platform, arch) of a published artifact; the
    allow-list names them, dropping those whose documents are missing (no channel, a
    platform deleted behind the server's back)."""
    names = await seed_targets(store)
    app, channel = names[Kind.APP], names[Kind.CHANNEL]
    platform, arch = names[Kind.PLATFORM], names[Kind.ARCH]
    assert await store.versions.published_targets() == {
        PublishedTarget("admin", app, channel, platform, arch),
        PublishedTarget("admin", app, channel, P2, arch),
        PublishedTarget("admin", app, ZERO_ID, platform, arch),
    }
    assert await build(store) == {("admin", "demo", "nightly", "mac", "arm64")}
