"""Rules shared by apps, channels, platforms and archs: ownership, allowed lists, lifecycle.

Every lookup is scoped to the caller's tenant (the admin, or a team user's admin), and a
document is only ever found as the kind the route names.
"""

from __future__ import annotations

import logging

from faynosync.access.principal import Principal
from faynosync.catalog import platform_updaters
from faynosync.catalog.kinds import KindRules
from faynosync.catalog.references import owned
from faynosync.core import gotime
from faynosync.core.ids import InvalidId, new_id, parse_id
from faynosync.core.names import matches
from faynosync.errors import APIError
from faynosync.store import DuplicateKey, Store
from faynosync.store.models import Kind, Meta, Updater

log = logging.getLogger(__name__)


def check_new_name(rules: KindRules, name: str) -> None:
    """The name a create or a rename gives follows the kind's pattern (apps have none)."""
    if rules.name_pattern is not None and not matches(rules.name_pattern, name):
        raise APIError(400, rules.invalid_name)


def parse_update_id(text: str) -> str:
    """The id of an update body; a malformed one is a 400 ``invalid id format``."""
    try:
        return parse_id(text)
    except InvalidId:
        raise APIError(400, "invalid id format") from None


def _without_first(items: list[str], item: str) -> list[str]:
    index = items.index(item) if item in items else len(items)
    return items[:index] + items[index + 1 :]


async def insert(*, store: Store, principal: Principal, rules: KindRules, meta: Meta) -> str:
    """Store a new document of the caller's tenant; a team user gets access to it."""
    try:
        await store.meta.insert(meta)
    except DuplicateKey:
        raise APIError(500, rules.duplicate) from None
    user = principal.team_user
    if user is not None and not principal.may_use(rules.resource, meta.id):
        resource = getattr(user.permissions, rules.resource.value)
        resource.allowed = [*(resource.allowed or []), meta.id]
        await store.team_users.set_permissions(user.id, user.permissions)
    return meta.id


async def create(
    *,
    store: Store,
    principal: Principal,
    rules: KindRules,
    name: str,
    updaters: list[Updater] | None = None,
    updater_types: tuple[str, ...] = platform_updaters.UPDATER_TYPES,
) -> str:
    """A new channel, platform or arch of the caller's tenant; returns its id.

    A platform's updaters are checked against ``updater_types`` (the API level's), a manual
    default when none are given.
    """
    check_new_name(rules, name)
    if rules.kind is Kind.PLATFORM:
        updaters = platform_updaters.for_new_platform(updaters, updater_types)
    meta = Meta(
        id=new_id(),
        kind=rules.kind,
        name=name,
        owner=principal.owner,
        updated_at=gotime.now(),
        updaters=updaters,
    )
    return await insert(store=store, principal=principal, rules=rules, meta=meta)


async def update(
    *,
    store: Store,
    principal: Principal,
    rules: KindRules,
    raw_id: str,
    name: str,
    updaters: list[Updater] | None = None,
    updater_types: tuple[str, ...] = platform_updaters.UPDATER_TYPES,
) -> None:
    """Rename a channel, platform or arch; a platform's updaters are replaced (and checked)."""
    check_new_name(rules, name)
    if rules.kind is Kind.PLATFORM:
        updaters = platform_updaters.validate(updaters or [], updater_types)
    meta = await editable(
        store=store, principal=principal, rules=rules, meta_id=parse_update_id(raw_id)
    )
    meta.name = name
    if rules.kind is Kind.PLATFORM:
        meta.updaters = updaters
    await save(store=store, meta=meta)


async def editable(*, store: Store, principal: Principal, rules: KindRules, meta_id: str) -> Meta:
    """The document the caller may update, or the original's 500 saying why not."""
    meta = await store.meta.get(rules.kind, meta_id)
    if meta is None:
        raise APIError(500, f"{rules.label} not found")
    if meta.owner != principal.owner:
        raise APIError(500, f"you don't have permission to update this {rules.label}")
    if not principal.may_use(rules.resource, meta.id):
        raise APIError(
            500,
            f"you don't have permission to update this {rules.label} as it's not in your "
            f"allowed {rules.resource.value} list",
        )
    return meta


async def save(*, store: Store, meta: Meta, flags: bool = False) -> None:
    """Write an edited document (an app's flags too with ``flags``, at API level 2.1)."""
    meta.updated_at = gotime.now()
    try:
        await store.meta.update(meta, flags=flags)
    except DuplicateKey as exc:
        # The original answers with the database's own duplicate-key text.
        raise APIError(500, str(exc)) from None


async def delete(*, store: Store, principal: Principal, rules: KindRules, meta_id: str) -> Meta:
    """Delete a document nothing refers to; its id leaves every team user's allowed list."""

    def refused(details: str) -> APIError:
        return APIError(500, f"failed to delete {rules.label}", details=details)

    meta = await store.meta.get(rules.kind, meta_id)
    if meta is None:
        raise refused(f'no document found with ID ObjectID("{meta_id}")')
    if meta.owner != principal.owner:
        raise refused(f"you don't have permission to delete this {rules.label}")
    if not principal.may_use(rules.resource, meta.id):
        raise refused(
            f"you don't have permission to delete this {rules.label} as it's not in your "
            f"allowed {rules.resource.value} list"
        )
    related = refused("you can't delete this item because it is related to other items")
    if await store.versions.references(rules.kind, meta.id):
        raise related
    if not await store.meta.delete(rules.kind, meta.id):
        # A concurrent request deleted it first: that one reports the deletion.
        raise refused(f'no document found with ID ObjectID("{meta_id}")')
    if await store.versions.references(rules.kind, meta.id):
        # An upload wrote a version using it in the meantime: the delete loses, and the
        # upload, which checks again after writing, keeps its version.
        try:
            await store.meta.insert(meta)
        except DuplicateKey:
            log.error("%s %s was deleted while a version took it up", rules.label, meta.id)
        raise related
    for user in await store.team_users.list_allowing(rules.resource.value, meta.id):
        resource = getattr(user.permissions, rules.resource.value)
        # As the original: only the first occurrence goes.
        resource.allowed = _without_first(resource.allowed or [], meta.id) or None
        await store.team_users.set_permissions(user.id, user.permissions)
    return meta


async def visible(*, store: Store, viewer: Principal, rules: KindRules) -> list[Meta]:
    """What a list shows: the admin's documents, or those in a team user's allowed list (or
    an API token's apps)."""
    allowed = viewer.allowed(rules.resource)
    if allowed is None:
        return await store.meta.list(rules.kind, viewer.owner)
    return await owned(store, rules.kind, viewer.owner, allowed)
