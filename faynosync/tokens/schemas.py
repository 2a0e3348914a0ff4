"""API tokens: the request bodies, and how the API shows a token."""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.core.gojson import GoStruct, required
from faynosync.core.gotime import format_utc
from faynosync.store.models import ApiToken


@dataclass
class TokenCreate:
    name: str = required(default="")
    allowed_apps: list[str] | None = required(default=None)
    expires_at: str | None = None  # RFC 3339; absent or null: never expires


@dataclass
class TokenDelete:
    id: str = required(default="")


def token_public(token: ApiToken) -> GoStruct:
    """A /token/list item: never the hash; dates in UTC, milliseconds, as read from BSON."""
    item = GoStruct(
        id=token.id,
        name=token.name,
        token_prefix=token.token_prefix,
        allowed_apps=list(token.allowed_apps),
    )
    if token.expires_at is not None:
        item["expires_at"] = format_utc(token.expires_at)
    item["created_at"] = format_utc(token.created_at)
    if token.last_used_at is not None:
        item["last_used_at"] = format_utc(token.last_used_at)
    return item
