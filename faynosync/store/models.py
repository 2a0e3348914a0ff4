"""The records the store keeps, shaped as FaynoSync's MongoDB documents (spec section 4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar


@dataclass
class Admin:
    id: str
    username: str
    password: str
    updated_at: datetime


@dataclass
class ResourcePermissions:
    """Flags and ``allowed`` ids of a team user for channels, platforms or archs."""

    create: bool = False
    delete: bool = False
    edit: bool = False
    allowed: list[str] | None = None


@dataclass
class AppPermissions(ResourcePermissions):
    download: bool = False
    upload: bool = False


@dataclass
class Permissions:
    """A team user's permission matrix; also the shape a request binds to (lowercase keys)."""

    apps: AppPermissions = field(default_factory=AppPermissions)
    channels: ResourcePermissions = field(default_factory=ResourcePermissions)
    platforms: ResourcePermissions = field(default_factory=ResourcePermissions)
    archs: ResourcePermissions = field(default_factory=ResourcePermissions)

    def to_document(self) -> dict[str, Any]:
        """The stored form: lowercase keys in Go's field order, ``allowed`` omitted when empty."""
        return {f.name: _resource_document(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> Permissions:
        doc = doc or {}
        return cls(
            apps=_resource_from(AppPermissions, doc.get("apps")),
            channels=_resource_from(ResourcePermissions, doc.get("channels")),
            platforms=_resource_from(ResourcePermissions, doc.get("platforms")),
            archs=_resource_from(ResourcePermissions, doc.get("archs")),
        )


R = TypeVar("R", bound=ResourcePermissions)

_FLAG_ORDER = ("create", "delete", "edit", "download", "upload")


def _resource_document(perm: ResourcePermissions) -> dict[str, Any]:
    doc: dict[str, Any] = {name: getattr(perm, name) for name in _FLAG_ORDER if hasattr(perm, name)}
    if perm.allowed:
        doc["allowed"] = list(perm.allowed)
    return doc


def _resource_from(cls: type[R], doc: Any) -> R:
    doc = doc if isinstance(doc, dict) else {}
    kwargs: dict[str, Any] = {
        f.name: bool(doc.get(f.name, False)) for f in fields(cls) if f.name != "allowed"
    }
    allowed = doc.get("allowed")
    kwargs["allowed"] = [str(a) for a in allowed] if isinstance(allowed, list) else None
    return cls(**kwargs)


@dataclass
class TeamUser:
    id: str
    username: str
    password: str
    owner: str
    permissions: Permissions
    updated_at: datetime
