"""The ``data`` JSON of /upload, /apps/update and /artifact/delete, and /search's items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from faynosync.core.gojson import GoStruct
from faynosync.core.gotime import format_utc
from faynosync.core.rollouts import percent_in_force
from faynosync.store.models import Artifact, Version


@dataclass
class RolloutStepData:
    """One step of a ``rollout_schedule``: a percent from a time (``at``, RFC 3339) or after a
    delay from the request (``after``: ``30m``, ``24h``, ``7d``)."""

    percent: int | None = None
    at: str = ""
    after: str = ""


@dataclass
class VersionData:
    """One Go struct serves the three routes; each reads the keys it needs (types strict)."""

    id: str = ""
    app_name: str = ""
    version: str = ""
    channel: str = ""
    platform: str = ""
    arch: str = ""
    publish: bool = False
    critical: bool = False
    intermediate: bool = False
    changelog: str = ""
    updater: str = ""
    signature: str = ""
    artifacts_to_delete: list[str] | None = None
    # Staged rollouts (docs/behaviour.md#staged-rollouts): v2.1's percent; faynosync's plan.
    rollout: int | None = None
    rollout_schedule: list[RolloutStepData] | None = None
    rollout_paused: bool | None = None
    rollout_skip_critical: bool | None = None


def version_item(
    version: Version,
    app_name: str,
    names: dict[str, str],
    *,
    tuf: bool = False,
    rollout_at: datetime | None = None,
) -> GoStruct:
    """A /search (and ``GET /``) item; ``names`` maps channel/platform/arch ids to names. With
    ``tuf`` (API level 2.1), each artifact also has v2.1's ``TufTaskID`` and ``TufSigned``; with
    ``rollout_at`` (API level 2.1), a version with a rollout has v2.1's ``RolloutPercent``
    last: the percent in force at that time."""
    item = GoStruct(
        ID=version.id,
        AppName=app_name,
        Version=version.version,
        Channel=names.get(version.channel_id, ""),
        Published=version.published,
        Critical=version.critical,
        Intermediate=version.required_intermediate,
        Artifacts=[_artifact_item(a, names, tuf) for a in version.artifacts],
        Changelog=[
            GoStruct(Version=c.version, Changes=c.changes, Date=c.date) for c in version.changelog
        ],
        Updated_at=format_utc(version.updated_at),
    )
    if rollout_at is not None and (version.rollout_percent, version.rollout_plan) != (None, None):
        item["RolloutPercent"] = percent_in_force(
            version.rollout_percent,
            version.rollout_plan,
            critical=version.critical,
            now=rollout_at,
        )
    return item


def _artifact_item(artifact: Artifact, names: dict[str, str], tuf: bool) -> GoStruct:
    item = GoStruct(
        link=artifact.link,
        platform=names.get(artifact.platform, ""),
        arch=names.get(artifact.arch, ""),
        package=artifact.package,
    )
    if tuf:  # v2.1 writes Go's field names; null and false for artifacts never signed
        task = artifact.extra.get("tuf_task_id")
        item["TufTaskID"] = task if isinstance(task, str) else None
        item["TufSigned"] = artifact.extra.get("tuf_signed") is True
    return item
