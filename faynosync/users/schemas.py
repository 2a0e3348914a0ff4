"""Team users as the API shows them (capitalised keys, ``null`` for empty ``Allowed``)."""

from __future__ import annotations

from faynosync.core.gojson import GoStruct
from faynosync.store.models import AppPermissions, Permissions, ResourcePermissions


def _resource_public(perm: ResourcePermissions) -> GoStruct:
    body = GoStruct(Create=perm.create, Delete=perm.delete, Edit=perm.edit)
    if isinstance(perm, AppPermissions):
        body["Download"] = perm.download
        body["Upload"] = perm.upload
    body["Allowed"] = list(perm.allowed) if perm.allowed else None
    return body


def permissions_public(permissions: Permissions) -> GoStruct:
    return GoStruct(
        Apps=_resource_public(permissions.apps),
        Channels=_resource_public(permissions.channels),
        Platforms=_resource_public(permissions.platforms),
        Archs=_resource_public(permissions.archs),
    )
