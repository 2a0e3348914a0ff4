"""``GET /telemetry``: the report (docs/behaviour.md#telemetry-report), computed from the stored
device days.

The arithmetic is the original's: at API level 1.4.6 counts are summed per day (a device seen
on three days counts three times), at 2.1 a device counts once over the period (``members``);
request counts are never filtered, and when ``apps`` is given each app is aggregated alone and
merged, ``total_active_apps`` and ``used_versions_count`` then being the last app's. Arrays
are sorted by name where the original's order was Redis's.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta

from faynosync.access.principal import Principal
from faynosync.catalog.references import owned
from faynosync.core import gotime
from faynosync.core.gojson import GoStruct
from faynosync.core.rollouts import FULL, percent_in_force
from faynosync.errors import APIError
from faynosync.store import Store
from faynosync.store.models import DeviceDay, Kind
from faynosync.telemetry.collector import TelemetryCollector

RANGES = {"week": 7, "month": 30}


@dataclass
class Filters:
    channels: set[str]
    platforms: set[str]
    archs: set[str]

    def keep(self, day: DeviceDay) -> bool:
        return (
            (not self.channels or bool(day.channels & self.channels))
            and (not self.platforms or bool(day.platforms & self.platforms))
            and (not self.archs or bool(day.archs & self.archs))
        )


Member = Hashable
"""What a count counts: a device on one day of one app (v1.4.6's sums of daily set sizes), or a
device over the whole period (v2.1's unions)."""

Members = Callable[[DeviceDay], Member]


def members(*, unions: bool, per_app: bool) -> Members:
    """What the counts of a report count (docs/behaviour.md#telemetry-report): at API level 2.1
    (``unions``) a device once over the period, and across apps in a report of all apps; one
    of an ``apps`` list, computed alone and added, once per app. Otherwise once per app and
    day."""
    if not unions:
        return lambda d: (d.app, d.date, d.device)
    if per_app:
        return lambda d: (d.app, d.device)
    return lambda d: d.device


@dataclass
class Day:
    requests: int = 0
    unique: set[Member] = field(default_factory=set)
    latest: set[Member] = field(default_factory=set)
    outdated: set[Member] = field(default_factory=set)

    def merge(self, other: Day) -> None:
        self.requests += other.requests
        self.unique |= other.unique
        self.latest |= other.latest
        self.outdated |= other.outdated


@dataclass
class Totals:
    """What one aggregation run (one app, or all apps together) adds up: the counts are the
    sizes of the sets."""

    period: Day = field(default_factory=Day)
    active_apps: int = 0
    used_versions: int = 0
    known: set[str] = field(default_factory=set)
    usage: dict[str, set[Member]] = field(default_factory=dict)
    platforms: dict[str, set[Member]] = field(default_factory=dict)
    archs: dict[str, set[Member]] = field(default_factory=dict)
    channels: dict[str, set[Member]] = field(default_factory=dict)
    daily: dict[str, Day] = field(default_factory=dict)


def _join(into: dict[str, set[Member]], part: dict[str, set[Member]]) -> None:
    for name, found in part.items():
        into.setdefault(name, set()).update(found)


def split(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


def date_range(range_name: str, day: str, today: date) -> list[str]:
    if range_name:
        if range_name not in RANGES:
            raise APIError(400, "Invalid range parameter. Use 'week' or 'month'")
        span = RANGES[range_name]
        return [(today - timedelta(days=span - i)).isoformat() for i in range(span + 1)]
    return [day or today.isoformat()]


def _aggregate(
    apps: list[str],
    dates: list[str],
    requests: dict[tuple[str, str], int],
    days: dict[tuple[str, str], list[DeviceDay]],
    known: dict[str, set[str]],
    filters: Filters,
    member: Members,
) -> Totals:
    totals = Totals()
    for app in apps:
        active = False
        totals.known |= known.get(app, set())
        for day in dates:
            count = requests.get((app, day), 0)
            seen = days.get((app, day), [])
            active = active or count > 0 or bool(seen)
            stats = totals.daily.setdefault(day, Day())
            stats.requests += count
            for d in seen:
                if filters.keep(d):
                    _count(totals, stats, d, member(d), filters)
        totals.active_apps += int(active)
    for stats in totals.daily.values():
        totals.period.merge(stats)
    totals.used_versions = sum(1 for v in totals.known if totals.usage.get(v))
    return totals


def _count(totals: Totals, stats: Day, d: DeviceDay, member: Member, filters: Filters) -> None:
    """One kept device day."""
    stats.unique.add(member)
    if d.has_update is not None:
        (stats.outdated if d.has_update else stats.latest).add(member)
    if d.version in totals.known:
        totals.usage.setdefault(d.version, set()).add(member)
    for names, wanted, found in (
        (d.platforms, filters.platforms, totals.platforms),
        (d.archs, filters.archs, totals.archs),
        (d.channels, filters.channels, totals.channels),
    ):
        for name in names:
            if not wanted or name in wanted:
                found.setdefault(name, set()).add(member)


def _merge(into: Totals, part: Totals) -> None:
    into.period.merge(part.period)
    into.known |= part.known
    _join(into.usage, part.usage)
    _join(into.platforms, part.platforms)
    _join(into.archs, part.archs)
    _join(into.channels, part.channels)
    for day, stats in part.daily.items():
        into.daily.setdefault(day, Day()).merge(stats)
    # As the original: these two are the last app's, not sums.
    into.active_apps = part.active_apps
    into.used_versions = part.used_versions


def _counts(found: dict[str, set[Member]], key: str) -> list[GoStruct] | None:
    items = [
        GoStruct({key: name, "client_count": len(found[name])})
        for name in sorted(found)
        if found[name]
    ]
    return items or None


async def _visible_apps(store: Store, viewer: Principal) -> set[str] | None:
    """Names of the apps an API token may read; None when the viewer reads the whole tenant
    (a team user sees its admin's whole telemetry, as the original)."""
    if viewer.token is None:
        return None
    allowed = viewer.token.allowed_apps
    apps = await owned(store, Kind.APP, viewer.owner, allowed, limit=max(1, len(allowed)))
    return {app.name for app in apps}


def _usage(version: str, clients: int, percent: int | None) -> GoStruct:
    if percent is None:
        return GoStruct(version=version, client_count=clients)
    return GoStruct(version=version, client_count=clients, rollout_percent=percent)


async def _rollouts_in_force(
    store: Store, owner: str, chosen: list[str], versions: set[str]
) -> dict[str, int]:
    """For a report of one app: the percent of devices each of its used versions is offered
    to now, for those whose staged rollout is below 100% (docs/behaviour.md#staged-rollouts).
    Over several apps a version number may name several versions: none is given."""
    if len(chosen) != 1 or not versions:
        return {}
    app = await store.meta.get_by_name(Kind.APP, chosen[0], owner)
    if app is None:
        return {}
    now = gotime.now()
    found: dict[str, int] = {}
    for number in sorted(versions):  # those devices reported: bounded per app and day
        version = await store.versions.find(app.id, number, owner)
        if version is None:
            continue
        percent = percent_in_force(
            version.rollout_percent, version.rollout_plan, critical=version.critical, now=now
        )
        if percent < FULL:
            found[number] = percent
    return found


async def report(
    *,
    store: Store,
    collector: TelemetryCollector | None,
    enabled: bool,
    viewer: Principal,
    day: str,
    range_name: str,
    apps: str,
    channels: str,
    platforms: str,
    archs: str,
    today: date,
    unions: bool,
) -> GoStruct:
    """``GET /telemetry``: the counts of the viewer's tenant, with what the collector holds."""
    if not enabled:
        raise APIError(403, "Telemetry is not enabled on this instance")
    if collector is not None:
        await collector.flush()  # what was counted up to now is in the report
    owner = viewer.owner  # a team user sees its admin's whole telemetry, as the original
    dates = date_range(range_name, day, today)
    filters = Filters(set(split(channels)), set(split(platforms)), set(split(archs)))
    requests = await store.telemetry.requests(owner, dates)
    chosen = split(apps) if apps else sorted({app for app, _ in requests})
    visible = await _visible_apps(store, viewer)
    if visible is not None:  # an API token: its apps only
        requests = {key: n for key, n in requests.items() if key[0] in visible}
        chosen = [app for app in chosen if app in visible]
    days: dict[tuple[str, str], list[DeviceDay]] = {}
    for device_day in await store.telemetry.devices(owner, chosen, dates) if chosen else []:
        days.setdefault((device_day.app, device_day.date), []).append(device_day)
    known = await store.telemetry.known_versions(owner, chosen) if chosen else {}
    member = members(unions=unions, per_app=bool(apps))
    if apps:
        totals = Totals()
        for app in chosen:
            _merge(totals, _aggregate([app], dates, requests, days, known, filters, member))
    else:
        totals = _aggregate(chosen, dates, requests, days, known, filters, member)
    used = [v for v in sorted(totals.known) if totals.usage.get(v)]
    staged = await _rollouts_in_force(store, owner, chosen, set(used))
    usage = [_usage(v, len(totals.usage[v]), staged.get(v)) for v in used]
    period = totals.period
    return GoStruct(
        date=dates[0],
        date_range=dates,
        admin=owner,
        summary=GoStruct(
            total_requests=period.requests,
            unique_clients=len(period.unique),
            clients_using_latest_version=len(period.latest),
            clients_outdated=len(period.outdated),
            total_active_apps=totals.active_apps,
        ),
        versions=GoStruct(
            used_versions_count=totals.used_versions,
            known_versions=sorted(totals.known) or None,
            usage=usage or None,
        ),
        platforms=_counts(totals.platforms, "platform"),
        architectures=_counts(totals.archs, "arch"),
        channels=_counts(totals.channels, "channel"),
        daily_stats=[
            GoStruct(
                date=d,
                total_requests=s.requests,
                unique_clients=len(s.unique),
                clients_using_latest_version=len(s.latest),
                clients_outdated=len(s.outdated),
            )
            for d, s in sorted(totals.daily.items())
        ],
    )
