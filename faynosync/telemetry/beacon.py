"""``GET /telemetry/beacon``: a client that read its update from a CDN says so
(docs/behaviour.md#telemetry-beacon).

The answer is 204 whatever happens, once telemetry is on; what passes the checks below is
recorded as an update check is (docs/behaviour.md#telemetry-beacon).
"""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.core import names
from faynosync.core.gostrconv import parse_bool
from faynosync.errors import APIError
from faynosync.store import Store
from faynosync.telemetry.allowlist import AllowList
from faynosync.telemetry.collector import TelemetryCollector

PARAMS = ("owner", "app_name", "version", "channel", "platform", "arch", "is_latest")


@dataclass(frozen=True, slots=True)
class Beacon:
    owner: str
    app_name: str
    version: str
    channel: str
    platform: str
    arch: str
    is_latest: str


DISABLED = "Telemetry is not enabled on this instance"


def _valid(beacon: Beacon) -> bool:
    """Every name given and of its syntax; the version, when given, of a version's."""
    if not (beacon.owner and beacon.app_name and beacon.channel and beacon.platform):
        return False
    return (
        bool(beacon.arch)
        and names.matches(names.APP_NAME, beacon.app_name)
        and names.matches(names.CHANNEL, beacon.channel)
        and names.matches(names.PLATFORM, beacon.platform)
        and names.matches(names.ARCH, beacon.arch)
        and (not beacon.version or names.matches(names.VERSION, beacon.version))
    )


async def receive(
    *,
    store: Store,
    collector: TelemetryCollector | None,
    allowed: AllowList | None,
    beacon: Beacon,
    device: str,
) -> None:
    """Record the beacon when it passes; raise the 403 when telemetry is off. The version is
    recorded as sent (dashes kept) and is not checked against the published ones; an
    ``is_latest`` Go's ParseBool cannot read leaves the device's latest/outdated state alone."""
    if collector is None or allowed is None:
        raise APIError(403, DISABLED)
    if not device or not _valid(beacon):
        return
    targets = await allowed.targets(store)
    target = (beacon.owner, beacon.app_name, beacon.channel, beacon.platform, beacon.arch)
    if targets is None or target not in targets:
        return
    is_latest = parse_bool(beacon.is_latest)
    collector.record(
        owner=beacon.owner,
        app=beacon.app_name,
        version=beacon.version,
        channel=beacon.channel,
        platform=beacon.platform,
        arch=beacon.arch,
        device=device,
        has_update=None if is_latest is None else not is_latest,
    )
