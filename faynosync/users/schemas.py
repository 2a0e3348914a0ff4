"""Team users: the request bodies, and how the API shows them (capitalised permission keys,
``null`` for an empty ``Allowed``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from faynosync.core.gojson import GoStruct, required
from faynosync.core.gotime import format_local
from faynosync.http import openapi as doc
from faynosync.store.models import AppPermissions, Permissions, ResourcePermissions, TeamUser


def _resource_public(perm: ResourcePermissions) -> GoStruct:
    body = GoStruct(Create=perm.create, Delete=perm.delete, Edit=perm.edit)
    if isinstance(perm, AppPermissions):
        body["Download"] = perm.download
        body["Upload"] = perm.upload
    body["Allowed"] = list(perm.allowed) if perm.allowed else None
    return body


def _resource_schema(*extra: str) -> doc.Schema:
    flags = ("Create", "Delete", "Edit", *extra)
    return doc.obj({**{f: doc.BOOLEAN for f in flags}, "Allowed": doc.nullable_list(doc.STRING)})


# What permissions_public gives, as the API shows it.
PERMISSIONS = doc.obj(
    {
        "Apps": _resource_schema("Download", "Upload"),
        "Channels": _resource_schema(),
        "Platforms": _resource_schema(),
        "Archs": _resource_schema(),
    }
)


def permissions_public(permissions: Permissions) -> GoStruct:
    return GoStruct(
        Apps=_resource_public(permissions.apps),
        Channels=_resource_public(permissions.channels),
        Platforms=_resource_public(permissions.platforms),
        Archs=_resource_public(permissions.archs),
    )


@dataclass
class UserCreate:
    username: str = required(default="")
    password: str = required(default="")
    permissions: Permissions = field(default_factory=Permissions)


@dataclass
class UserUpdate:
    id: str = required(default="")
    username: str = required(default="")
    password: str = ""
    permissions: Permissions = field(default_factory=Permissions)


@dataclass
class UserDelete:
    id: str = required(default="")


USER = doc.obj(
    {"id": doc.ID, "username": doc.STRING, "permissions": PERMISSIONS, "updated_at": doc.TIME}
)


def user_public(user: TeamUser) -> GoStruct:
    """A /users/list item; ``updated_at`` in the server's local zone, as the original."""
    return GoStruct(
        id=user.id,
        username=user.username,
        permissions=permissions_public(user.permissions),
        updated_at=format_local(user.updated_at),
    )
