"""The records the store keeps, shaped as FaynoSync's MongoDB documents.

See docs/behaviour.md#documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from faynosync.core.rollouts import RolloutPlan


@dataclass
class Admin:
    id: str
    username: str
    password: str
    updated_at: datetime


@dataclass
class ResourcePermissions:
    """Flags and ``allowed`` ids of a team user for channels, platforms or archs."""

    create: bool = False
    delete: bool = False
    edit: bool = False
    allowed: list[str] | None = None


@dataclass
class AppPermissions(ResourcePermissions):
    download: bool = False
    upload: bool = False


@dataclass
class Permissions:
    """A team user's permission matrix; also the shape a request binds to (lowercase keys)."""

    apps: AppPermissions = field(default_factory=AppPermissions)
    channels: ResourcePermissions = field(default_factory=ResourcePermissions)
    platforms: ResourcePermissions = field(default_factory=ResourcePermissions)
    archs: ResourcePermissions = field(default_factory=ResourcePermissions)

    def to_document(self) -> dict[str, Any]:
        """The stored form: lowercase keys in Go's field order, ``allowed`` omitted when empty."""
        return {f.name: _resource_document(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> Permissions:
        doc = doc or {}
        return cls(
            apps=_resource_from(AppPermissions, doc.get("apps")),
            channels=_resource_from(ResourcePermissions, doc.get("channels")),
            platforms=_resource_from(ResourcePermissions, doc.get("platforms")),
            archs=_resource_from(ResourcePermissions, doc.get("archs")),
        )


R = TypeVar("R", bound=ResourcePermissions)

_FLAG_ORDER = ("create", "delete", "edit", "download", "upload")


def _resource_document(perm: ResourcePermissions) -> dict[str, Any]:
    doc: dict[str, Any] = {name: getattr(perm, name) for name in _FLAG_ORDER if hasattr(perm, name)}
    if perm.allowed:
        doc["allowed"] = list(perm.allowed)
    return doc


def _resource_from(cls: type[R], doc: Any) -> R:
    doc = doc if isinstance(doc, dict) else {}
    kwargs: dict[str, Any] = {
        f.name: bool(doc.get(f.name, False)) for f in fields(cls) if f.name != "allowed"
    }
    allowed = doc.get("allowed")
    kwargs["allowed"] = [str(a) for a in allowed] if isinstance(allowed, list) else None
    return cls(**kwargs)


@dataclass
class TeamUser:
    id: str
    username: str
    password: str
    owner: str
    permissions: Permissions
    updated_at: datetime


@dataclass
class ApiToken:
    """An API token for CI (FaynoSync v2.1's ``api_tokens``): only its hash is kept."""

    id: str
    name: str
    token_hash: str  # sha256 of the whole token, lower-case hex
    token_prefix: str  # "fns_" and the first 8 hex digits, to tell tokens apart
    owner: str  # the admin
    allowed_apps: list[str]  # app ids
    expires_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None = None


class Kind(StrEnum):
    """The four kinds of ``apps_meta`` documents, told apart by their name field."""

    APP = "app"
    CHANNEL = "channel"
    PLATFORM = "platform"
    ARCH = "arch"


# The field that holds the name, and so marks the kind, in FaynoSync's documents.
NAME_FIELDS: dict[Kind, str] = {
    Kind.APP: "app_name",
    Kind.CHANNEL: "channel_name",
    Kind.PLATFORM: "platform_name",
    Kind.ARCH: "arch_id",
}


@dataclass(frozen=True)
class Updater:
    """One entry of a platform's ``updaters``; also the shape a request binds to."""

    type: str = ""
    default: bool = False


@dataclass
class Meta:
    """An app, channel, platform or arch (an ``apps_meta`` document)."""

    id: str
    kind: Kind
    name: str
    owner: str
    updated_at: datetime
    logo: str = ""
    description: str = ""
    private: bool = False
    updaters: list[Updater] | None = None
    # FaynoSync v2.1's app flags (kept as found; written at API level 2.1).
    tuf: bool = False
    reports: bool = False
    cdn_edge: bool = False


@dataclass
class Artifact:
    link: str
    platform: str
    arch: str
    package: str
    signature: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Fields another server stored that this one does not use (FaynoSync v2.1's ``hashes``,
    ``length``, ``tuf_signed``, ``tuf_task_id``, ``velopack``, ``sparkle``), kept as found."""


@dataclass(frozen=True)
class ChangelogEntry:
    version: str
    changes: str
    date: str


@dataclass
class Version:
    """One version of one app (an ``apps`` document) with its artifacts in upload order."""

    id: str
    app_id: str
    version: str
    channel_id: str
    published: bool
    critical: bool
    required_intermediate: bool
    artifacts: list[Artifact]
    changelog: list[ChangelogEntry]
    updated_at: datetime
    owner: str
    # FaynoSync v2.1's staged rollout (None: not stored, as before v2.1: everyone) and
    # faynosync's plan beside it (docs/behaviour.md#staged-rollouts).
    rollout_percent: int | None = None
    rollout_seed: str | None = None
    rollout_plan: RolloutPlan | None = None


@dataclass(frozen=True)
class ArtifactLink:
    """Where one artifact of a version points, with what tells its bucket and its holder."""

    link: str
    version_id: str
    app_id: str
    owner: str


class PublishedTarget(NamedTuple):
    """Where an artifact of a published version is offered: its version's owner and the ids
    of the app, channel, platform and arch (as stored; ``""`` when absent)."""

    owner: str
    app_id: str
    channel_id: str
    platform_id: str
    arch_id: str


@dataclass
class VersionFilter:
    """Which versions a search matches; None means "any"."""

    owner: str
    app_id: str | None = None
    channel_id: str | None = None
    published: bool | None = None
    critical: bool | None = None
    required_intermediate: bool | None = None
    platform_id: str | None = None
    arch_id: str | None = None


@dataclass(frozen=True)
class StepFound:
    """What a search for the lowest required intermediate build found through the index: that
    version, if any, and whether matching versions without a step key exist (they are read and
    compared one by one)."""

    version: Version | None
    unkeyed: bool


@dataclass
class DeviceDay:
    """What one device did on one day for one app: its last version and answer, and every
    channel, platform and arch it asked with.

    A telemetry beacon may name no version (``""``) and no answer (``has_update`` None): the
    device then keeps what an earlier check of the day recorded, if anything.
    """

    owner: str
    app: str
    date: str
    device: str
    version: str
    has_update: bool | None
    channels: set[str] = field(default_factory=set)
    platforms: set[str] = field(default_factory=set)
    archs: set[str] = field(default_factory=set)

    def take(self, version: str, has_update: bool | None) -> None:
        """A later check's version and answer, each when it has one."""
        if version:
            self.version = version
        if has_update is not None:
            self.has_update = has_update


@dataclass
class TelemetryBatch:
    """Update checks gathered in memory since the last flush."""

    requests: dict[tuple[str, str, str], int] = field(default_factory=dict)  # owner, app, date
    devices: dict[tuple[str, str, str, str], DeviceDay] = field(default_factory=dict)
    versions: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # owner, app
    today: str = ""

    def __bool__(self) -> bool:
        return bool(self.requests)


@dataclass
class ReportKey:
    """A report key (FaynoSync v2.1's ``report_keys``): at most one per app, kept in clear (it
    ships inside the app)."""

    id: str
    app_id: str
    owner: str
    key_value: str
    created_at: datetime
    updated_at: datetime
    app_name: str = ""
    """The app's name, read with the key (never stored with it)."""
    app_reports: bool = False
    """The app's ``reports`` flag, read with the key (never stored with it)."""


@dataclass(frozen=True)
class ReportSubject:
    """What a report is about: the application, the system, the event (a group's identity)."""

    app_name: str
    version: str
    channel: str
    platform: str
    arch: str
    type: str
    reason: str


@dataclass
class ReportGroup:
    """Reports of one subject in one app (``report_groups``)."""

    id: str
    group_hash: str
    app_id: str
    owner: str
    subject: ReportSubject
    status: str
    count: int
    first_seen: datetime
    last_seen: datetime
    details_stored: int
    details_rejected: int
    created_at: datetime
    updated_at: datetime
    tags: list[str] | None = None
    note: str = ""
    resolved_at: datetime | None = None
    resolved_by: str = ""


@dataclass
class ReportBlob:
    """A report's details, gzip bytes in the private bucket (``report_blobs``)."""

    id: str
    group_hash: str
    app_id: str
    owner: str
    subject: ReportSubject
    driver: str
    bucket: str
    key: str
    compressed_size: int
    decompressed_size: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class GroupFilter:
    """Which groups a list shows: the tenant's, of ``apps`` when given, matching the rest."""

    owner: str
    apps: list[str] | None = None
    status: str = ""
    """``open`` (also a group without a status), ``resolved``, ``muted``; empty: any."""
    fields: tuple[tuple[str, str], ...] = ()
    """(``ReportSubject`` field, value) pairs, exact matches."""
    seen_from: datetime | None = None
    seen_to: datetime | None = None


@dataclass(frozen=True)
class GroupChange:
    """A triage edit: each of status, tags and note when not None."""

    status: str | None = None
    tags: list[str] | None = None
    note: str | None = None
    by: str = ""
