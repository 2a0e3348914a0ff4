"""How the catalog routes' answers are described in /openapi.json."""

from __future__ import annotations

from faynosync.catalog.kinds import KindRules
from faynosync.http import openapi as doc
from faynosync.store.models import Kind

_UPDATERS = doc.nullable_list(doc.obj({"type": doc.STRING, "default": doc.BOOLEAN}))
_ITEM_FIELDS: dict[Kind, dict[str, doc.Schema]] = {
    Kind.APP: {
        "AppName": doc.STRING,
        "Logo": doc.STRING,
        "Private": doc.BOOLEAN,
        "Description": doc.STRING,
    },
    Kind.CHANNEL: {"ChannelName": doc.STRING},
    Kind.PLATFORM: {"PlatformName": doc.STRING, "Updaters": _UPDATERS},
    Kind.ARCH: {"ArchID": doc.STRING},
}
UPDATER_ERRORS = (
    "updaters that are not valid (`at least one updater is required`, `invalid updater type: "
    "<t>…`, `duplicate updater type: <t>`, `exactly one updater must be set as default`, "
    "`only one updater can be set as default`)"
)


def item_schema(kind: Kind) -> doc.Schema:
    """A list item as ``meta_public`` gives it."""
    flags = {name: doc.BOOLEAN for name in ("Tuf", "Reports", "CdnEdge")}  # API level 2.1
    return doc.obj(
        {"ID": doc.ID, **_ITEM_FIELDS[kind], "Owner": doc.STRING, "Updated_at": doc.TIME},
        flags if kind is Kind.APP else None,
    )


def listed(rules: KindRules) -> doc.Responses:
    """The answers of ``GET /<kind>/list``."""
    return doc.answers(
        doc.ok(
            {rules.list_key: doc.nullable_list(item_schema(rules.kind))},
            example={rules.list_key: None},
        ),
        doc.TOKEN,
    )


def created(rules: KindRules, *more: doc.Responses) -> doc.Responses:
    """The answers of a create route; ``more`` has its own (400s, 413, other 500s)."""
    return doc.answers(
        doc.ok({rules.created_key: doc.ID}, example={rules.created_key: "653a…"}),
        *more,
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(
            500,
            f"As FaynoSync, the tenant has a {rules.label} of that name: `{rules.duplicate}`.",
        ),
    )


def updated(rules: KindRules, *more: doc.Responses) -> doc.Responses:
    """The answers of an update route (the original's 500s past the guard included)."""
    label, plural = rules.label, rules.resource.value
    return doc.answers(
        doc.ok({rules.updated_key: doc.const(True)}),
        *more,
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(
            500,
            f"As FaynoSync: no {label} of this id (`{label} not found`), another tenant's "
            f"(`you don't have permission to update this {label}`), not in a team user's "
            f"allowed list (`… as it's not in your allowed {plural} list`), or the new name "
            "is taken (the database's text: `write exception: write errors: [E11000 "
            "duplicate key error …]`).",
        ),
    )


def deleted(rules: KindRules) -> doc.Responses:
    """The answers of ``DELETE /<kind>/delete?id=``."""
    label, plural = rules.label, rules.resource.value
    return doc.answers(
        doc.ok({rules.deleted_key: doc.const(1)}),
        doc.BAD_ID,
        doc.TOKEN,
        doc.PERMISSION,
        doc.error(
            500,
            f'As FaynoSync, `{{"details":…,"error":"failed to delete {label}"}}` with the '
            f'reason: `no document found with ID ObjectID("<id>")`, `you don\'t have '
            f"permission to delete this {label}`, `… as it's not in your allowed {plural} "
            "list`, `you can't delete this item because it is related to other items`.",
        ),
    )
