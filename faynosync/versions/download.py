"""``GET /download``: a short-lived link to an object of the private bucket
(docs/behaviour.md#downloads)."""

from __future__ import annotations

from faynosync.access.permissions import Resource
from faynosync.access.principal import Principal
from faynosync.errors import APIError
from faynosync.storage import InvalidKey, ObjectStorage, StorageError
from faynosync.storage.keys import check_key
from faynosync.storage.links import Links
from faynosync.store import Store

FAILED = "Failed to generate pre-signed URL"


async def presigned_url(
    *,
    store: Store,
    storage: ObjectStorage,
    links: Links,
    key: str,
    principal: Principal | None,
) -> str:
    """Sign ``key`` for 15 minutes.

    With a caller (downloads need a token), the key must be an artifact of the caller's
    tenant, and a team user must have its app in its allowed list; the original signs any key.
    """
    try:
        check_key(key)
    except InvalidKey:
        raise APIError(400, FAILED) from None
    if principal is not None:
        version = await store.versions.with_private_link(links.private(key))
        if version is None or version.owner != principal.owner:
            raise APIError(404, "artifact not found")
        if not principal.may_use(Resource.APPS, version.app_id):
            raise APIError(403, "Permission denied")
    try:
        return await storage.presign(key)
    except StorageError:
        raise APIError(500, FAILED) from None
