"""Update checks: ``/checkVersion`` (and the RELEASES route) and ``/apps/latest``.

The rules of docs/behaviour.md#update-check and docs/behaviour.md#latest-downloads, step by step
(the step numbers are those of that page). The tenant is the ``owner`` parameter; every
lookup is scoped to it (the original checks channel, platform and arch names across tenants).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from faynosync import updaters
from faynosync.catalog.kinds import APP, ARCH, CHANNEL, PLATFORM
from faynosync.catalog.service import name_of
from faynosync.core.versioning import GoVersion, MalformedVersion, parse, significant_key
from faynosync.errors import APIError
from faynosync.store import Store, StoreError
from faynosync.store.models import Artifact, Kind, Meta, Version, VersionFilter
from faynosync.updaters.answers import CheckAnswer, FeedAnswer
from faynosync.versions.service import check_names, id_or_zero, named_for_upload


@dataclass(frozen=True)
class CheckRequest:
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


@dataclass(frozen=True)
class CheckResult:
    answer: FeedAnswer
    cacheable: bool  # the "Not found" answer is not kept
    facts: CheckFacts


async def check_version(store: Store, request: CheckRequest) -> CheckResult:
    # Step 1: syntax (the version keeps its dashes, unlike uploads).
    check_names(
        app_name=request.app_name,
        version=request.version,
        channel=request.channel,
        platform=request.platform,
        arch=request.arch,
    )
    owner = request.owner

    # Step 2: the channel is required once the tenant has any; an unknown platform or arch
    # is ignored, and without a platform the updater parameter is too.
    channel = await named_for_upload(store, CHANNEL, request.channel, owner)
    platform = (
        await store.meta.get_by_name(Kind.PLATFORM, request.platform, owner)
        if request.platform
        else None
    )
    updater = updaters.resolve(platform.updaters, request.updater) if platform else ""
    arch = await store.meta.get_by_name(Kind.ARCH, request.arch, owner) if request.arch else None

    # Step 4: the app of the tenant.
    app = await store.meta.get_by_name(APP.kind, request.app_name, owner)
    if app is None:
        raise APIError(400, "app_name not found in apps_meta collection")

    # Steps 5 and 6: the highest published version with an artifact for this platform and arch.
    scope = VersionFilter(
        owner=owner,
        app_id=app.id,
        published=True,
        platform_id=id_or_zero(platform),
        arch_id=id_or_zero(arch),
    )
    try:
        latest = await store.versions.latest(
            replace(scope, channel_id=channel.id if channel else None)
        )
    except StoreError as exc:
        raise APIError(400, str(exc)) from None
    if latest is None:
        raise APIError(400, f"no matching documents found for app_name: {request.app_name}")

    # Step 7: go-version, the latest first.
    latest_version = _parse(latest.version, 400)
    requested = _parse(request.version, 400)

    # Step 8: a required intermediate build between the client and the latest.
    chosen = await _lowest_step(
        store,
        replace(scope, channel_id=id_or_zero(channel), required_intermediate=True),
        requested,
        latest_version,
    )
    if chosen is not None:
        target = chosen
        check = _answer(
            target, platform, arch, found=True, rollback=None, intermediate=True, changelog=True
        )
    else:
        # Step 9: the latest itself.
        order = requested.compare(latest_version)
        target = latest
        check = _answer(
            latest,
            platform,
            arch,
            found=order < 0,
            rollback=None if order < 0 else order > 0,
            intermediate=False,
            changelog=order != 0,
        )

    facts = CheckFacts(
        found=check.found,
        platform=platform.name if platform else "",
        arch=arch.name if arch else "",
    )
    # Step 11: no update and no artifact (unreachable: step 5 found one) is "Not found".
    if not check.found and not _matching(target, platform, arch):
        not_found = FeedAnswer(200, {"error": "Not found", "update_available": False})
        return CheckResult(not_found, False, facts)
    return CheckResult(updaters.answer(updater, check), True, facts)


STEP_PAGE = 50


async def _lowest_step(
    store: Store, query: VersionFilter, requested: GoVersion, latest: GoVersion
) -> Version | None:
    """The lowest required intermediate build with requested < step <= latest.

    The store hands candidates in go-version's order, from just above the client's version,
    after those it cannot key (which are parsed, and fail, as the original's loop fails).
    """
    above, up_to = significant_key(requested), significant_key(latest)
    best: tuple[GoVersion, str] | None = None
    skip = 0
    while True:
        page = await store.versions.steps(
            query,
            above=above,
            inclusive=bool(requested.pre),
            up_to=up_to,
            skip=skip,
            limit=STEP_PAGE,
        )
        for version_id, text in page:
            step = _parse(text, 500)
            if requested.compare(step) < 0 and step.compare(latest) <= 0:
                if best is None or step.compare(best[0]) < 0:
                    best = (step, version_id)
                # Past the unkeyed ones (prereleases), the first fit is the lowest.
                if not step.pre:
                    return await store.versions.get(best[1])
        if len(page) < STEP_PAGE:
            return await store.versions.get(best[1]) if best else None
        skip += STEP_PAGE


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


@dataclass(frozen=True)
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
    if not kept:
        raise APIError(404, "No matching data found for the provided parameters")
    if len(kept) == 1:
        return FeedAnswer(302, location=kept[0][3])
    tree: dict[str, Any] = {}
    for platform, arch, package, link in kept:
        tree.setdefault(platform, {}).setdefault(arch, {})[package] = {"url": link}
    return FeedAnswer(200, {request.channel: tree})
