"""SQLite rows to the store's records and back: times in milliseconds, nested parts as JSON."""

from __future__ import annotations

import functools
import json
import sqlite3

from faynosync.core.gotime import from_millis, to_millis
from faynosync.core.rollouts import RolloutPlan
from faynosync.store.models import (
    Admin,
    Artifact,
    ChangelogEntry,
    Kind,
    Meta,
    Permissions,
    TeamUser,
    Updater,
    Version,
)
from faynosync.store.rules import ordering, plan_document, plan_from


def admin_from(row: sqlite3.Row) -> Admin:
    return Admin(
        id=row["id"],
        username=row["username"],
        password=row["password"],
        updated_at=from_millis(row["updated_at"]),
    )


def team_user_from(row: sqlite3.Row) -> TeamUser:
    return TeamUser(
        id=row["id"],
        username=row["username"],
        password=row["password"],
        owner=row["owner"],
        permissions=Permissions.from_document(json.loads(row["permissions"])),
        updated_at=from_millis(row["updated_at"]),
    )


def permissions_json(permissions: Permissions) -> str:
    return json.dumps(permissions.to_document())


_KINDS = {kind.value: kind for kind in Kind}


META_COLUMNS = (
    "id",
    "kind",
    "name",
    "owner",
    "updated_at",
    "logo",
    "description",
    "private",
    "updaters",
    "tuf",
    "reports",
    "cdn_edge",
)
"""``apps_meta``'s columns in :class:`Meta`'s field order: a row selected with them is read
by position (a ``sqlite3.Row`` finds a name by comparing it with each column before it)."""


def meta_from(row: sqlite3.Row) -> Meta:
    """A row of :data:`META_COLUMNS`."""
    # Meta's fields by position: a third of the cost of keywords, and every update check
    # decodes four of these rows.
    updaters = row[8]
    return Meta(
        row[0],
        _KINDS[row[1]],
        row[2],
        row[3],
        from_millis(row[4]),
        row[5],
        row[6],
        bool(row[7]),
        None if updaters is None else list(_updaters(updaters)),
        bool(row[9]),
        bool(row[10]),
        bool(row[11]),
    )


@functools.lru_cache(maxsize=256)
def _updaters(text: str) -> tuple[Updater, ...]:
    """A platform's updaters column (few distinct values: read once each; Updater is frozen)."""
    return tuple(Updater(**u) for u in json.loads(text))


def updaters_json(meta: Meta) -> str | None:
    if meta.updaters is None:
        return None
    return json.dumps([{"type": u.type, "default": u.default} for u in meta.updaters])


ARTIFACT_COLUMNS = ("link", "platform", "arch", "package", "signature", "extra")
"""``artifacts``' columns in :class:`Artifact`'s field order (see :data:`META_COLUMNS`)."""


def artifact_from(row: sqlite3.Row, at: int = 0) -> Artifact:
    """An artifact from :data:`ARTIFACT_COLUMNS`, the row's columns from ``at`` on."""
    extra = row[at + 5]
    return Artifact(
        row[at],
        row[at + 1],
        row[at + 2],
        row[at + 3],
        row[at + 4],
        json.loads(extra) if extra else {},
    )


def extra_json(artifact: Artifact) -> str | None:
    """The fields another server (or v2.1's uploads) added to an artifact, in order; None if
    there are none."""
    return json.dumps(artifact.extra, separators=(",", ":")) if artifact.extra else None


VERSION_COLUMNS = (
    "id",
    "app_id",
    "version",
    "channel_id",
    "published",
    "critical",
    "required_intermediate",
    "changelog",
    "updated_at",
    "owner",
    "rollout_percent",
    "rollout_seed",
    "rollout_plan",
)
"""``versions``' columns in :class:`Version`'s field order, its artifacts left out (see
:data:`META_COLUMNS`)."""


def version_from(row: sqlite3.Row, artifacts: list[Artifact]) -> Version:
    """A version from the row's first :data:`VERSION_COLUMNS`, with its artifacts in upload
    order."""
    plan = row[12]
    return Version(
        row[0],
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        bool(row[5]),
        bool(row[6]),
        artifacts,
        list(_changelog(row[7])),
        from_millis(row[8]),
        row[9],
        row[10],
        row[11],
        None if plan is None else _plan(plan),
    )


@functools.lru_cache(maxsize=256)
def _plan(text: str) -> RolloutPlan | None:
    return plan_from(json.loads(text), from_millis)


def rollout_columns(version: Version) -> tuple[int | None, str | None, str | None]:
    """``rollout_percent``, ``rollout_seed`` and ``rollout_plan`` (JSON) of a version."""
    plan = version.rollout_plan
    text = None if plan is None else json.dumps(plan_document(plan, to_millis))
    return version.rollout_percent, version.rollout_seed, text


@functools.lru_cache(maxsize=1024)
def _changelog(text: str) -> tuple[ChangelogEntry, ...]:
    """A changelog column, read once while it is among the recently read (update checks read
    the same few versions again and again; ChangelogEntry is frozen)."""
    return tuple(ChangelogEntry(**c) for c in json.loads(text))


def changelog_json(version: Version) -> str:
    return json.dumps([vars(c) for c in version.changelog])


OrderingColumns = tuple[int | None, int | None, int | None, int | None, str | None, str | None]


def ordering_columns(version: str) -> OrderingColumns:
    """``sort1`` to ``sort4`` (null when the version cannot be ordered), ``sort_error`` and
    ``step_key`` of a version (:func:`store.rules.ordering`)."""
    order = ordering(version)
    return (*(order.parts or (None, None, None, None)), order.error, order.step)
