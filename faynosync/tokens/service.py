"""API tokens for CI (FaynoSync v2.1, docs/behaviour.md#api-tokens): created, listed and
revoked by their admin, and how a request authenticates with one.

A token is ``fns_`` and 64 hex digits; only its sha256 and its first 12 characters are kept.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta, timezone

from faynosync.access.principal import Principal
from faynosync.catalog.references import owned
from faynosync.core import gotime
from faynosync.core.ids import InvalidId, new_id, parse_id
from faynosync.errors import APIError
from faynosync.store import Store, StoreError
from faynosync.store.models import ApiToken, Kind
from faynosync.tokens.schemas import token_public

log = logging.getLogger(__name__)

PREFIX = "fns_"
INVALID_BODY = "Invalid request body"
# Go's time.RFC3339 as time.Parse reads it (fraction of any length, Z or an offset).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


def hash_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def looks_like_token(raw: str) -> bool:
    return raw.startswith(PREFIX)


# --- create, list, delete ---------------------------------------------------------------------


async def create(
    *,
    store: Store,
    admin: Principal,
    name: str,
    allowed_apps: list[str] | None,
    expires_at: str | None,
) -> dict[str, object]:
    """``POST /token/create``: the new token, shown this once (a map: keys sorted)."""
    if not allowed_apps:
        raise APIError(400, INVALID_BODY)
    expiry, expiry_text = _expiry(expires_at)
    if expiry is not None and expiry < datetime.now(UTC):
        raise APIError(400, "expires_at must be in the future")
    apps = await _own_apps(store, admin.owner, allowed_apps)
    raw = PREFIX + secrets.token_hex(32)
    created = datetime.now().astimezone()
    token = ApiToken(
        id=new_id(),
        name=name,
        token_hash=hash_of(raw),
        token_prefix=raw[: len(PREFIX) + 8],
        owner=admin.owner,
        allowed_apps=apps,
        expires_at=expiry,
        created_at=gotime.truncate_millis(created),
    )
    try:
        await store.api_tokens.insert(token)
    except StoreError:
        raise APIError(500, "Failed to create token") from None
    return {
        "allowed_apps": apps,
        "created_at": gotime.format_nano(created),
        "expires_at": expiry_text,
        "id": token.id,
        "name": name,
        "token": raw,
        "token_prefix": token.token_prefix,
    }


def _expiry(text: str | None) -> tuple[datetime | None, str | None]:
    """The expiry as a time, and as Go writes the parsed value back (its own zone)."""
    if text is None:
        return None, None
    found = _RFC3339.fullmatch(text)
    if found is None:
        raise APIError(400, INVALID_BODY)
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    fraction, zone = found.group(7) or "", found.group(8)
    offset = timedelta(0) if zone == "Z" else _offset(zone)
    try:
        value = datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            int((fraction + "000000")[:6]),
            timezone(offset),
        )
    except ValueError:
        raise APIError(400, INVALID_BODY) from None
    digits = fraction.rstrip("0")[:9]
    shown_zone = "Z" if offset == timedelta(0) else zone
    return value, text[:19] + (f".{digits}" if digits else "") + shown_zone


def _offset(zone: str) -> timedelta:
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        raise APIError(400, INVALID_BODY)
    sign = -1 if zone[0] == "-" else 1
    return sign * timedelta(hours=hours, minutes=minutes)


async def _own_apps(store: Store, owner: str, wanted: list[str]) -> list[str]:
    """The ids, de-duplicated in order, once each is an app of the admin's (one query)."""
    try:
        ids = list(dict.fromkeys(parse_id(text) for text in wanted))
    except InvalidId:
        raise APIError(400, "one or more allowed_apps are invalid") from None
    apps = await owned(store, Kind.APP, owner, ids, limit=len(ids))
    if len(apps) != len(ids) or not all(app.name for app in apps):
        raise APIError(400, "one or more allowed_apps are invalid")
    return ids


async def list_tokens(*, store: Store, admin: Principal) -> dict[str, object]:
    try:
        tokens = await store.api_tokens.list(admin.owner)
    except StoreError:
        raise APIError(500, "Failed to list tokens") from None
    return {"tokens": [token_public(token) for token in tokens]}


async def delete(*, store: Store, admin: Principal, token_id: str) -> None:
    try:
        token_id = parse_id(token_id)
    except InvalidId:
        raise APIError(400, "Invalid token ID format") from None
    try:
        deleted = await store.api_tokens.delete(token_id, admin.owner)
    except StoreError:
        raise APIError(500, "Failed to delete token") from None
    if not deleted:
        raise APIError(404, "Token not found")


# --- authentication ---------------------------------------------------------------------------


async def authenticate(*, store: Store, raw: str) -> ApiToken:
    """The token a request presents (after its JWT check failed): 401 when unknown or
    expired; its ``last_used_at`` is set."""
    try:
        token = await store.api_tokens.get_by_hash(hash_of(raw))
    except StoreError:
        token = None
    if token is None:
        raise APIError(401, "invalid or expired token")
    now = gotime.now()
    if token.expires_at is not None and token.expires_at < now:
        raise APIError(401, "token expired")
    try:
        await store.api_tokens.used(token.id, now)
    except StoreError as exc:
        log.warning("last_used_at of API token %s not written: %s", token.id, exc)
    return token
