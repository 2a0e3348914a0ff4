"""MongoDB documents to the store's records and back, in FaynoSync's field names, order and
BSON types."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from faynosync.store.models import (
    NAME_FIELDS,
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
from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.ordering import ORDER_FIELD, order_document
from faynosync.store.rules import plan_document, plan_from

EXISTS = {"$exists": True}


def oid(hex_id: str) -> ObjectId:
    return ObjectId(hex_id)


def admin_from(doc: Document) -> Admin:
    return Admin(
        id=str(doc["_id"]),
        username=doc.get("username", ""),
        password=doc.get("password", ""),
        updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
    )


def team_user_from(doc: Document) -> TeamUser:
    return TeamUser(
        id=str(doc["_id"]),
        username=doc.get("username", ""),
        password=doc.get("password", ""),
        owner=doc.get("owner", ""),
        permissions=Permissions.from_document(doc.get("permissions")),
        updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
    )


def meta_from(kind: Kind, doc: Document) -> Meta:
    updaters = doc.get("updaters")
    return Meta(
        id=str(doc["_id"]),
        kind=kind,
        name=str(doc.get(NAME_FIELDS[kind], "")),
        owner=str(doc.get("owner", "")),
        updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
        logo=str(doc.get("logo") or ""),
        description=str(doc.get("description") or ""),
        private=doc.get("private") is True,
        tuf=doc.get("tuf") is True,
        reports=doc.get("reports") is True,
        cdn_edge=doc.get("cdn_edge") is True,
        updaters=None
        if not isinstance(updaters, list)
        else [
            Updater(type=str(u.get("type", "")), default=u.get("default") is True)
            for u in updaters
            if isinstance(u, dict)
        ],
    )


def kind_fields(meta: Meta) -> Document:
    """The fields between the name and updated_at, in FaynoSync's order."""
    if meta.kind is Kind.PLATFORM:
        return {"updaters": [{"type": u.type, "default": u.default} for u in meta.updaters or []]}
    if meta.kind is not Kind.APP:
        return {}
    fields: Document = {}
    if meta.logo:
        fields["logo"] = meta.logo
    if meta.description:
        fields["description"] = meta.description
    if meta.private:
        fields["private"] = True
    return fields


APP_FLAGS = ("tuf", "reports", "cdn_edge")
"""FaynoSync v2.1's app flags, stored after ``private``."""


def flag_fields(meta: Meta, *, false_too: bool = False) -> Document:
    """An app's v2.1 flags: those that are true (as v2.1 creates an app), or all of them."""
    return {n: getattr(meta, n) for n in APP_FLAGS if false_too or getattr(meta, n)}


ARTIFACT_FIELDS = ("link", "platform", "arch", "package", "signature")


def artifact_document(artifact: Artifact) -> Document:
    """FaynoSync's artifact fields, then those another server added (v2.1's order kept)."""
    return {
        "link": artifact.link,
        "platform": oid(artifact.platform),
        "arch": oid(artifact.arch),
        "package": artifact.package,
        "signature": artifact.signature,
        **artifact.extra,
    }


def artifact_from(doc: Document) -> Artifact:
    return Artifact(
        link=str(doc.get("link", "")),
        platform=str(doc.get("platform", "")),
        arch=str(doc.get("arch", "")),
        package=str(doc.get("package", "")),
        signature=str(doc.get("signature", "")),
        extra={k: v for k, v in doc.items() if k not in ARTIFACT_FIELDS},
    )


PLAN_FIELD = "faynosync_rollout"
"""faynosync's rollout plan (schedule, pause), kept beside v2.1's fields; FaynoSync ignores it."""


def rollout_fields(version: Version) -> Document:
    """v2.1's ``rollout_percent`` and ``rollout_seed``, those that are set."""
    fields: Document = {}
    if version.rollout_percent is not None:
        fields["rollout_percent"] = version.rollout_percent
    if version.rollout_seed is not None:
        fields["rollout_seed"] = version.rollout_seed
    return fields


def plan_field(version: Version) -> Document | None:
    plan = version.rollout_plan
    return None if plan is None else plan_document(plan, lambda at: at)


def version_document(version: Version) -> Document:
    """A version as FaynoSync stores it in ``apps`` (v2.1's rollout fields between the
    changelog and ``updated_at``)."""
    doc: Document = {
        "_id": oid(version.id),
        "app_id": oid(version.app_id),
        "version": version.version,
        "channel_id": oid(version.channel_id),
        "published": version.published,
        "critical": version.critical,
        "required_intermediate": version.required_intermediate,
        "artifacts": [artifact_document(a) for a in version.artifacts],
        "changelog": [
            {"version": c.version, "changes": c.changes, "date": c.date} for c in version.changelog
        ],
        **rollout_fields(version),
        "updated_at": version.updated_at,
        "owner": version.owner,
        ORDER_FIELD: order_document(version.version),
    }
    plan = plan_field(version)
    if plan is not None:
        doc[PLAN_FIELD] = plan
    return doc


def version_from(doc: Document) -> Version:
    return Version(
        id=str(doc["_id"]),
        app_id=str(doc.get("app_id", "")),
        version=str(doc.get("version", "")),
        channel_id=str(doc.get("channel_id", "")),
        published=doc.get("published") is True,
        critical=doc.get("critical") is True,
        required_intermediate=doc.get("required_intermediate") is True,
        artifacts=[artifact_from(a) for a in doc.get("artifacts") or [] if isinstance(a, dict)],
        changelog=[
            ChangelogEntry(
                version=str(c.get("version", "")),
                changes=str(c.get("changes", "")),
                date=str(c.get("date", "")),
            )
            for c in doc.get("changelog") or []
        ],
        updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
        owner=str(doc.get("owner", "")),
        rollout_percent=_int_or_none(doc.get("rollout_percent")),
        rollout_seed=_str_or_none(doc.get("rollout_seed")),
        rollout_plan=plan_from(doc.get(PLAN_FIELD), _utc),
    )


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _utc(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromtimestamp(0, UTC)
