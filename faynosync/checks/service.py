"""Update checks: ``/checkVersion`` (and the RELEASES route) and ``/apps/latest``.

The rules of docs/behaviour.md#update-check and docs/behaviour.md#latest-downloads, step by step
(the step numbers are those of that page). The tenant is the ``owner`` parameter; every
lookup is scoped to it (the original checks channel, platform and arch names across tenants).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from faynosync import updaters
from faynosync.catalog.kinds import APP, ARCH, CHANNEL, PLATFORM
from faynosync.catalog.references import (
    check_name_syntax,
    id_or_zero,
    name_of,
    required_by_name,
)
from faynosync.checks.releases import ReleasesFiles
from faynosync.checks.rollouts import Gate, Gates
from faynosync.core import gotime
from faynosync.core.versioning import GoVersion, MalformedVersion, parse, significant_key
from faynosync.errors import APIError
from faynosync.store import Store, StoreError
from faynosync.store.models import Artifact, Kind, Meta, Version, VersionFilter
from faynosync.telemetry.collector import TelemetryCollector
from faynosync.updaters.answers import CheckAnswer, FeedAnswer


@dataclass
class CheckRequest:
    """What an update check asks.

    The values made anew for each check (this, the resolved names, the result, the answers)
    are plain dataclasses: a frozen one sets each field through ``object.__setattr__``, four
    times the cost, on every check. :class:`CheckFacts`, kept in the response cache with the
    answer it describes, stays frozen.
    """

    app_name: str
    version: str
    channel: str
    platform: str
    arch: str
    owner: str
    updater: str


@dataclass(frozen=True)
class CheckFacts:
    """What telemetry records of an answered check (docs/behaviour.md#telemetry-recording):
    platform and arch as step 2 resolved them (unknown names become empty), and whether an
    update was offered."""

    found: bool
    platform: str
    arch: str


def count(
    collector: TelemetryCollector | None, check: CheckRequest, facts: CheckFacts, device: str
) -> None:
    """Telemetry of an answered check (cache hits too, which the original lost), when the
    client sent a device id."""
    if collector is None or not device:
        return
    collector.record(
        owner=check.owner,
        app=check.app_name,
        version=check.version,
        channel=check.channel,
        platform=facts.platform,
        arch=facts.arch,
        device=device,
        has_update=facts.found,
    )


@dataclass
class CheckResult:
    answer: FeedAnswer
    cacheable: bool  # the "Not found" answer is not kept
    facts: CheckFacts
    gates: tuple[Gate, ...] = ()
    """Rollouts below 100% met above the client's version: the answer differs by device."""
    expires: datetime | None = None
    """When a rollout schedule met changes its percent, and with it the answer."""


@dataclass
class _Named:
    """What a check names, resolved in the owner's tenant (steps 2 and 4)."""

    app: Meta
    channel: Meta | None
    platform: Meta | None
    arch: Meta | None
    updater: str


async def check_version(
    store: Store,
    request: CheckRequest,
    *,
    hidden: frozenset[str] = frozenset(),
    device: str = "",
    enforce: bool = True,
    now: datetime | None = None,
    releases: ReleasesFiles | None = None,
    sparkle_appcasts: bool = False,
) -> CheckResult:
    """``/checkVersion`` and the RELEASES route: what the client is offered, step by step as
    the original decides it (docs: the update check). Links of the ``hidden`` extensions are
    left out of the answer (API level 2.1: ``.blockmap``, ``.nupkg``). With ``enforce``, a
    ``device`` outside a version's staged rollout is answered as if that version did not
    exist (docs/behaviour.md#staged-rollouts). With ``releases`` (API level 2.1), Squirrel.Windows
    is answered a public app's RELEASES file instead of a redirect to it. With
    ``sparkle_appcasts`` (API level 2.1), ``sparkle`` is answered the generic JSON."""
    gates = Gates(device=device, enforce=enforce, now=now or gotime.now())
    with store.snapshot():  # the check's reads see one state of the database
        named = await _resolve(store, request)
        latest = await _latest(store, request, named)
        target, check = await _decide(store, request, named, latest, hidden, gates)
    facts = CheckFacts(
        found=check.found,
        platform=named.platform.name if named.platform else "",
        arch=named.arch.name if named.arch else "",
    )
    # Step 11: no update and no artifact (unreachable: step 5 found one) is "Not found".
    if not check.found and not _matching(target, named.platform, named.arch):
        not_found = FeedAnswer(200, {"error": "Not found", "update_available": False})
        return CheckResult(not_found, False, facts)
    shape = updaters.shaped_as(named.updater, sparkle_appcasts=sparkle_appcasts)
    answer = updaters.answer(shape, check)
    if releases is not None and named.updater == "squirrel_windows":
        answer = await releases.answer(answer)
    if check.found:
        answer = updaters.with_rollout(shape, answer, gates.offered(target))
    return CheckResult(answer, True, facts, tuple(gates.met), gates.changes_at)


async def _resolve(store: Store, request: CheckRequest) -> _Named:
    # Step 1: syntax (the version keeps its dashes, unlike uploads).
    check_name_syntax(
        app_name=request.app_name,
        version=request.version,
        channel=request.channel,
        platform=request.platform,
        arch=request.arch,
    )
    owner = request.owner
    # One query for every name the check gives; the rules then apply in the original's order.
    wanted = {
        Kind.APP: request.app_name,
        Kind.CHANNEL: request.channel,
        Kind.PLATFORM: request.platform,
        Kind.ARCH: request.arch,
    }
    found = await store.meta.get_by_names(owner, {k: name for k, name in wanted.items() if name})
    # Step 2: the channel is required once the tenant has any; an unknown platform or arch
    # is ignored, and without a platform the updater parameter is too.
    channel = await required_by_name(
        store, CHANNEL, request.channel, owner, found.get(Kind.CHANNEL)
    )
    platform = found.get(Kind.PLATFORM)
    updater = updaters.resolve(platform.updaters, request.updater) if platform else ""
    arch = found.get(Kind.ARCH)
    # Step 4: the app of the tenant.
    app = found.get(Kind.APP)
    if app is None:
        raise APIError(400, "app_name not found in apps_meta collection")
    return _Named(app=app, channel=channel, platform=platform, arch=arch, updater=updater)


def _published(
    request: CheckRequest, named: _Named, channel_id: str | None, intermediate: bool | None
) -> VersionFilter:
    """The app's published versions with an artifact for the platform and arch."""
    return VersionFilter(
        owner=request.owner,
        app_id=named.app.id,
        channel_id=channel_id,
        published=True,
        required_intermediate=intermediate,
        platform_id=id_or_zero(named.platform),
        arch_id=id_or_zero(named.arch),
    )


def _candidates(request: CheckRequest, named: _Named) -> VersionFilter:
    """Step 5's versions: published, for the platform and arch, in the channel if any."""
    return _published(request, named, named.channel.id if named.channel else None, None)


async def _latest(store: Store, request: CheckRequest, named: _Named) -> Version:
    """Steps 5 and 6: the highest published version with an artifact for this platform and
    arch, in the channel when there is one."""
    try:
        latest = await store.versions.latest(_candidates(request, named))
    except StoreError as exc:
        raise APIError(400, str(exc)) from None
    if latest is None:
        raise APIError(400, f"no matching documents found for app_name: {request.app_name}")
    return latest


async def _decide(
    store: Store,
    request: CheckRequest,
    named: _Named,
    latest: Version,
    hidden: frozenset[str],
    gates: Gates,
) -> tuple[Version, CheckAnswer]:
    """Steps 7 to 9: the version offered (a required intermediate build first) and what the
    answer says of it."""
    latest_version = _parse(latest.version, 400)
    requested = _parse(request.version, 400)
    if requested.compare(latest_version) < 0 and not gates.admits(latest):
        latest, latest_version = await _newest_admitted(
            store, request, named, (requested, None), gates
        )
    intermediate = await _lowest_step(
        store,
        _published(request, named, id_or_zero(named.channel), True),
        requested,
        latest_version,
    )
    if intermediate is not None and not gates.admits(intermediate):
        # A device outside a required build's rollout cannot pass it: it is held below.
        below = _parse(intermediate.version, 500)
        latest, latest_version = await _newest_admitted(
            store, request, named, (requested, below), gates
        )
        intermediate = None
    if intermediate is not None:
        check = _answer(
            intermediate,
            named.platform,
            named.arch,
            found=True,
            rollback=None,
            intermediate=True,
            changelog=True,
            hidden=hidden,
        )
        return intermediate, check
    order = requested.compare(latest_version)
    check = _answer(
        latest,
        named.platform,
        named.arch,
        found=order < 0,
        rollback=None if order < 0 else order > 0,
        intermediate=False,
        changelog=order != 0,
        hidden=hidden,
    )
    return latest, check


async def _newest_admitted(
    store: Store,
    request: CheckRequest,
    named: _Named,
    bounds: tuple[GoVersion, GoVersion | None],
    gates: Gates,
) -> tuple[Version, GoVersion]:
    """The highest matching version (below ``below``) the device may be offered: its own or
    a lower one, or one whose rollout admits it. Read page by page in the database ordering,
    only when a rollout left the device out (the common check never comes here). The
    versions are those of step 6 (:func:`_latest`)."""
    requested, below = bounds
    query = _candidates(request, named)
    skip = 0
    while True:
        try:
            page, _ = await store.versions.search(query, skip=skip, limit=STEP_PAGE)
        except StoreError as exc:
            raise APIError(400, str(exc)) from None
        for version in page:
            parsed = _parse(version.version, 400)
            if below is not None and parsed.compare(below) >= 0:
                continue
            if requested.compare(parsed) >= 0 or gates.admits(version):
                return version, parsed
        if len(page) < STEP_PAGE:
            # Nothing the device may have: as if the app had no version for it.
            raise APIError(400, f"no matching documents found for app_name: {request.app_name}")
        skip += STEP_PAGE


STEP_PAGE = 50


async def _lowest_step(
    store: Store, query: VersionFilter, requested: GoVersion, latest: GoVersion
) -> Version | None:
    """The lowest required intermediate build with requested < step <= latest.

    Versions without a step key (prereleases, and those go-version cannot parse, which fail
    here as the original's loop fails) are compared one by one; of the others, the store's
    index finds the lowest above the client's version, and that one fits unless it only
    equals a prerelease ``latest`` in its segments.
    """
    if requested.compare(latest) >= 0:
        # No step lies above the client's version and up to the latest (an up-to-date client,
        # the most common check): only the unkeyed versions are read, for the 500 the
        # original's loop gives on one it cannot parse.
        await _lowest_unkeyed(store, query, requested, latest)
        return None
    keyed = await store.versions.lowest_step(
        query,
        above=significant_key(requested),
        inclusive=bool(requested.pre),
        up_to=significant_key(latest),
    )
    best: tuple[GoVersion, str] | None = None
    if keyed.unkeyed:
        best = await _lowest_unkeyed(store, query, requested, latest)
    if keyed.version is not None:
        step = _parse(keyed.version.version, 500)
        if _fits(requested, step, latest) and (best is None or step.compare(best[0]) < 0):
            return keyed.version
    return await store.versions.get(best[1]) if best else None


async def _lowest_unkeyed(
    store: Store, query: VersionFilter, requested: GoVersion, latest: GoVersion
) -> tuple[GoVersion, str] | None:
    """The lowest fitting step among those without a step key, read page by page."""
    best: tuple[GoVersion, str] | None = None
    skip = 0
    while True:
        page = await store.versions.unkeyed_steps(query, skip=skip, limit=STEP_PAGE)
        for version_id, text in page:
            step = _parse(text, 500)
            if _fits(requested, step, latest) and (best is None or step.compare(best[0]) < 0):
                best = (step, version_id)
        if len(page) < STEP_PAGE:
            return best
        skip += STEP_PAGE


def _fits(requested: GoVersion, step: GoVersion, latest: GoVersion) -> bool:
    return requested.compare(step) < 0 and step.compare(latest) <= 0


def _parse(text: str, status: int) -> GoVersion:
    try:
        return parse(text)
    except MalformedVersion as exc:
        raise APIError(status, str(exc)) from None


def _matching(version: Version, platform: Meta | None, arch: Meta | None) -> list[Artifact]:
    platform_id, arch_id = id_or_zero(platform), id_or_zero(arch)
    return [a for a in version.artifacts if a.platform == platform_id and a.arch == arch_id]


def _answer(
    version: Version,
    platform: Meta | None,
    arch: Meta | None,
    *,
    found: bool,
    rollback: bool | None,
    intermediate: bool,
    changelog: bool,
    hidden: frozenset[str],
) -> CheckAnswer:
    """The generic body: flags, URL keys per extension, signature and changelog."""
    body: dict[str, Any] = {"update_available": found}
    body["critical"] = version.critical if (found or rollback) else False
    if rollback is not None:
        body["possible_rollback"] = rollback
    if intermediate:
        body["is_intermediate_required"] = True
    platform_name = platform.name if platform else ""
    arch_name = arch.name if arch else ""
    for artifact in _matching(version, platform, arch):
        # The original keeps a link only if it names the platform and the arch
        # (docs/behaviour.md#update-check, step 11).
        if (
            not artifact.link
            or artifact.package in hidden
            or platform_name not in artifact.link
            or arch_name not in artifact.link
        ):
            continue
        key = f"update_url_{artifact.package[1:]}" if artifact.package else "update_url"
        body[key] = artifact.link
        if artifact.signature:
            body["signature"] = artifact.signature
    text = "".join(f"{entry.changes}\n" for entry in version.changelog if entry.changes)
    if changelog and text:
        body["changelog"] = text
    return CheckAnswer(
        found=found,
        possible_rollback=bool(rollback),
        body=body,
        latest_version="" if intermediate else version.version,
    )


# --- /apps/latest -----------------------------------------------------------------------------


@dataclass
class LatestRequest:
    app_name: str
    channel: str
    platform: str
    arch: str
    package: str
    owner: str


async def latest_downloads(store: Store, request: LatestRequest) -> FeedAnswer:
    """Links of the latest published version of a channel: a redirect when there is one,
    else ``{channel: {platform: {arch: {package: {"url": link}}}}}``."""
    if not request.app_name or not request.channel:
        raise APIError(400, "Parameters 'app_name' and 'channel' are required")
    with store.snapshot():  # the lookups see one state of the database
        kept = await _latest_links(store, request)
    if not kept:
        raise APIError(404, "No matching data found for the provided parameters")
    if len(kept) == 1:
        return FeedAnswer(302, location=kept[0][3])
    tree: dict[str, Any] = {}
    for platform, arch, package, link in kept:
        tree.setdefault(platform, {}).setdefault(arch, {})[package] = {"url": link}
    return FeedAnswer(200, {request.channel: tree})


async def _latest_links(store: Store, request: LatestRequest) -> list[tuple[str, str, str, str]]:
    """Platform, arch, package and link of the latest version's artifacts the request asks for."""
    app = await store.meta.get_by_name(APP.kind, request.app_name, request.owner)
    if app is None:
        raise APIError(500, "app_name not found in apps_meta collection")
    channel = await store.meta.get_by_name(CHANNEL.kind, request.channel, request.owner)
    if channel is None:
        raise APIError(500, "channel not found in apps_meta collection")
    try:
        latest = await store.versions.latest(
            VersionFilter(owner=request.owner, app_id=app.id, published=True, channel_id=channel.id)
        )
    except StoreError as exc:
        raise APIError(500, str(exc)) from None
    kept: list[tuple[str, str, str, str]] = []
    for artifact in latest.artifacts if latest else []:
        platform = await name_of(store, PLATFORM.kind, artifact.platform)
        arch = await name_of(store, ARCH.kind, artifact.arch)
        package = artifact.package[1:] if artifact.package else "no-extension"
        if (
            (not request.platform or platform == request.platform)
            and (not request.arch or arch == request.arch)
            and (not request.package or package == request.package)
        ):
            kept.append((platform, arch, package, artifact.link))
    return kept
