"""Sparkle at API level 2.1 (docs/behaviour.md#sparkle-appcasts): an upload's appcast read and
its items kept on the artifacts, and the appcast of each channel, platform and arch of a
public app made again after every change of its versions.

The XML itself is :mod:`faynosync.updaters.appcast`'s; this module reads files and versions
and writes the made appcasts, under a claim on their key so that two changes never interleave
(the later one reads the store after the earlier one wrote). A failure to make an appcast is
logged and never changes the answer of the request that caused it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import Any

from faynosync import objects
from faynosync.catalog.kinds import ARCH, CHANNEL, PLATFORM
from faynosync.objects import ObjectRef
from faynosync.storage import ObjectStorage, delete_quietly
from faynosync.storage.links import Links
from faynosync.storage.staging import StagedFile
from faynosync.store import Store
from faynosync.store.models import Artifact, Kind, Meta, Version, VersionFilter
from faynosync.updaters import appcast

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/xml"
PAGE = 500

Feed = tuple[str, str, str]
"""A channel, platform and arch id."""


def key(*, owner: str, app: str, channel: str, platform: str, arch: str, filename: str) -> str:
    """v2.1's Sparkle layout: archives and deltas of every version in one folder per app,
    platform and arch; an uploaded appcast under the name of the appcast made there."""
    name = appcast.managed_name(channel) if appcast.is_appcast(filename) else filename
    return "/".join(["sparkle", owner, app, *[s for s in (platform, arch) if s], name])


def read_upload(updater: str, files: list[StagedFile]) -> dict[str, dict[str, str]] | None:
    """The checks of an upload for ``sparkle…`` (a 400 for each failure) and, for exactly
    ``sparkle``, the ``sparkle`` block of each uploaded archive and delta by file name."""
    if not updater.startswith("sparkle"):
        return None
    names = [f.filename for f in files]
    appcast.check_files(names)
    if updater != "sparkle":
        return None
    feed = next(f for f in files if appcast.is_appcast(f.filename))
    appcast.check_size(feed.size)
    return appcast.read(feed.path.read_bytes(), names)


def attach(
    blocks: dict[str, dict[str, str]] | None, files: list[StagedFile], artifacts: list[Artifact]
) -> None:
    """Each uploaded archive or delta's ``sparkle`` block on its artifact (files and artifacts
    in the same order)."""
    if not blocks:
        return
    for upload, artifact in zip(files, artifacts, strict=True):
        block = blocks.get(upload.filename)
        if block is not None and not appcast.is_appcast(upload.filename):
            artifact.extra["sparkle"] = dict(block)


def shared_links(planned: Iterable[tuple[ObjectRef, StagedFile]]) -> list[str]:
    """The links of an upload that every version of the app holds: its appcast's."""
    return [stored.link for stored, upload in planned if appcast.is_appcast(upload.filename)]


def feeds_of(version: Version) -> set[Feed]:
    """The channel, platform and arch of each of the version's Sparkle artifacts."""
    return {(version.channel_id, a.platform, a.arch) for a in version.artifacts if _block(a)}


def _block(artifact: Artifact) -> dict[str, Any] | None:
    block = artifact.extra.get("sparkle")
    return block if isinstance(block, dict) else None


async def _versions(store: Store, app: Meta) -> list[Version]:
    found: list[Version] = []
    while True:
        page, total = await store.versions.search(
            VersionFilter(owner=app.owner, app_id=app.id), skip=len(found), limit=PAGE
        )
        found.extend(page)
        if not page or len(found) >= total:
            return found


def _releases(versions: list[Version], feed: Feed) -> list[appcast.Release]:
    channel, platform, arch = feed
    releases = []
    for version in versions:
        if version.channel_id != channel:
            continue
        mine = [a for a in version.artifacts if (a.platform, a.arch) == (platform, arch)]
        blocks = [(a, b) for a in mine if (b := _block(a)) is not None]
        full = [b for _, b in blocks if b.get("kind") == "full" and b.get("raw_item")]
        if not full:
            continue
        notes = next((c.changes for c in version.changelog if c.version == version.version), "")
        releases.append(
            appcast.Release(
                version=version.version,
                sparkle_version=str(full[-1].get("sparkle_version") or ""),
                raw_item=str(full[-1]["raw_item"]),
                published=version.published,
                critical=version.critical,
                notes=notes,
                updated_at=version.updated_at,
                links={str(b.get("file_name", "")): a.link for a, b in blocks},
            )
        )
    return releases


async def refresh(
    *,
    store: Store,
    storage: ObjectStorage,
    links: Links,
    app_id: str,
    touched: Iterable[Feed] = (),
) -> None:
    """Make again every appcast of a public app: those its versions' Sparkle artifacts span
    and the ``touched`` ones (where a deleted version or artifact was, made without it)."""
    touched = set(touched)
    try:
        app = await store.meta.get(Kind.APP, app_id)
        if app is None or app.private:
            return
        versions = await _versions(store, app)
        feeds = touched.union(*(feeds_of(v) for v in versions))
        for feed in sorted(feeds):
            await _write(store, storage, links, app, feed)
    except Exception:  # the request's answer stands whatever happens here
        log.exception("the Sparkle appcasts of app %s could not be made", app_id)


def _held(links: Links, versions: list[Version], target: str) -> bool:
    """Whether one of the versions holds the object (its link read back to the key, so that
    links made under another ``API_URL`` count)."""
    return any(
        links.key_of(a.link, private=False) == target
        for version in versions
        for a in version.artifacts
        if appcast.is_appcast(a.link.rsplit("/", 1)[-1])
    )


async def _name(store: Store, kind: Kind, meta_id: str) -> str:
    meta = await store.meta.get(kind, meta_id)
    return meta.name if meta else ""


async def _write(
    store: Store,
    storage: ObjectStorage,
    links: Links,
    app: Meta,
    feed: Feed,
) -> None:
    channel, platform, arch = [
        await _name(store, kinds.kind, meta_id)
        for kinds, meta_id in zip((CHANNEL, PLATFORM, ARCH), feed, strict=True)
    ]
    target = key(
        owner=app.owner,
        app=app.name,
        channel=channel,
        platform=platform,
        arch=arch,
        filename=appcast.managed_name(channel),
    )
    ref = ObjectRef(key=target, link=links.for_key(target, private=False), private=False)

    async def make() -> None:
        await objects.refuse_taken(store, [ref], shared=[ref.link], app=app.id)
        # Read under the claim: a change made before is in this appcast.
        versions = await _versions(store, app)
        if not _held(links, versions, target):
            # No version holds the appcast (its uploads were deleted): none is kept.
            await delete_quietly(storage, target, private=False)
            return
        body = appcast.build(app.name, _releases(versions, feed))
        await storage.put(target, io.BytesIO(body), private=False, content_type=CONTENT_TYPE)

    try:
        await objects.under_claim(store, target, make)
    except objects.KeyTaken:
        log.warning("not writing appcast %s: another app's version holds it", target)
