"""Reading versions: ``GET /search`` (one app, filtered, paginated) and the dormant ``GET /``."""

from __future__ import annotations

from faynosync.access.permissions import Resource, allowed_ids
from faynosync.access.principal import Principal
from faynosync.catalog.kinds import APP, ARCH, CHANNEL, PLATFORM
from faynosync.catalog.references import name_of
from faynosync.core import gostrconv, gotime
from faynosync.core.gojson import GoStruct
from faynosync.errors import APIError
from faynosync.store import Store, StoreError
from faynosync.store.models import Kind, Version, VersionFilter
from faynosync.versions.schemas import version_item

SEARCH_PAGE = 9
LIST_LIMIT = 100
# What every database takes as an offset or a limit (32 bits); no app has that many versions.
MAX_WINDOW = 2**31 - 1


def positive_int(text: str, default: int) -> int:
    """Go's ``ParseInt`` when the result is positive, else ``default``."""
    value = gostrconv.parse_int(text)
    return value if value is not None and value > 0 else default


async def _names(store: Store, versions: list[Version]) -> dict[str, str]:
    """Channel, platform and arch names of the ids these versions use ("" when unknown)."""
    wanted: dict[str, Kind] = {}
    for version in versions:
        wanted[version.channel_id] = Kind.CHANNEL
        for artifact in version.artifacts:
            wanted[artifact.platform] = Kind.PLATFORM
            wanted[artifact.arch] = Kind.ARCH
    return {meta_id: await name_of(store, kind, meta_id) for meta_id, kind in wanted.items()}


async def _items(
    store: Store, versions: list[Version], app_names: dict[str, str], tuf: bool, rollout: bool
) -> list[GoStruct]:
    names = await _names(store, versions)
    at = gotime.now() if rollout else None
    return [
        version_item(v, app_names.get(v.app_id, ""), names, tuf=tuf, rollout_at=at)
        for v in versions
    ]


async def search(
    *,
    store: Store,
    viewer: Principal,
    app_name: str,
    channel: str,
    platform: str,
    arch: str,
    published: str,
    critical: str,
    page: str,
    limit: str,
    tuf: bool = False,
    rollout: bool = False,
) -> GoStruct:
    """``/search``; with ``tuf`` (API level 2.1) artifacts carry v2.1's TUF fields, with
    ``rollout`` (API level 2.1) items their ``RolloutPercent``."""
    owner = viewer.owner
    user = viewer.team_user
    if user is not None and not allowed_ids(user.permissions, Resource.APPS):
        raise APIError(500, "you don't have permission to access any apps")
    app = await store.meta.get_by_name(APP.kind, app_name, owner)
    if app is None or (viewer.token is not None and not viewer.may_use(Resource.APPS, app.id)):
        raise APIError(500, "app_name not found in apps_meta collection")
    if not viewer.may_use(Resource.APPS, app.id):
        raise APIError(500, "you don't have permission to access this app")
    query = VersionFilter(
        owner=owner,
        app_id=app.id,
        published=gostrconv.parse_bool(published),
        critical=gostrconv.parse_bool(critical),
    )
    for rules, name in ((CHANNEL, channel), (PLATFORM, platform), (ARCH, arch)):
        if not name:
            continue
        meta = await store.meta.get_by_name(rules.kind, name, owner)
        if meta is None:
            raise APIError(500, f"{rules.label} not found in apps_meta collection")
        setattr(query, f"{rules.label}_id", meta.id)
    page_number = positive_int(page, 1)
    page_size = positive_int(limit, SEARCH_PAGE)
    try:
        versions, total = await store.versions.search(
            query,
            skip=min((page_number - 1) * page_size, MAX_WINDOW),
            limit=min(page_size, MAX_WINDOW),
        )
    except StoreError as exc:
        raise APIError(500, str(exc)) from None
    items = await _items(store, versions, {app.id: app.name}, tuf, rollout)
    return GoStruct(items=items or None, total=total, page=page_number, limit=page_size)


async def list_all(
    *, store: Store, viewer: Principal, limit: str, tuf: bool = False, rollout: bool = False
) -> dict[str, list[GoStruct] | None]:
    """The dormant ``GET /``: every version of every app owned by the token's name (an API
    token's apps only)."""
    username = viewer.username
    try:
        versions, _ = await store.versions.search(
            VersionFilter(owner=username),
            skip=0,
            limit=min(positive_int(limit, LIST_LIMIT), MAX_WINDOW),
        )
    except StoreError as exc:
        raise APIError(500, str(exc)) from None
    apps = {m.id: m.name for m in await store.meta.list(Kind.APP, username, limit=10_000)}
    if viewer.token is not None:
        versions = [v for v in versions if viewer.may_use(Resource.APPS, v.app_id)]
    return {"apps": await _items(store, versions, apps, tuf, rollout) or None}
