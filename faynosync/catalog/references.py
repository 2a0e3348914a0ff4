"""How uploads and update checks name catalog items: the names' syntax, the lookups by name
(always within the owner's tenant), and the ids versions store for them."""

from __future__ import annotations

import re

from faynosync.catalog.kinds import KindRules
from faynosync.core import names
from faynosync.core.ids import ZERO_ID, InvalidId, parse_id
from faynosync.errors import APIError
from faynosync.store import Store
from faynosync.store.models import Kind, Meta
from faynosync.store.rules import LIST_CAP


async def name_of(store: Store, kind: Kind, meta_id: str) -> str:
    """The name of a channel, platform, arch or app by id; "" for the zero id or none."""
    if meta_id == ZERO_ID:
        return ""
    meta = await store.meta.get(kind, meta_id)
    return meta.name if meta else ""


async def owned(
    store: Store, kind: Kind, owner: str, ids: list[str], *, limit: int = LIST_CAP
) -> list[Meta]:
    """The owner's documents of this kind among ``ids``, in one query; entries that are no
    id are skipped (allowed lists may hold garbage such as "")."""
    parsed = []
    for entry in ids:
        try:
            parsed.append(parse_id(entry))
        except InvalidId:
            continue
    if not parsed:
        return []
    return await store.meta.list(kind, owner, ids=parsed, limit=limit)


def id_or_zero(meta: Meta | None) -> str:
    """The id a version or artifact stores for a channel, platform or arch: zero for none."""
    return meta.id if meta else ZERO_ID


def require_name_syntax(pattern: re.Pattern[str], value: str, what: str) -> None:
    if not names.matches(pattern, value):
        raise APIError(400, f"invalid {what} parameter")


def check_name_syntax(
    *, app_name: str, version: str, channel: str, platform: str, arch: str
) -> None:
    """The syntax of the names an upload or an update check carries, in the original's order."""
    require_name_syntax(names.APP_NAME, app_name, "app_name")
    require_name_syntax(names.VERSION, version, "version")
    require_name_syntax(names.CHANNEL, channel, "channel")
    require_name_syntax(names.PLATFORM, platform, "platform")
    require_name_syntax(names.ARCH, arch, "arch")


async def find_required_by_name(
    store: Store, rules: KindRules, name: str, owner: str
) -> Meta | None:
    """The channel, platform or arch a request names; one is required once the owner has any.

    The original checks these across all tenants; here they are the owner's only.
    """
    meta = await store.meta.get_by_name(rules.kind, name, owner) if name else None
    return await required_by_name(store, rules, name, owner, meta)


async def required_by_name(
    store: Store, rules: KindRules, name: str, owner: str, found: Meta | None
) -> Meta | None:
    """:func:`find_required_by_name` once the document of that name was looked up (``found``,
    None when there is none)."""
    if not name:
        if await store.meta.list(rules.kind, owner, limit=1):
            plural = rules.resource.value
            raise APIError(400, f"you have a created {plural}, setting {rules.label} is required")
        return None
    if found is None:
        raise unknown_name(rules)
    return found


def unknown_name(rules: KindRules) -> APIError:
    return APIError(400, f"wrong name of {rules.label}. {rules.label.capitalize()} does not exist")
