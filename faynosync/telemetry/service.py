"""``GET /telemetry``: the report (docs/behaviour.md#telemetry-report), computed from the stored
device days.

The arithmetic is the original's: counts are summed per day (a device seen on three days counts
three times), request counts are never filtered, and when ``apps`` is given each app is
aggregated alone and merged, ``total_active_apps`` and ``used_versions_count`` then being the
last app's. Arrays are sorted by name where the original's order was Redis's.
"""

from __future__ import annotations

from collections import Counter
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


@dataclass
class Totals:
    """What one aggregation run (one app, or all apps together) adds up."""

    requests: int = 0
    unique: int = 0
    latest: int = 0
    outdated: int = 0
    active_apps: int = 0
    used_versions: int = 0
    known: set[str] = field(default_factory=set)
    usage: Counter[str] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    archs: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    daily: dict[str, list[int]] = field(default_factory=dict)  # date -> 4 counts


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
) -> Totals:
    totals = Totals()
    for app in apps:
        active = False
        totals.known |= known.get(app, set())
        for day in dates:
            count = requests.get((app, day), 0)
            seen = days.get((app, day), [])
            kept = [d for d in seen if filters.keep(d)]
            active = active or count > 0 or bool(seen)
            stats = totals.daily.setdefault(day, [0, 0, 0, 0])
            latest = sum(1 for d in kept if d.has_update is False)
            outdated = sum(1 for d in kept if d.has_update)
            for index, amount in enumerate((count, len(kept), latest, outdated)):
                stats[index] += amount
            totals.requests += count
            totals.unique += len(kept)
            totals.latest += latest
            totals.outdated += outdated
            for d in kept:
                if d.version in totals.known:
                    totals.usage[d.version] += 1
                for names, wanted, counter in (
                    (d.platforms, filters.platforms, totals.platforms),
                    (d.archs, filters.archs, totals.archs),
                    (d.channels, filters.channels, totals.channels),
                ):
                    counter.update(name for name in names if not wanted or name in wanted)
        totals.active_apps += int(active)
    totals.used_versions = sum(1 for v in totals.known if totals.usage[v] > 0)
    return totals


def _merge(into: Totals, part: Totals) -> None:
    into.requests += part.requests
    into.unique += part.unique
    into.latest += part.latest
    into.outdated += part.outdated
    into.known |= part.known
    into.usage += part.usage
    into.platforms += part.platforms
    into.archs += part.archs
    into.channels += part.channels
    for day, stats in part.daily.items():
        before = into.daily.get(day, [0, 0, 0, 0])
        into.daily[day] = [a + b for a, b in zip(before, stats, strict=True)]
    # As the original: these two are the last app's, not sums.
    into.active_apps = part.active_apps
    into.used_versions = part.used_versions


def _counts(counter: Counter[str], key: str) -> list[GoStruct] | None:
    items = [GoStruct({key: name, "client_count": n}) for name, n in sorted(counter.items()) if n]
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
    if apps:
        totals = Totals()
        for app in chosen:
            _merge(totals, _aggregate([app], dates, requests, days, known, filters))
    else:
        totals = _aggregate(chosen, dates, requests, days, known, filters)
    used = [v for v in sorted(totals.known) if totals.usage[v] > 0]
    staged = await _rollouts_in_force(store, owner, chosen, set(used))
    usage = [_usage(v, totals.usage[v], staged.get(v)) for v in used]
    return GoStruct(
        date=dates[0],
        date_range=dates,
        admin=owner,
        summary=GoStruct(
            total_requests=totals.requests,
            unique_clients=totals.unique,
            clients_using_latest_version=totals.latest,
            clients_outdated=totals.outdated,
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
                total_requests=s[0],
                unique_clients=s[1],
                clients_using_latest_version=s[2],
                clients_outdated=s[3],
            )
            for d, s in sorted(totals.daily.items())
        ],
    )
