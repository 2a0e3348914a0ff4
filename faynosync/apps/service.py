"""Apps (the ``apps_meta`` documents with an ``app_name``): create, update, delete, logos.

Logos always go to the public bucket under ``{app}-{owner}/{app}-logo{ext}``. Everything is
checked before anything is written; a logo that a failed request stored is removed again, and
a replaced or deleted app's old logo is removed too.
"""

from __future__ import annotations

import logging

from faynosync.auth.service import Principal
from faynosync.catalog import service as catalog
from faynosync.catalog.kinds import APP
from faynosync.core import gotime
from faynosync.core.ids import new_id
from faynosync.errors import APIError
from faynosync.http.inputs import FormFile
from faynosync.storage import InvalidKey, ObjectStorage, StorageError, delete_quietly
from faynosync.storage.keys import check_key, check_new_key, content_type_for
from faynosync.store import Store
from faynosync.store.models import Meta
from faynosync.versions.layout import extension

log = logging.getLogger(__name__)


def logo_key(app_name: str, username: str, filename: str) -> str:
    # The original names the key after the caller, even a team user (Q19).
    return f"{app_name}-{username}/{app_name}-logo{extension(filename)}"


async def _store_logo(
    storage: ObjectStorage, principal: Principal, app_name: str, logo: FormFile
) -> tuple[str, str]:
    key = logo_key(app_name, principal.username, logo.filename)
    try:
        check_key(key)
    except InvalidKey:
        raise APIError(400, "the app name cannot be used in a storage key") from None
    try:
        check_new_key(key)
    except InvalidKey as exc:
        raise APIError(400, str(exc)) from None
    try:
        await storage.put_file(
            key, logo.path, private=False, content_type=content_type_for(logo.filename)
        )
    except StorageError:
        log.exception("logo upload failed: %s", key)
        raise APIError(500, "failed to upload logo to S3") from None
    return key, storage.public_link(key)


async def _discard(storage: ObjectStorage, key: str | None) -> None:
    """Remove an object nothing refers to any more; a failure is logged, not answered."""
    if key:
        await delete_quietly(storage, key, private=False)


async def create_app(
    *,
    store: Store,
    storage: ObjectStorage,
    principal: Principal,
    name: str,
    description: str,
    private: bool,
    logo: FormFile | None,
) -> str:
    if await store.meta.get_by_name(APP.kind, name, principal.owner) is not None:
        raise APIError(500, APP.duplicate)
    key, link = await _store_logo(storage, principal, name, logo) if logo else (None, "")
    meta = Meta(
        id=new_id(),
        kind=APP.kind,
        name=name,
        owner=principal.owner,
        updated_at=gotime.now(),
        logo=link,
        description=description,
        private=private,
    )
    try:
        return await catalog.insert(store=store, principal=principal, rules=APP, meta=meta)
    except APIError:
        await _discard(storage, key)
        raise


async def update_app(
    *,
    store: Store,
    storage: ObjectStorage,
    principal: Principal,
    app_id: str,
    name: str,
    description: str,
    logo: FormFile | None,
) -> None:
    """Rename; description and logo change only when given (they cannot be cleared)."""
    meta = await catalog.editable(store=store, principal=principal, rules=APP, meta_id=app_id)
    old_key = storage.public_key(meta.logo) if meta.logo else None
    key, link = await _store_logo(storage, principal, name, logo) if logo else (None, "")
    meta.name = name
    if description:
        meta.description = description
    if link:
        meta.logo = link
    try:
        await catalog.save(store=store, meta=meta)
    except APIError:
        if key != old_key:
            await _discard(storage, key)
        raise
    if key and old_key != key:
        await _discard(storage, old_key)


async def delete_app(
    *, store: Store, storage: ObjectStorage, principal: Principal, app_id: str
) -> None:
    """Delete an app without versions, and its logo."""
    meta = await catalog.delete(store=store, principal=principal, rules=APP, meta_id=app_id)
    if meta.logo:
        await _discard(storage, storage.public_key(meta.logo))
