"""Velopack feeds from the documents (docs/behaviour.md#velopack): the ``velopack`` block an
upload gives its packages, the releases of one channel, platform and arch, and the feed files
written to storage after every change of them.

What the versions domain offers the others (and calls after its writes); the rules of the feed
itself are :mod:`faynosync.updaters.velopack`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from faynosync import objects
from faynosync.errors import APIError
from faynosync.objects import ObjectRef
from faynosync.storage import ObjectStorage
from faynosync.storage.staging import StagedFile
from faynosync.store import Store, StoreError
from faynosync.store.models import Artifact, Kind, Meta, Version, VersionFilter
from faynosync.updaters import velopack
from faynosync.updaters.velopack import Block, Release

log = logging.getLogger(__name__)

UPDATER = "velopack"
FIELD = "velopack"
PAGE = 200


@dataclass(frozen=True)
class FeedScope:
    """One feed: a channel, platform and arch of an app (ids)."""

    channel_id: str
    platform_id: str
    arch_id: str


def block_of(artifact: Artifact) -> Block | None:
    return Block.of(artifact.extra.get(FIELD))


# --- uploads --------------------------------------------------------------------------------------


def _read_head(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit)


async def uploaded_blocks(updater: str, files: list[StagedFile]) -> dict[str, Block]:
    """The blocks the upload's ``releases.{channel}.json`` gives its packages, by file name;
    a 400 when the feed cannot be read (only for the updater ``velopack`` itself)."""
    if updater != UPDATER:
        return {}
    feed = next((f for f in files if velopack.is_feed_name(f.filename)), None)
    if feed is None:
        return {}
    if feed.size > velopack.MAX_FEED_BYTES:
        raise APIError(400, velopack.too_large())
    raw = await asyncio.to_thread(_read_head, feed.path, velopack.MAX_FEED_BYTES + 1)
    return velopack.parse_feed(raw)


def mark(artifacts: list[Artifact], files: list[StagedFile], blocks: dict[str, Block]) -> None:
    """Give each package of the feed its block (matched by the exact uploaded file name)."""
    for artifact, upload in zip(artifacts, files, strict=True):
        block = blocks.get(upload.filename)
        if block is not None:
            artifact.extra[FIELD] = block.document()


def carry_blocks(kept: list[Artifact], sent: list[Artifact]) -> None:
    """A package sent again to a version keeps its artifact, with the block the new feed
    gives it."""
    for artifact in sent:
        block = artifact.extra.get(FIELD)
        if block is None:
            continue
        slot = (artifact.link, artifact.platform, artifact.arch, artifact.package)
        for held in kept:
            if (held.link, held.platform, held.arch, held.package) == slot:
                held.extra[FIELD] = block


def keys_of_admin(updater: str) -> bool:
    """Velopack's keys name the admin, also for a team user's edit (no v1.4.6 quirk to keep)."""
    return updater == UPDATER


def repeatable(updater: str) -> frozenset[str]:
    """The extensions a Velopack upload may hold several of (full and delta packages)."""
    return velopack.REPEATABLE_PACKAGES if updater == UPDATER else frozenset()


def is_shared(updater: str, filename: str) -> bool:
    """The feed a Velopack upload carries is stored at one key for every version of its
    channel, platform and arch (the key its built feed is written to)."""
    return updater == UPDATER and velopack.is_feed_name(filename)


async def copy_installers(
    store: Store, storage: ObjectStorage, updater: str, planned: list[tuple[ObjectRef, StagedFile]]
) -> None:
    """After a Velopack upload: each installer also copied to ``…/{its name}``, the latest
    installer's stable key."""
    if updater != UPDATER:
        return
    for ref, upload in planned:
        if not velopack.is_installer(upload.filename):
            continue
        key = velopack.latest_installer_key(ref.key, upload.filename)
        if key is not None:
            await objects.copy_generated(store, storage, ref.key, key, private=ref.private)


# --- the releases of one feed ---------------------------------------------------------------------


async def _versions(store: Store, query: VersionFilter) -> list[Version]:
    found: list[Version] = []
    skip = 0
    while True:
        page, _ = await store.versions.search(query, skip=skip, limit=PAGE)
        found += page
        if len(page) < PAGE:
            return found
        skip += PAGE


def _notes(version: Version) -> str:
    return next((e.changes for e in version.changelog if e.version == version.version), "")


async def releases(store: Store, app: Meta, scope: FeedScope) -> list[Release]:
    """Every version of the app in the feed's channel with a package for its platform and arch
    (published or not: a delta over an unpublished version is left out). Raises
    :class:`StoreError` when the versions cannot be read."""
    query = VersionFilter(
        owner=app.owner,
        app_id=app.id,
        channel_id=scope.channel_id,
        platform_id=scope.platform_id,
        arch_id=scope.arch_id,
    )
    found = []
    for version in await _versions(store, query):
        release = Release(
            version=version.version,
            published=version.published,
            notes=_notes(version),
            required_intermediate=version.required_intermediate,
        )
        for artifact in version.artifacts:
            block = block_of(artifact)
            if (artifact.platform, artifact.arch) == (scope.platform_id, scope.arch_id) and block:
                release.add(block)
        found.append(release)
    return found


def has_packages(release: Release) -> bool:
    return release.full is not None or release.delta is not None


async def feed_body(store: Store, app: Meta, scope: FeedScope, local_version: str = "") -> bytes:
    """The feed of one channel, platform and arch; with ``local_version``, none above the
    version the client must install first."""
    found = await releases(store, app, scope)
    if local_version and any(r.published for r in found):
        found = velopack.capped(found, velopack.required_step(found, local_version))
    return velopack.build([r for r in found if has_packages(r)], app.name)


# --- the feed files -------------------------------------------------------------------------------


def scopes_of(version: Version, artifacts: Iterable[Artifact] | None = None) -> set[FeedScope]:
    """The feeds the version's packages (or ``artifacts`` of it) are in."""
    return {
        FeedScope(version.channel_id, a.platform, a.arch)
        for a in (version.artifacts if artifacts is None else artifacts)
        if block_of(a) is not None
    }


async def _names(store: Store, scope: FeedScope) -> tuple[str, str, str] | None:
    found = []
    for kind, meta_id in (
        (Kind.CHANNEL, scope.channel_id),
        (Kind.PLATFORM, scope.platform_id),
        (Kind.ARCH, scope.arch_id),
    ):
        meta = await store.meta.get(kind, meta_id) if meta_id else None
        if meta is None:
            return None  # deleted meanwhile: no key names it any more
        found.append(meta.name)
    return found[0], found[1], found[2]


async def refresh(
    store: Store, storage: ObjectStorage, *, app_id: str, scopes: Iterable[FeedScope]
) -> None:
    """Write the feed file of each scope again from the documents, an empty feed where no
    release is left (so clients drop what was deleted). At the key the uploads store their
    feed under, in the app's bucket. Failures are logged: the request that changed the
    versions has succeeded all the same."""
    wanted = set(scopes)
    if not wanted:
        return
    try:
        app = await store.meta.get(Kind.APP, app_id)
        if app is None:
            return
        for scope in sorted(wanted, key=lambda s: (s.channel_id, s.platform_id, s.arch_id)):
            names = await _names(store, scope)
            if names is None:
                continue
            channel, platform, arch = names
            key = velopack.feed_key(
                app=app.name, owner=app.owner, channel=channel, platform=platform, arch=arch
            )

            async def build(scope: FeedScope = scope, app: Meta = app) -> bytes:
                return await feed_body(store, app, scope)

            await objects.write_generated(
                store,
                storage,
                key,
                build,
                private=app.private,
                content_type=velopack.CONTENT_TYPE,
            )
    except StoreError:
        log.warning("velopack feeds of app %s not refreshed", app_id, exc_info=True)
