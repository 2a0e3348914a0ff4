"""Rules every store backend follows, written once: FaynoSync's duplicate-key text, the field that
refers to each kind, the database ordering of versions, what a version filter asks of a version,
and the list cap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from faynosync.core.rollouts import RolloutPlan, RolloutStep
from faynosync.core.versioning import OrderingError, OrderKey, order_key, step_key
from faynosync.store.models import NAME_FIELDS, Kind, Meta, VersionFilter

LIST_CAP = 100
"""The most apps, channels, platforms or archs one list holds (FaynoSync's limit)."""


# --- duplicate keys ---------------------------------------------------------------------------


def write_errors(errmsg: str) -> str:
    """The Go MongoDB driver's text for a write the server refused with ``errmsg``."""
    return f"write exception: write errors: [{errmsg}]"


def duplicate_key_message(database: str, collection: str, index: str, key: dict[str, str]) -> str:
    """The Go MongoDB driver's text for a duplicate key on an insert or update."""
    shown = ", ".join(f'{field}: "{value}"' for field, value in key.items())
    return write_errors(
        f"E11000 duplicate key error collection: {database}.{collection} index: {index}"
        f" dup key: {{ {shown}, created: null }}"
    )


def name_index(kind: Kind) -> str:
    """FaynoSync's unique index on the name and owner of a kind's ``apps_meta`` documents."""
    return f"{NAME_FIELDS[kind]}_owner_sort_by_asc_created"


def duplicate_name_message(database: str, meta: Meta) -> str:
    """The text MongoDB gives when the owner has a document of this kind and name already."""
    field = NAME_FIELDS[meta.kind]
    return duplicate_key_message(
        database, "apps_meta", name_index(meta.kind), {field: meta.name, "owner": meta.owner}
    )


# --- references -------------------------------------------------------------------------------

# The field of a version document holding the id of an app, channel, platform or arch
# ("artifacts." for a field of one of its artifacts).
REFERENCE_FIELDS: dict[Kind, str] = {
    Kind.APP: "app_id",
    Kind.CHANNEL: "channel_id",
    Kind.PLATFORM: "artifacts.platform",
    Kind.ARCH: "artifacts.arch",
}


# --- the database ordering of versions --------------------------------------------------------


@dataclass(frozen=True)
class Ordering:
    """Where a version stands in the database ordering (highest ``parts`` first).

    A version the original's ``$toInt`` query cannot convert has no ``parts`` but an ``error``:
    a search or latest-version query that matches it fails with that text.
    """

    parts: OrderKey | None
    error: str | None
    step: str | None
    """go-version's order (:func:`core.versioning.step_key`), None for a version compared
    one by one."""


def ordering(version: str) -> Ordering:
    """The database ordering of a version string."""
    step = step_key(version)
    try:
        return Ordering(parts=order_key(version), error=None, step=step)
    except OrderingError as exc:
        return Ordering(parts=None, error=f"(ConversionFailure) {exc}", step=step)


# --- version filters --------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionConditions:
    """A version filter as conditions on a version's fields, in FaynoSync's names."""

    owner: str
    ids: dict[str, str]
    """``app_id`` and ``channel_id``: the id the field holds."""
    flags: dict[str, bool]
    """``published``, ``critical`` and ``required_intermediate``: the value the flag has."""
    artifact: dict[str, str]
    """``platform`` and ``arch``: the id one and the same artifact holds."""


def version_conditions(query: VersionFilter) -> VersionConditions:
    """The conditions of a filter, leaving out those that match any version."""
    ids = {"app_id": query.app_id, "channel_id": query.channel_id}
    flags = {
        "published": query.published,
        "critical": query.critical,
        "required_intermediate": query.required_intermediate,
    }
    artifact = {"platform": query.platform_id, "arch": query.arch_id}
    return VersionConditions(
        owner=query.owner,
        ids={field: value for field, value in ids.items() if value is not None},
        flags={field: value for field, value in flags.items() if value is not None},
        artifact={field: value for field, value in artifact.items() if value is not None},
    )


# --- rollout plans ----------------------------------------------------------------------------


def plan_document(plan: RolloutPlan, at: Callable[[datetime], Any]) -> dict[str, Any]:
    """A rollout plan as both backends keep it (``at`` converts a step's time)."""
    return {
        "schedule": [{"percent": s.percent, "at": at(s.at)} for s in plan.schedule],
        "paused": plan.paused,
        "skip_critical": plan.skip_critical,
    }


def plan_from(doc: Any, at: Callable[[Any], datetime]) -> RolloutPlan | None:
    """A stored rollout plan; None when there is none (or it is not one)."""
    if not isinstance(doc, dict):
        return None
    steps = doc.get("schedule")
    if not isinstance(steps, list):
        steps = []
    return RolloutPlan(
        schedule=tuple(
            RolloutStep(percent=int(s["percent"]), at=at(s["at"]))
            for s in steps
            if isinstance(s, dict) and isinstance(s.get("percent"), int) and "at" in s
        ),
        paused=doc.get("paused") is True,
        skip_critical=doc.get("skip_critical") is True,
    )
