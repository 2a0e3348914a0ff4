"""Apps (the ``apps_meta`` documents with an ``app_name``): create, update, delete, logos.

Logos always go to the public bucket under ``{app}-{owner}/{app}-logo{ext}``. Everything is
checked before anything is written; a logo that a failed request stored is removed again, and
a replaced or deleted app's old logo is removed too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from faynosync import objects
from faynosync.access.permissions import Permission, Resource, allows
from faynosync.access.principal import Principal
from faynosync.catalog import service as catalog
from faynosync.catalog.kinds import APP
from faynosync.core import gotime
from faynosync.core.ids import new_id, new_report_key
from faynosync.errors import APIError
from faynosync.levels import ApiLevel
from faynosync.objects import ObjectRef
from faynosync.storage import InvalidKey, ObjectStorage, StorageError, StorageFull
from faynosync.storage.keys import check_key, check_new_key, content_type_for, extension
from faynosync.storage.staging import StagedFile
from faynosync.store import DuplicateKey, Store, StoreError
from faynosync.store.models import Meta, ReportKey

log = logging.getLogger(__name__)

_FLAG_FIELDS = ("tuf", "reports", "cdn")

LOGO_BUSY = "another request is storing this app's logo right now; try again"


def logo_key(app_name: str, username: str, filename: str) -> str:
    # The original names the key after the caller, even a team user (docs/behaviour.md#object-keys).
    return f"{app_name}-{username}/{app_name}-logo{extension(filename)}"


def _planned_logo(
    storage: ObjectStorage, principal: Principal, app_name: str, logo: StagedFile
) -> ObjectRef:
    key = logo_key(app_name, principal.username, logo.filename)
    try:
        check_key(key)
    except InvalidKey:
        raise APIError(400, "the app name cannot be used in a storage key") from None
    try:
        check_new_key(key)
    except InvalidKey as exc:
        raise APIError(400, str(exc)) from None
    return ObjectRef(key=key, link=storage.public_link(key), private=False)


@contextlib.asynccontextmanager
async def _logo_written(
    store: Store,
    storage: ObjectStorage,
    planned: ObjectRef | None,
    logo: StagedFile | None,
    own: str,
) -> AsyncIterator[None]:
    """Write the logo for the block (its key claimed, no other document's object replaced);
    if the block fails, the logo goes again unless a document holds it."""
    if planned is None or logo is None:
        yield
        return
    try:
        async with objects.claimed(store, [planned.key]):
            await objects.refuse_taken(store, [planned], own=own)
            try:
                await storage.put_file(
                    planned.key,
                    logo.path,
                    private=False,
                    content_type=content_type_for(logo.filename),
                )
            except StorageFull:
                raise
            except StorageError:
                log.exception("logo upload failed: %s", planned.key)
                raise APIError(500, "failed to upload logo to S3") from None
            try:
                yield
            except BaseException:
                await objects.undo(store, storage, [planned])
                raise
    except objects.KeyBusy:
        raise APIError(409, LOGO_BUSY) from None
    except objects.KeyTaken as exc:
        raise APIError(409, f"another file is stored under the same key: {exc.key}") from None


async def create_app(
    *,
    store: Store,
    storage: ObjectStorage,
    level: ApiLevel,
    principal: Principal,
    data: dict[str, str],
    logo: StagedFile | None,
) -> str:
    """``/app/create``: the form's ``data`` string map (``app`` required; ``private`` only for
    ``"true"``; at API level 2.1 ``tuf``, ``reports`` and ``cdn`` likewise) and an optional
    logo."""
    name, description = data.get("app", ""), data.get("description", "")
    if not name:
        raise APIError(400, "app is required")
    private = data.get("private") == "true"
    if await store.meta.get_by_name(APP.kind, name, principal.owner) is not None:
        raise APIError(500, APP.duplicate)
    planned = _planned_logo(storage, principal, name, logo) if logo else None
    meta = Meta(
        id=new_id(),
        kind=APP.kind,
        name=name,
        owner=principal.owner,
        updated_at=gotime.now(),
        logo=planned.link if planned else "",
        description=description,
        private=private,
    )
    if level.app_flags:
        meta.tuf, meta.reports, meta.cdn_edge = (data.get(f) == "true" for f in _FLAG_FIELDS)
    if meta.reports:
        _may_have_report_key(principal)
    async with _logo_written(store, storage, planned, logo, own=meta.id):
        app_id = await catalog.insert(store=store, principal=principal, rules=APP, meta=meta)
    if meta.reports:
        await _report_key_on(store, meta)
    return app_id


async def update_app(
    *,
    store: Store,
    storage: ObjectStorage,
    level: ApiLevel,
    principal: Principal,
    data: dict[str, str],
    logo: StagedFile | None,
) -> None:
    """``/app/update``: rename (``id`` and ``app`` required); the description and the logo
    change only when given (they cannot be cleared). At API level 2.1, the app is found in
    the caller's tenant first (404 ``app not found``), ``tuf`` is written from the form
    (absent: false) and ``reports`` and ``cdn`` when given."""
    raw_id, name, description = data.get("id", ""), data.get("app", ""), data.get("description", "")
    if not raw_id:
        raise APIError(400, "id is required")
    if not name:
        raise APIError(400, "app is required")
    app_id = catalog.parse_update_id(raw_id)
    if level.app_update_not_found:
        await _own_app(store, principal, app_id)
    meta = await catalog.editable(store=store, principal=principal, rules=APP, meta_id=app_id)
    old_logo = meta.logo
    planned = _planned_logo(storage, principal, name, logo) if logo else None
    meta.name = name
    if description:
        meta.description = description
    if planned:
        meta.logo = planned.link
    had_reports = meta.reports
    if level.app_flags:
        _edit_flags(meta, data)
    async with _logo_written(store, storage, planned, logo, own=meta.id):
        await catalog.save(store=store, meta=meta, flags=level.app_flags)
    if meta.reports and not had_reports:
        await _report_key_on(store, meta)
    elif had_reports and not meta.reports:
        await _report_key_off(store, meta)
    if planned and old_logo and old_logo != planned.link:
        await _give_up_logo(store, storage, old_logo)


def _edit_flags(meta: Meta, data: dict[str, str]) -> None:
    """v2.1's /app/update: ``tuf`` from the form (absent: false), ``reports`` and ``cdn`` when
    given."""
    meta.tuf = data.get("tuf") == "true"
    if "reports" in data:
        meta.reports = data["reports"] == "true"
    if "cdn" in data:
        meta.cdn_edge = data["cdn"] == "true"


def _may_have_report_key(principal: Principal) -> None:
    """A report key is made for the caller, who must be allowed to edit apps: checked before
    the app is written (FaynoSync creates the app first, then fails with this 500)."""
    user = principal.team_user
    if user is not None and not allows(user.permissions, Permission.EDIT, Resource.APPS):
        raise APIError(500, "you don't have permission to edit apps")


async def _report_key_on(store: Store, app: Meta) -> None:
    """The app's reports were switched on: it gets a report key, unless it has one."""
    now = gotime.now()
    key = ReportKey(
        id=new_id(),
        app_id=app.id,
        owner=app.owner,
        key_value=new_report_key(),
        created_at=now,
        updated_at=now,
    )
    try:
        await store.reports.insert_key(key)
    except DuplicateKey:
        pass  # one exists already (docs/compatibility.md#crash-and-event-reports)
    except StoreError as exc:
        raise APIError(500, str(exc)) from None


async def _report_key_off(store: Store, app: Meta) -> None:
    """The app's reports were switched off: its key goes (its clients get 401)."""
    try:
        await store.reports.delete_key(app.id, app.owner)
    except StoreError as exc:
        raise APIError(500, str(exc)) from None


async def delete_app(
    *, store: Store, storage: ObjectStorage, principal: Principal, app_id: str
) -> None:
    """Delete an app without versions, and its logo."""
    meta = await catalog.delete(store=store, principal=principal, rules=APP, meta_id=app_id)
    if meta.logo:
        await _give_up_logo(store, storage, meta.logo)


async def _give_up_logo(store: Store, storage: ObjectStorage, link: str) -> None:
    key = storage.public_key(link)
    if key:
        await objects.remove(store, storage, [ObjectRef(key=key, link=link, private=False)])


async def _own_app(store: Store, principal: Principal, app_id: str) -> None:
    """v2.1's first step of /app/update: the app of the caller's tenant, else 404; a team user
    without it in its list gets v2.1's bare 500."""
    app = await store.meta.get(APP.kind, app_id)
    if app is None or app.owner != principal.owner:
        raise APIError(404, "app not found")
    if not principal.may_use(APP.resource, app_id):
        raise APIError(500, "internal server error")
