"""How team users and their permissions are described in /openapi.json."""

from __future__ import annotations

from faynosync.http import openapi as doc


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


USER = doc.obj(
    {"id": doc.ID, "username": doc.STRING, "permissions": PERMISSIONS, "updated_at": doc.TIME}
)
