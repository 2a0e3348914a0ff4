"""The permission matrix of team users: which flag guards which route.

See docs/behaviour.md#permissions.
"""

from __future__ import annotations

from enum import StrEnum

from faynosync.store.models import Permissions


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
