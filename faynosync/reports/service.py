"""Crash and event reports (FaynoSync v2.1, docs/behaviour.md#crash-and-event-reports): report
keys, the public ingest, and the triage of groups and their detail blobs.

Every read and write is scoped to the caller's tenant and, for a team user, to its apps; the
ingest to the key's app. Everything the public ingest sends is checked against its limits
before anything is stored.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta

from faynosync.access.permissions import Resource
from faynosync.access.principal import Principal
from faynosync.config import Settings
from faynosync.core import gojson, gotime
from faynosync.core.gojson import GoStruct
from faynosync.core.gostrconv import parse_int
from faynosync.core.ids import REPORT_KEY_PREFIX, InvalidId, new_id, new_report_key, parse_id
from faynosync.errors import APIError
from faynosync.reports import details as report_details
from faynosync.reports.limits import Counters, Limit, allowed
from faynosync.reports.schemas import (
    GroupPatch,
    Ingest,
    blob_public,
    group_public,
    key_public,
)
from faynosync.storage import ObjectStorage, StorageError
from faynosync.store import Store, StoreError
from faynosync.store.models import (
    GroupChange,
    GroupFilter,
    Kind,
    ReportBlob,
    ReportGroup,
    ReportKey,
    ReportSubject,
)

log = logging.getLogger(__name__)

INTERNAL = "internal server error"
INVALID_KEY = "invalid report key"
EVENT_TYPES = frozenset(
    {"crash", "startup_failure", "update_failure", "install_failure", "rollback_failure"}
)
STATUSES = frozenset({"open", "resolved", "muted"})
BLOBS_SHOWN = 50
GROUP_PER_MINUTE = 30
DEVICE_GROUP_PER_HOUR = 1
MAX_TAGS = 20
MAX_NOTE_BYTES = 2000
EXPIRED_PER_REPORT = 10  # expired blobs of any group removed after each stored details
_HASH = re.compile(r"[a-f0-9]{64}")
_TAG = re.compile(r"[a-zA-Z0-9._-]{1,64}", re.ASCII)
# (field, its name in messages, its pattern), in the order FaynoSync checks them.
_FIELDS = (
    ("app_name", "application.name", re.compile(r"[a-zA-Z0-9\- ]+", re.ASCII)),
    ("version", "application.version", re.compile(r"[0-9.-]+", re.ASCII)),
    ("channel", "application.channel", re.compile(r"[a-zA-Z0-9]*", re.ASCII)),
    ("platform", "system.platform", re.compile(r"[a-zA-Z0-9-]*", re.ASCII)),
    ("arch", "system.arch", re.compile(r"[a-zA-Z0-9]*", re.ASCII)),
    ("type", "event.type", None),
    ("reason", "event.reason", re.compile(r"[a-zA-Z0-9._-]{1,128}", re.ASCII)),
)
# The query parameters of /reports/groups that match a field exactly.
_QUERY_FIELDS = (
    ("app", "app_name"),
    ("version", "version"),
    ("channel", "channel"),
    ("platform", "platform"),
    ("arch", "arch"),
    ("type", "type"),
    ("reason", "reason"),
)


def _failed(exc: Exception, message: str = INTERNAL) -> APIError:
    log.error("reports: %s", exc)
    return APIError(500, message)


def _apps_of(principal: Principal) -> list[str] | None:
    """The caller's apps: None for all of the tenant's, else the valid ids of its list."""
    allowed_ids = principal.allowed(Resource.APPS)
    if allowed_ids is None:
        return None
    valid = []
    for text in allowed_ids:
        try:
            valid.append(parse_id(text))
        except InvalidId:
            continue
    return valid


def group_hash(subject: ReportSubject) -> str:
    """The hex sha256 of the subject's fields joined by ``|``."""
    joined = "|".join(
        (
            subject.app_name,
            subject.version,
            subject.channel,
            subject.platform,
            subject.arch,
            subject.type,
            subject.reason,
        )
    )
    return hashlib.sha256(joined.encode("utf-8", "replace")).hexdigest()


def check_hash(text: str) -> str:
    if not _HASH.fullmatch(text):
        raise APIError(400, "invalid group hash")
    return text


# --- report keys ------------------------------------------------------------------------------


async def list_keys(*, store: Store, principal: Principal) -> dict[str, object]:
    """``GET /report-keys/list``: an admin's keys, or a team user's apps' ones."""
    apps = _apps_of(principal)
    if apps is not None and not apps:
        return {"report_keys": []}
    try:
        keys = await store.reports.keys(principal.owner, apps)
    except StoreError as exc:
        raise _failed(exc, str(exc)) from None
    return {"report_keys": [key_public(key) for key in keys] or None}


async def regenerate(*, store: Store, principal: Principal, app_id: str) -> dict[str, object]:
    """``POST /report-keys/regenerate``: a new value for the app's key."""
    try:
        parsed = parse_id(app_id)
    except InvalidId:
        raise APIError(400, "Invalid app ID format") from None
    if not principal.may_use(Resource.APPS, parsed):
        raise APIError(500, "you don't have access to this app")
    try:
        app = await store.meta.get(Kind.APP, parsed)
        if app is None or app.owner != principal.owner or not app.name:
            raise APIError(500, "app not found")
        if not app.reports:
            raise APIError(500, "reports are disabled for this app")
        key = await store.reports.key_of_app(parsed)
        if key is None:
            raise APIError(500, f"report key for app {parsed} not found")
        value = new_report_key()
        await store.reports.set_key_value(key.id, value, gotime.now())
    except StoreError as exc:
        raise _failed(exc, str(exc)) from None
    return {"app_id": app_id, "key_value": value}


# --- ingest -----------------------------------------------------------------------------------


def bearer_key(authorization: str) -> str:
    """The value after ``Bearer `` (any case), trimmed; "" when there is none."""
    if len(authorization) < 7 or authorization[:7].lower() != "bearer ":
        return ""
    return authorization[7:].strip()


async def ingest_key(*, store: Store, authorization: str, device: str) -> ReportKey:
    """The first checks of ``POST /reports/ingest``, before the body is read: the key, the
    device, the app's reports flag."""
    raw = bearer_key(authorization)
    if not raw:
        raise APIError(401, INVALID_KEY)
    if not device.strip():
        raise APIError(400, "missing X-Device-ID")
    if not raw.startswith(REPORT_KEY_PREFIX) or len(raw) > 128:
        raise APIError(401, INVALID_KEY)  # no stored key looks otherwise: no query
    try:
        key = await store.reports.key_by_value(raw)
    except StoreError as exc:
        raise _failed(exc) from None
    if key is None:
        raise APIError(401, INVALID_KEY)
    if not key.app_reports:
        raise APIError(403, "reports are disabled for this app")
    return key


def _subject_of(body: Ingest) -> ReportSubject:
    subject = ReportSubject(
        app_name=body.application.name,
        version=body.application.version,
        channel=body.application.channel,
        platform=body.system.platform,
        arch=body.system.arch,
        type=body.event.type,
        reason=body.event.reason,
    )
    for field, label, _ in _FIELDS:
        if not getattr(subject, field):
            raise APIError(400, f"missing {label}")
    for field, label, pattern in _FIELDS:
        value = getattr(subject, field)
        valid = value in EVENT_TYPES if pattern is None else pattern.fullmatch(value)
        if not valid:
            raise APIError(400, f"invalid {label}")
    return subject


def address_bucket(ip: str) -> str:
    """What the per-address limit counts: an IPv4 address, an IPv6 address's /64 (one host
    commonly holds a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _limits(settings: Settings, key: ReportKey, device: str, ip: str, hashed: str) -> list[Limit]:
    """FaynoSync's limits, each scoped to the key's app (its per-group one is shared across
    tenants), and ours: per client address, per tenant."""
    device_hash = hashlib.sha256(device.encode("utf-8", "replace")).hexdigest()[:32]
    return [
        Limit(f"key:{key.key_value}:minute", 60, settings.REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE),
        Limit(f"ip:{address_bucket(ip)}:minute", 60, settings.FAYNOSYNC_REPORTS_PER_IP_PER_MINUTE),
        Limit(f"tenant:{key.owner}:hour", 3600, settings.FAYNOSYNC_REPORTS_PER_TENANT_PER_HOUR),
        Limit(f"device:{key.app_id}:{device_hash}:{hashed}:hour", 3600, DEVICE_GROUP_PER_HOUR),
        Limit(f"group:{key.app_id}:{hashed}:minute", 60, GROUP_PER_MINUTE),
    ]


async def ingest(
    *,
    store: Store,
    storage: ObjectStorage,
    counters: Counters,
    settings: Settings,
    key: ReportKey,
    device: str,
    ip: str,
    raw: bytes,
) -> GoStruct:
    """The rest of ``POST /reports/ingest`` once the body is read (within its limit): 202's
    body, or the refusal."""
    try:
        body = gojson.bind(gojson.first_value(raw), Ingest)
    except gojson.DecodeError:
        raise APIError(400, "invalid request body") from None
    subject = _subject_of(body)
    if subject.app_name != key.app_name:
        raise APIError(403, "report key does not belong to this application")
    hashed = group_hash(subject)
    if not await allowed(counters, _limits(settings, key, device.strip(), ip, hashed)):
        raise APIError(429, "rate limit exceeded")
    now = gotime.now()
    group = ReportGroup(
        id=new_id(),
        group_hash=hashed,
        app_id=key.app_id,
        owner=key.owner,
        subject=subject,
        status="open",
        count=1,
        first_seen=now,
        last_seen=now,
        details_stored=0,
        details_rejected=0,
        created_at=now,
        updated_at=now,
    )
    try:
        await store.reports.record(group)
    except StoreError as exc:
        raise _failed(exc) from None
    stored = False
    if body.details is not None:
        stored = await _keep_details(store, storage, settings, group, body, now)
    return GoStruct(status="accepted", group_hash=hashed, stored_details=stored)


async def _keep_details(
    store: Store,
    storage: ObjectStorage,
    settings: Settings,
    group: ReportGroup,
    body: Ingest,
    now: datetime,
) -> bool:
    assert body.details is not None
    try:
        decoded = report_details.decode(
            encoding=body.details.encoding,
            content_type=body.details.content_type,
            payload=body.details.payload,
            max_compressed=settings.REPORTS_MAX_DETAILS_COMPRESSED_BYTES,
            max_decompressed=settings.REPORTS_MAX_DETAILS_DECOMPRESSED_BYTES,
        )
    except APIError:
        await _count_details(store, group, stored=False)
        raise
    blob = ReportBlob(
        id=new_id(),
        group_hash=group.group_hash,
        app_id=group.app_id,
        owner=group.owner,
        subject=group.subject,
        driver=settings.STORAGE_DRIVER or "local",
        bucket=settings.S3_BUCKET_NAME_PRIVATE if settings.uses_s3 else "private",
        key=blob_key(settings.reports_prefix, group.subject.app_name, group.group_hash, now),
        compressed_size=len(decoded.compressed),
        decompressed_size=decoded.decompressed_size,
        created_at=now,
        expires_at=now + timedelta(days=settings.REPORTS_BLOB_RETENTION_DAYS),
    )
    if not await _store_blob(store, storage, blob, decoded.compressed):
        await _count_details(store, group, stored=False)
        return False
    await _count_details(store, group, stored=True)
    await _trim(store, storage, group, keep=settings.REPORTS_MAX_BLOBS_PER_GROUP, now=now)
    return True


def blob_key(prefix: str, app_name: str, hashed: str, at: datetime) -> str:
    day = at.astimezone(UTC)
    return f"{prefix}/{app_name}/{day:%Y/%m/%d}/{hashed}-{secrets.token_hex(8)}.json.gz"


async def _store_blob(store: Store, storage: ObjectStorage, blob: ReportBlob, data: bytes) -> bool:
    """The object, then its document; False (nothing left behind) when either fails."""
    try:
        await storage.put(blob.key, io.BytesIO(data), private=True, content_type="application/gzip")
    except StorageError as exc:
        log.warning("report details not stored at %s: %s", blob.key, exc)
        return False
    try:
        await store.reports.insert_blob(blob)
    except StoreError as exc:
        log.warning("report details document not written for %s: %s", blob.key, exc)
        await _delete_objects(storage, [blob.key])
        return False
    return True


async def _count_details(store: Store, group: ReportGroup, *, stored: bool) -> None:
    try:
        await store.reports.count_details(group.app_id, group.group_hash, stored=stored)
    except StoreError as exc:
        log.warning("report details not counted: %s", exc)


async def _trim(
    store: Store, storage: ObjectStorage, group: ReportGroup, *, keep: int, now: datetime
) -> None:
    """The group's blobs past the newest ``keep`` (and expired ones), and a few expired blobs
    of any group, go: objects, then documents; best effort."""
    try:
        excess = await store.reports.excess_blobs(
            group.app_id, group.group_hash, keep=keep, now=now
        )
        seen = {blob.id for blob in excess}
        expired = await store.reports.expired_blobs(now, limit=EXPIRED_PER_REPORT)
        excess += [blob for blob in expired if blob.id not in seen]
        if excess:
            await _delete_objects(storage, [blob.key for blob in excess])
            await store.reports.delete_blobs([blob.id for blob in excess])
    except StoreError as exc:
        log.warning("old report details not removed: %s", exc)


async def _delete_objects(storage: ObjectStorage, keys: list[str]) -> None:
    for key in keys:
        try:
            await storage.delete(key, private=True)
        except StorageError as exc:
            log.warning("report details object %s not removed: %s", key, exc)


# --- groups -----------------------------------------------------------------------------------


def _positive(text: str, default: int) -> int:
    number = parse_int(text)
    return number if number is not None and number >= 1 else default


def _time(text: str) -> datetime | None:
    """An RFC 3339 bound; None when absent or unreadable (FaynoSync ignores it)."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None or "T" not in text.upper():
        return None
    return parsed


async def groups(*, store: Store, principal: Principal, query: dict[str, str]) -> GoStruct:
    """``GET /reports/groups``: one page of the caller's groups, the most recently seen
    first."""
    status = query.get("status", "")
    if status not in STATUSES and status not in ("", "all"):
        raise APIError(400, "invalid status")
    page = _positive(query.get("page", ""), 1)
    limit = _positive(query.get("limit", ""), 20)
    apps = _apps_of(principal)
    if apps is not None and not apps:
        return _page([], 0, page, limit)
    where = GroupFilter(
        owner=principal.owner,
        apps=apps,
        status="" if status == "all" else status,
        fields=tuple((field, query[name]) for name, field in _QUERY_FIELDS if query.get(name)),
        seen_from=_time(query.get("from", "")),
        seen_to=_time(query.get("to", "")),
    )
    try:
        found, total = await store.reports.groups(where, skip=(page - 1) * limit, limit=limit)
    except StoreError as exc:
        raise _failed(exc) from None
    return _page([group_public(group) for group in found], total, page, limit)


def _page(items: list[object], total: int, page: int, limit: int) -> GoStruct:
    return GoStruct(items=items, total=total, page=page, limit=limit)


async def blobs(
    *, store: Store, storage: ObjectStorage, principal: Principal, group_hash: str
) -> dict[str, object]:
    """``GET /reports/groups/:groupHash/blobs``: the newest 50, each with a 15-minute link."""
    check_hash(group_hash)
    apps = _apps_of(principal)
    found: list[ReportBlob] = []
    if apps is None or apps:
        try:
            found = await store.reports.blobs(
                principal.owner, apps, group_hash, limit=BLOBS_SHOWN, now=gotime.now()
            )
        except StoreError as exc:
            raise _failed(exc) from None
    items = []
    for blob in found:
        try:
            url = await storage.presign(blob.key)
        except StorageError as exc:
            log.warning("no link for report details %s: %s", blob.key, exc)
            continue
        items.append(blob_public(blob, url))
    return {"items": items}


def read_patch(raw: bytes) -> GroupPatch:
    try:
        return gojson.bind(gojson.first_value(raw), GroupPatch)
    except gojson.DecodeError:
        raise APIError(400, "invalid request body") from None


async def change(
    *, store: Store, principal: Principal, group_hash: str, patch: GroupPatch
) -> dict[str, object]:
    """``PATCH /reports/groups/:groupHash``: status, tags, note."""
    if patch.status is None and patch.tags is None and patch.note is None:
        raise APIError(400, "no fields to update")
    if patch.status is not None and patch.status not in STATUSES:
        raise APIError(400, "invalid status")
    if patch.tags is not None and (
        len(patch.tags) > MAX_TAGS or not all(_TAG.fullmatch(tag) for tag in patch.tags)
    ):
        raise APIError(400, "invalid tags")
    if patch.note is not None and len(patch.note.encode("utf-8", "replace")) > MAX_NOTE_BYTES:
        raise APIError(400, "note too long")
    apps = _apps_of(principal)
    edit = GroupChange(status=patch.status, tags=patch.tags, note=patch.note, by=principal.username)
    changed = False
    if apps is None or apps:
        try:
            changed = await store.reports.change_group(
                principal.owner, apps, group_hash, edit, gotime.now()
            )
        except StoreError as exc:
            raise _failed(exc) from None
    if not changed:
        raise APIError(404, "report group not found")
    return {"group_hash": group_hash, "updated": True}


async def delete(
    *, store: Store, storage: ObjectStorage, principal: Principal, group_hash: str
) -> dict[str, object]:
    """``DELETE /reports/groups/:groupHash``: the group, its blobs' documents, then (best
    effort) their objects."""
    check_hash(group_hash)
    apps = _apps_of(principal)
    deleted = None
    if apps is None or apps:
        try:
            deleted = await store.reports.delete_group(principal.owner, apps, group_hash)
        except StoreError as exc:
            raise _failed(exc) from None
    if deleted is None:
        raise APIError(404, "report group not found")
    await _delete_objects(storage, [blob.key for blob in deleted])
    return {"deleted": True, "group_hash": group_hash}
