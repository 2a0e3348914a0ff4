"""Team users: the request bodies, and how the API shows them (capitalised permission keys,
``null`` for an empty ``Allowed``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from faynosync.access.permissions import permissions_public
from faynosync.core.gojson import GoStruct, required
from faynosync.core.gotime import format_local
from faynosync.store.models import Permissions, TeamUser


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


def user_public(user: TeamUser) -> GoStruct:
    """A /users/list item; ``updated_at`` in the server's local zone, as the original."""
    return GoStruct(
        id=user.id,
        username=user.username,
        permissions=permissions_public(user.permissions),
        updated_at=format_local(user.updated_at),
    )
