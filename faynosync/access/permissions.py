"""The permission matrix of team users: which flag guards which route, and how the API shows
a team user's permissions.

See docs/behaviour.md#permissions.
"""

from __future__ import annotations

from enum import StrEnum

from faynosync.core.gojson import GoStruct
from faynosync.store.models import AppPermissions, Permissions, ResourcePermissions


class Resource(StrEnum):
    APPS = "apps"
    CHANNELS = "channels"
    PLATFORMS = "platforms"
    ARCHS = "archs"


class Permission(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    EDIT = "edit"
    DOWNLOAD = "download"
    UPLOAD = "upload"


def allows(permissions: Permissions, permission: Permission, resource: Resource) -> bool:
    """The flag for (resource, permission); combinations that do not exist are false."""
    return bool(getattr(getattr(permissions, resource.value), permission.value, False))


def allowed_ids(permissions: Permissions, resource: Resource) -> list[str]:
    """The resource's allowed list (empty when absent): what a team user may act on."""
    allowed: list[str] = getattr(permissions, resource.value).allowed or []
    return allowed


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
