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


def meta_from(row: sqlite3.Row) -> Meta:
    # Meta's fields by position: id, kind, name, owner, updated_at, logo, description,
    # private, updaters, tuf, reports, cdn_edge. Positional arguments cost a third of
    # keywords, and every update check decodes four of these rows (as ten rows in all).
    updaters = row["updaters"]
    return Meta(
        row["id"],
        _KINDS[row["kind"]],
        row["name"],
        row["owner"],
        from_millis(row["updated_at"]),
        row["logo"],
        row["description"],
        bool(row["private"]),
        None if updaters is None else list(_updaters(updaters)),
        bool(row["tuf"]),
        bool(row["reports"]),
        bool(row["cdn_edge"]),
    )


@functools.lru_cache(maxsize=256)
def _updaters(text: str) -> tuple[Updater, ...]:
    """A platform's updaters column (few distinct values: read once each; Updater is frozen)."""
    return tuple(Updater(**u) for u in json.loads(text))


def updaters_json(meta: Meta) -> str | None:
    if meta.updaters is None:
        return None
    return json.dumps([{"type": u.type, "default": u.default} for u in meta.updaters])


_ARTIFACT_COLUMNS = ("link", "platform", "arch", "package", "signature", "extra")
_PREFIXED = {
    prefix: tuple(prefix + column for column in _ARTIFACT_COLUMNS) for prefix in ("", "a_")
}


def artifact_from(row: sqlite3.Row, prefix: str = "") -> Artifact:
    """An ``artifacts`` row, or its columns named with ``prefix`` in a joined row."""
    link, platform, arch, package, signature, extra = _PREFIXED[prefix]
    # By position, as in meta_from: link, platform, arch, package, signature, extra.
    return Artifact(
        row[link],
        row[platform],
        row[arch],
        row[package],
        row[signature],
        json.loads(row[extra]) if row[extra] else {},
    )


def extra_json(artifact: Artifact) -> str | None:
    """The fields another server (or v2.1's uploads) added to an artifact, in order; None if
    there are none."""
    return json.dumps(artifact.extra, separators=(",", ":")) if artifact.extra else None


def version_from(row: sqlite3.Row, artifacts: list[Artifact]) -> Version:
    """A ``versions`` row with its artifacts, in upload order."""
    plan = row["rollout_plan"]
    # By position, as in meta_from: id, app_id, version, channel_id, published, critical,
    # required_intermediate, artifacts, changelog, updated_at, owner, rollout_percent,
    # rollout_seed, rollout_plan.
    return Version(
        row["id"],
        row["app_id"],
        row["version"],
        row["channel_id"],
        bool(row["published"]),
        bool(row["critical"]),
        bool(row["required_intermediate"]),
        artifacts,
        list(_changelog(row["changelog"])),
        from_millis(row["updated_at"]),
        row["owner"],
        row["rollout_percent"],
        row["rollout_seed"],
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
