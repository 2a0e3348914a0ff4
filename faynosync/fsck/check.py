"""The consistency check: where the documents and the stored objects disagree, and what
interrupted writes left behind; removes what is safe to remove when asked.

Documents reference objects by link: every artifact of a version (in the private bucket when
its app is private now, else the public one) and every app's logo (public bucket). Objects are
listed first, documents read after: an object removed meanwhile with its document then shows as
an orphan about to go anyway, and one stored meanwhile is young. Nothing younger than the grace
period is removed: an upload stores its object before it writes its document.

The listing of both buckets is held in memory (a key, a size and a time per object); documents
are read in batches and never held.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from faynosync.core.lockedfiles import remove_if_stale
from faynosync.storage.keys import object_key, private_link_keys
from faynosync.storage.protocol import ObjectStorage, PartialWrite, StoredObject
from faynosync.storage.staging import stale_staged
from faynosync.store import Store
from faynosync.store.models import Kind
from faynosync.updaters import velopack

BUCKETS = (("public", False), ("private", True))
STAGING = "staging"


class Problem(StrEnum):
    ORPHAN = "orphan"
    """An object that no document references."""
    DANGLING = "dangling"
    """A document's link to an object that is missing."""
    UNREADABLE = "unreadable-link"
    """A link that names no object key with the current settings."""
    PARTIAL = "partial-write"
    """What an interrupted write left: a temporary or staged file, an unfinished S3 upload."""


@dataclass
class Finding:
    problem: Problem
    where: str
    """The bucket (``public``, ``private``) or ``staging`` (the uploads being received)."""
    key: str
    """The object key; the link itself when it is unreadable; a staged file's name."""
    size: int | None = None
    modified: float | None = None
    holder: str = ""
    """The document holding a dangling or unreadable link."""
    young: bool = False
    """Within the grace period: maybe a write in progress; reported, never removed."""
    removed: bool = False
    upload_id: str = ""
    """An unfinished S3 upload's id."""


@dataclass
class Report:
    grace: float
    objects: int = 0
    links: int = 0
    findings: list[Finding] = field(default_factory=list)
    orphans_kept: str = ""
    """Why orphans were not removed although asked to, if they were not."""

    @property
    def problems(self) -> list[Finding]:
        """The findings that call for a look; young ones do not (yet)."""
        return [f for f in self.findings if not f.young]

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Reference:
    """A document's link to an object, with the bucket it lives in."""

    link: str
    private: bool
    holder: str
    key: str | None = None
    """The object's key when the document names it by key (a report's details)."""


async def references(store: Store) -> AsyncIterator[Reference]:
    """Every object reference of every tenant: apps' logos, versions' artifacts, then
    reports' details."""
    apps: dict[str, tuple[str, bool]] = {}
    async for app in store.meta.every(Kind.APP):
        apps[app.id] = (app.name, app.private)
        if app.logo:
            yield Reference(app.logo, False, f"logo of app {app.name} (owner {app.owner})")
    async for artifact in store.versions.artifact_links():
        # An app deleted under its versions counts as public, as version deletes see it.
        name, private = apps.get(artifact.app_id, (artifact.app_id, False))
        holder = f"version {artifact.version_id} of app {name} (owner {artifact.owner})"
        yield Reference(artifact.link, private, holder)
    async for key in store.reports.blob_keys():
        yield Reference(key, True, "report details", key=key)


async def _listing(storage: ObjectStorage) -> dict[tuple[bool, str], StoredObject]:
    return {
        (private, obj.key): obj
        for _, private in BUCKETS
        async for obj in storage.objects(private=private)
    }


def _bucket(private: bool) -> str:
    return "private" if private else "public"


async def check(
    store: Store,
    storage: ObjectStorage,
    *,
    staging: Path | None,
    grace: float,
    remove: bool = False,
    now: float | None = None,
) -> Report:
    """Compare documents and objects; with ``remove``, remove orphan objects and partial
    writes older than ``grace`` seconds.

    Orphans are kept while some link is unreadable: its object could be among them.
    """
    now = time.time() if now is None else now
    report = Report(grace=grace)

    def young(modified: float) -> bool:
        return now - modified < grace

    listed = await _listing(storage)
    report.objects = len(listed)
    partials: list[tuple[bool, PartialWrite]] = [
        (private, partial)
        for _, private in BUCKETS
        async for partial in storage.partial_writes(private=private)
    ]
    staged = await asyncio.to_thread(stale_staged, staging) if staging else []

    seen: set[tuple[bool, str]] = set()
    async for ref in references(store):
        if not ref.link:
            continue
        report.links += 1
        key = ref.key or object_key(storage, ref.link, private=ref.private)
        if ref.private and ref.key is None:
            # A link either API level made names the object it finds.
            key = next((k for k in private_link_keys(ref.link) if (True, k) in listed), key)
        where = _bucket(ref.private)
        if key is None:
            report.findings.append(Finding(Problem.UNREADABLE, where, ref.link, holder=ref.holder))
        elif (ref.private, key) in listed:
            seen.add((ref.private, key))
        else:
            report.findings.append(Finding(Problem.DANGLING, where, key, holder=ref.holder))

    copies = {
        (private, key)
        for private in (False, True)
        for key in velopack.latest_installer_copies({k for p, k in listed if p == private})
    }
    orphans = [
        Finding(
            Problem.ORPHAN, _bucket(private), key, obj.size, obj.modified, young=young(obj.modified)
        )
        for (private, key), obj in listed.items()
        if (private, key) not in seen
        and not velopack.is_feed_key(key)
        and (private, key) not in copies
    ]
    report.findings += sorted(orphans, key=lambda f: (f.where, f.key))
    report.findings += [
        Finding(
            Problem.PARTIAL,
            _bucket(private),
            p.key,
            p.size,
            p.modified,
            young=young(p.modified),
            upload_id=p.upload_id,
        )
        for private, p in partials
    ]
    report.findings += [
        Finding(Problem.PARTIAL, STAGING, s.path.name, s.size, s.modified, young=young(s.modified))
        for s in staged
    ]
    if remove:
        await _remove_orphans(report, storage, young)
        await _remove_partial_writes(report, storage, staging)
    return report


async def _remove_orphans(
    report: Report, storage: ObjectStorage, young: Callable[[float], bool]
) -> None:
    orphans = [f for f in report.problems if f.problem is Problem.ORPHAN]
    if not orphans:
        return
    if any(f.problem is Problem.UNREADABLE for f in report.findings):
        report.orphans_kept = "some links are unreadable: their objects may be among the orphans"
        return
    # Listed again: an object stored anew since the first listing (and maybe referenced by
    # now) is young again, and kept.
    fresh = await _listing(storage)
    for finding in orphans:
        private = finding.where == "private"
        obj = fresh.get((private, finding.key))
        if obj is None:
            continue
        if young(obj.modified):
            finding.young = True
            continue
        await storage.delete(finding.key, private=private)
        finding.removed = True


async def _remove_partial_writes(
    report: Report, storage: ObjectStorage, staging: Path | None
) -> None:
    for finding in report.problems:
        if finding.problem is not Problem.PARTIAL:
            continue
        if finding.where == STAGING:
            if staging is not None:
                gone = await asyncio.to_thread(remove_if_stale, staging / finding.key)
                finding.removed = gone is not None
            continue
        partial = PartialWrite(
            finding.key, finding.size or 0, finding.modified or 0.0, finding.upload_id
        )
        finding.removed = await storage.remove_partial_write(
            partial, private=finding.where == "private"
        )
