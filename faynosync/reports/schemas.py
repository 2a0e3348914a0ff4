"""Reports: the request bodies, and how the API shows keys, groups and blobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from faynosync.core.gojson import GoStruct, required
from faynosync.core.gotime import format_utc
from faynosync.store.models import ReportBlob, ReportGroup, ReportKey, ReportSubject

GROUP_QUERY = (
    "page",
    "limit",
    "status",
    "app",
    "version",
    "channel",
    "platform",
    "arch",
    "type",
    "reason",
    "from",
    "to",
)
"""The query values `GET /reports/groups` reads (its filters and paging), in its order."""


@dataclass
class Application:
    name: str = ""
    version: str = ""
    channel: str = ""


@dataclass
class System:
    platform: str = ""
    arch: str = ""


@dataclass
class Event:
    type: str = ""
    reason: str = ""


@dataclass
class Details:
    encoding: str = ""
    content_type: str = ""
    payload: str = ""


@dataclass
class Ingest:
    """``POST /reports/ingest``'s body; ``details`` is optional."""

    application: Application = field(default_factory=Application)
    system: System = field(default_factory=System)
    event: Event = field(default_factory=Event)
    details: Details | None = None


@dataclass
class Regenerate:
    app_id: str = required(default="")


@dataclass
class GroupPatch:
    """``PATCH /reports/groups/:groupHash``: each field optional (``null`` = absent)."""

    status: str | None = None
    tags: list[str] | None = None
    note: str | None = None


def key_public(key: ReportKey) -> GoStruct:
    return GoStruct(
        id=key.id,
        app_id=key.app_id,
        app_name=key.app_name,
        key_value=key.key_value,
        updated_at=format_utc(key.updated_at),
    )


def _subject_public(subject: ReportSubject) -> tuple[GoStruct, GoStruct, GoStruct]:
    return (
        GoStruct(name=subject.app_name, version=subject.version, channel=subject.channel),
        GoStruct(platform=subject.platform, arch=subject.arch),
        GoStruct(type=subject.type, reason=subject.reason),
    )


def group_public(group: ReportGroup) -> GoStruct:
    """A group as FaynoSync's struct prints it: empty optional fields left out, never the
    owner."""
    application, system, event = _subject_public(group.subject)
    item = GoStruct(
        id=group.id,
        group_hash=group.group_hash,
        app_id=group.app_id,
        application=application,
        system=system,
        event=event,
        stats=GoStruct(
            count=group.count,
            first_seen=format_utc(group.first_seen),
            last_seen=format_utc(group.last_seen),
            details_stored=group.details_stored,
            details_rejected=group.details_rejected,
        ),
    )
    if group.status:
        item["status"] = group.status
    if group.tags:
        item["tags"] = list(group.tags)
    if group.note:
        item["note"] = group.note
    if group.resolved_at is not None:
        item["resolved_at"] = format_utc(group.resolved_at)
    if group.resolved_by:
        item["resolved_by"] = group.resolved_by
    item["created_at"] = format_utc(group.created_at)
    item["updated_at"] = format_utc(group.updated_at)
    return item


def blob_public(blob: ReportBlob, url: str) -> GoStruct:
    """A blob with its link; the bucket and the owner are never shown."""
    application, system, event = _subject_public(blob.subject)
    return GoStruct(
        id=blob.id,
        group_hash=blob.group_hash,
        app_id=blob.app_id,
        application=application,
        system=system,
        event=event,
        storage=GoStruct(
            driver=blob.driver,
            key=blob.key,
            compressed_size=blob.compressed_size,
            decompressed_size=blob.decompressed_size,
            content_type="application/json",
            encoding="gzip",
        ),
        created_at=format_utc(blob.created_at),
        expires_at=format_utc(blob.expires_at),
        url=url,
    )
