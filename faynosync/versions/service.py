"""Versions and their artifacts: upload, edit, delete a version, delete artifacts.

Everything a request can be refused for is checked before its files are stored; when a write
fails half-way, the objects it stored are removed again unless a version refers to them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from faynosync import objects
from faynosync.access.permissions import Resource
from faynosync.access.principal import Principal
from faynosync.catalog.kinds import APP, ARCH, CHANNEL, PLATFORM
from faynosync.catalog.references import (
    check_name_syntax,
    find_required_by_name,
    id_or_zero,
    require_name_syntax,
)
from faynosync.core import gostrconv, gotime, names
from faynosync.core.ids import new_id
from faynosync.core.versioning import normalise
from faynosync.errors import APIError, id_param
from faynosync.objects import ObjectRef
from faynosync.storage import InvalidKey, ObjectStorage, StorageError, StorageFull
from faynosync.storage.keys import (
    check_new_key,
    content_type_for,
    extension,
)
from faynosync.storage.links import Links
from faynosync.storage.staging import StagedFile
from faynosync.store import DuplicateKey, Store
from faynosync.store.models import Artifact, ChangelogEntry, Meta, Version
from faynosync.updaters import uploads
from faynosync.velopack import feeds as velopack_feeds
from faynosync.versions import rollouts, sparkle
from faynosync.versions.layout import artifact_key
from faynosync.versions.schemas import VersionData

log = logging.getLogger(__name__)

DUPLICATE_ARTIFACT = (
    "app with this name, version, platform, architecture and extension already exists"
)
APP_NOT_FOUND = (
    "app_name not found in apps_meta collection or you don't have permission to access it"
)
FILE_BUSY = "another request is storing a file under the same key right now; try again"
KEY_TAKEN = "another file is stored under the same key"
# The original's word for each resource in "you don't have access to this ...".
_ACCESS_WORDS = {
    Resource.APPS: "app",
    Resource.CHANNELS: "channel",
    Resource.PLATFORMS: "platform",
    Resource.ARCHS: "architecture",
}


@dataclass
class VersionScope:
    """The app, channel, platform and arch a request names (None where it names none)."""

    app: Meta
    channel: Meta | None
    platform: Meta | None
    arch: Meta | None
    sparkle: dict[str, dict[str, str]] | None = None
    """The ``sparkle`` block of each uploaded archive and delta (API level 2.1)."""

    @property
    def channel_id(self) -> str:
        return id_or_zero(self.channel)

    @property
    def platform_id(self) -> str:
        return id_or_zero(self.platform)

    @property
    def arch_id(self) -> str:
        return id_or_zero(self.arch)


def check_access(principal: Principal, resource: Resource, meta_id: str) -> None:
    """A team user acts only on what its allowed lists hold."""
    if not principal.may_use(resource, meta_id):
        raise APIError(500, f"you don't have access to this {_ACCESS_WORDS[resource]}")


def place_files(
    links: Links,
    data: VersionData,
    *,
    owner: str,
    version: str,
    private: bool,
    files: list[StagedFile],
    appcasts: bool = False,
) -> list[tuple[ObjectRef, StagedFile]]:
    """Where each uploaded file goes (docs/behaviour.md#object-keys) and the link stored for it
    (docs/behaviour.md#links)."""
    planned = []
    for upload in files:
        key = artifact_key(
            updater=data.updater,
            app=data.app_name,
            owner=owner,
            version=version,
            channel=data.channel,
            platform=data.platform,
            arch=data.arch,
            filename=upload.filename,
            appcasts=appcasts,
        )
        try:
            check_new_key(key)
        except InvalidKey as exc:
            raise APIError(400, str(exc)) from None
        link = links.for_key(key, private=private)
        planned.append((ObjectRef(key=key, link=link, private=private), upload))
    return planned


def new_artifacts(
    planned: list[tuple[ObjectRef, StagedFile]], target: VersionScope, signature: str
) -> list[Artifact]:
    """The artifact each planned file becomes, for the target's platform and arch."""
    return [
        Artifact(
            link=stored.link,
            platform=target.platform_id,
            arch=target.arch_id,
            package=extension(upload.filename),
            signature=signature,
        )
        for stored, upload in planned
    ]


async def store_files(
    storage: ObjectStorage, planned: list[tuple[ObjectRef, StagedFile]], written: list[ObjectRef]
) -> None:
    """Write every planned file, adding each to ``written`` (what to undo on a failure)."""
    for target, upload in planned:
        try:
            await storage.put_file(
                target.key,
                upload.path,
                private=target.private,
                content_type=content_type_for(upload.filename),
            )
        except StorageFull:
            raise
        except StorageError:
            log.exception("storing %s failed", target.key)
            raise APIError(500, "failed to upload file to S3") from None
        written.append(target)


@contextlib.asynccontextmanager
async def writing(
    store: Store, storage: ObjectStorage, keys: list[str], written: list[ObjectRef]
) -> AsyncIterator[None]:
    """The rules of :mod:`faynosync.objects` for a block that writes files: the keys claimed,
    what was written removed again when the block fails."""
    try:
        async with objects.claimed(store, keys):
            try:
                yield
            except BaseException:
                await objects.undo(store, storage, written)
                raise
    except objects.KeyBusy:
        raise APIError(409, FILE_BUSY) from None
    except objects.KeyTaken as exc:
        raise APIError(409, f"{KEY_TAKEN}: {exc.key}") from None


# --- upload -----------------------------------------------------------------------------------


async def upload(
    *,
    store: Store,
    storage: ObjectStorage,
    links: Links,
    principal: Principal,
    data: VersionData,
    intermediate: str,
    files: list[StagedFile],
    multipart: bool,
    rollout_always: bool = False,
    appcasts: bool = False,
    repeatable: frozenset[str] = frozenset(),
) -> str:
    """``POST /upload``: a new version, or artifacts added to an existing one. Returns its id.

    ``intermediate`` is the form field of that name: when given it overrides the flag. Every
    check runs before the first file is stored (:func:`_upload_scope`). A new version gets the
    rollout asked for (with ``rollout_always``, API level 2.1, always one: 100 and a seed); an
    existing one keeps its own. With ``appcasts`` (API level 2.1), Sparkle as v2.1 has it
    (:mod:`faynosync.versions.sparkle`). ``repeatable``: extensions exempt from the
    one-artifact-per-extension rule (API level 2.1's; a Velopack upload's packages at either
    level).
    """
    rollout = rollouts.read_edit(data)
    _override_intermediate(data, intermediate)
    version = normalise(data.version)
    target = await _upload_scope(store, principal, data, version, files, multipart, appcasts)
    blocks = await velopack_feeds.uploaded_blocks(data.updater, files)
    repeatable = repeatable | velopack_feeds.repeatable(data.updater)
    owner = principal.owner
    app = target.app
    planned = place_files(
        links,
        data,
        owner=owner,
        version=version,
        private=app.private,
        files=files,
        appcasts=appcasts,
    )
    artifacts = new_artifacts(planned, target, data.signature)
    sparkle.attach(target.sparkle, files, artifacts)
    velopack_feeds.mark(artifacts, files, blocks)
    existing = await store.versions.find(app.id, version, owner)
    _refuse_duplicates(existing.artifacts if existing else [], artifacts, repeatable)

    written: list[ObjectRef] = []
    async with writing(store, storage, [stored.key for stored, _ in planned], written):
        # Under the claim: an upload that landed meanwhile counts, and no other document may
        # hold these keys (names can meet: app demo-acme of corp, app demo of acme-corp).
        existing = await store.versions.find(app.id, version, owner)
        _refuse_duplicates(existing.artifacts if existing else [], artifacts, repeatable)
        await objects.refuse_taken(
            store, _own_keys(data, planned), shared=sparkle.shared_links(planned), app=app.id
        )
        await store_files(storage, planned, written)
        fresh = _new_version(target, version, data, artifacts, owner)
        rollouts.for_new_version(fresh, rollout, always=rollout_always, now=fresh.updated_at)
        version_id, created = await _add_to_version(store, existing, fresh, artifacts, repeatable)
        await _refuse_if_gone(store, target, version_id, created, [a.link for a in artifacts])
    if target.sparkle is not None:
        await sparkle.refresh(store=store, storage=storage, links=links, app_id=app.id)
    await velopack_feeds.copy_installers(store, storage, data.updater, planned)
    if blocks:
        stored = await store.versions.get(version_id)
        if stored is not None:
            scopes = velopack_feeds.scopes_of(stored, artifacts)
            await velopack_feeds.refresh(store, storage, app_id=app.id, scopes=scopes)
    return version_id


def _own_keys(data: VersionData, planned: list[tuple[ObjectRef, StagedFile]]) -> list[ObjectRef]:
    """The objects no other version may hold: all but a Velopack upload's feed, which every
    version of its channel, platform and arch stores under one key."""
    return [
        ref
        for ref, upload in planned
        if not velopack_feeds.is_shared(data.updater, upload.filename)
    ]


async def _upload_scope(
    store: Store,
    principal: Principal,
    data: VersionData,
    version: str,
    files: list[StagedFile],
    multipart: bool,
    appcasts: bool = False,
) -> VersionScope:
    """What an upload is for, checked in the original's order: the names' syntax, the
    channel, platform and arch, the form, the updater's files, the app, a team user's lists."""
    owner = principal.owner
    check_name_syntax(
        app_name=data.app_name,
        version=version,
        channel=data.channel,
        platform=data.platform,
        arch=data.arch,
    )
    channel = await find_required_by_name(store, CHANNEL, data.channel, owner)
    platform = await find_required_by_name(store, PLATFORM, data.platform, owner)
    arch = await find_required_by_name(store, ARCH, data.arch, owner)
    if principal.token is not None:
        await _token_may_upload(store, principal, data.app_name)
    if not multipart:
        raise APIError(400, "multipart form data is required")
    blocks = None
    if data.updater:
        uploads.check_files(data.updater, [f.filename for f in files])
        if appcasts:
            blocks = sparkle.read_upload(data.updater, files)
        uploads.check_params(data.updater, data.signature)
    if not files:
        raise APIError(500, "no results found. Please check your files.")
    app = await store.meta.get_by_name(APP.kind, data.app_name, owner)
    if app is None:
        raise APIError(500, APP_NOT_FOUND)
    for resource, meta in (
        (Resource.APPS, app),
        (Resource.CHANNELS, channel),
        (Resource.PLATFORMS, platform),
        (Resource.ARCHS, arch),
    ):
        if meta is not None:
            check_access(principal, resource, meta.id)
    return VersionScope(app=app, channel=channel, platform=platform, arch=arch, sparkle=blocks)


def _override_intermediate(data: VersionData, field: str) -> None:
    if field:
        data.intermediate = field == "true"


def _refuse_duplicates(
    existing: list[Artifact], new: list[Artifact], repeatable: frozenset[str] = frozenset()
) -> None:
    """One artifact per extension, platform and arch in a version (also within one request),
    but of the ``repeatable`` extensions."""
    seen = {(a.package, a.platform, a.arch) for a in existing}
    for artifact in new:
        if artifact.package in repeatable:
            continue
        slot = (artifact.package, artifact.platform, artifact.arch)
        if slot in seen:
            raise APIError(500, DUPLICATE_ARTIFACT)
        seen.add(slot)


def _new_version(
    target: VersionScope, version: str, data: VersionData, artifacts: list[Artifact], owner: str
) -> Version:
    """The document an upload creates when the version does not exist yet."""
    return Version(
        id=new_id(),
        app_id=target.app.id,
        version=version,
        channel_id=target.channel_id,
        published=data.publish,
        critical=data.critical,
        required_intermediate=data.intermediate,
        artifacts=artifacts,
        changelog=[ChangelogEntry(version=version, changes=data.changelog, date=_today())],
        updated_at=gotime.now(),
        owner=owner,
    )


async def _add_to_version(
    store: Store,
    existing: Version | None,
    created: Version,
    artifacts: list[Artifact],
    repeatable: frozenset[str] = frozenset(),
) -> tuple[str, bool]:
    """Add the artifacts to the version document, inserting ``created`` if there is none
    (race-safe).

    Returns its id and whether this call created it.
    """
    if existing is None:
        try:
            await store.versions.insert(created)
            return created.id, True
        except DuplicateKey:
            # Another upload created it meanwhile: join it, as the original would have.
            existing = await store.versions.find(created.app_id, created.version, created.owner)
            if existing is None:
                raise APIError(500, "failed to store the version") from None
    if not await store.versions.append_artifacts(existing.id, artifacts, gotime.now(), repeatable):
        raise APIError(500, DUPLICATE_ARTIFACT)
    return existing.id, False


async def _refuse_if_gone(
    store: Store, target: VersionScope, version_id: str, created: bool, links: list[str]
) -> None:
    """After the write: if the app, channel, platform or arch was deleted meanwhile (its delete
    saw no version yet), take the write back and answer as if it had never existed."""
    for rules, meta in (
        (APP, target.app),
        (CHANNEL, target.channel),
        (PLATFORM, target.platform),
        (ARCH, target.arch),
    ):
        if meta is None or await store.meta.get(rules.kind, meta.id) is not None:
            continue
        if created:
            await store.versions.delete(version_id)
        else:
            await store.versions.remove_artifacts(version_id, links)
        if rules is APP:
            raise APIError(500, APP_NOT_FOUND)
        raise APIError(
            400, f"wrong name of {rules.label}. {rules.label.capitalize()} does not exist"
        )


def _today() -> str:
    # The original dates changelog entries in the server's local time.
    return date.today().isoformat()


# --- /apps/update -----------------------------------------------------------------------------


async def _token_may_upload(store: Store, principal: Principal, app_name: str) -> None:
    """An API token uploads only to the apps it names (docs/behaviour.md#api-tokens)."""
    app = await store.meta.get_by_name(APP.kind, app_name, principal.owner)
    if app is None:
        raise APIError(403, APP_NOT_FOUND)
    if not principal.may_use(Resource.APPS, app.id):
        raise APIError(403, "api token has no access to this app")


async def check_file_target(store: Store, data: VersionData, owner: str) -> None:
    """With files, platform and arch are checked as an upload checks them."""
    require_name_syntax(names.PLATFORM, data.platform, "platform")
    await find_required_by_name(store, PLATFORM, data.platform, owner)
    require_name_syntax(names.ARCH, data.arch, "arch")
    await find_required_by_name(store, ARCH, data.arch, owner)


async def _edit_target(store: Store, principal: Principal, data: VersionData) -> VersionScope:
    owner = principal.owner
    app = await store.meta.get_by_name(APP.kind, data.app_name, owner)
    if app is None:
        raise APIError(500, "app_name not found in apps_meta collection")
    check_access(principal, Resource.APPS, app.id)
    found: dict[str, Meta | None] = {}
    for rules, name, field in (
        (CHANNEL, data.channel, "channel_name"),
        (PLATFORM, data.platform, "platform_name"),
        (ARCH, data.arch, "arch_id"),
    ):
        meta = None
        if name:
            meta = await store.meta.get_by_name(rules.kind, name, owner)
            if meta is None:
                raise APIError(500, f"{field} not found in apps_meta collection")
            check_access(principal, rules.resource, meta.id)
        found[rules.label] = meta
    return VersionScope(
        app=app, channel=found["channel"], platform=found["platform"], arch=found["arch"]
    )


async def update_version(
    *,
    store: Store,
    storage: ObjectStorage,
    links: Links,
    principal: Principal,
    data: VersionData,
    intermediate: str,
    files: list[StagedFile],
    multipart: bool,
    keys_of_admin: bool = False,
    appcasts: bool = False,
) -> None:
    """``POST /apps/update``: flags (an omitted flag is false), changelog, more artifacts;
    ``intermediate`` as in :func:`upload`. New objects are named after the caller, or with
    ``keys_of_admin`` (API level 2.1) after its admin. The rollout changes only where asked.
    ``appcasts`` as for :func:`upload`."""
    rollout = rollouts.read_edit(data)
    _override_intermediate(data, intermediate)
    target, current = await _version_to_edit(store, principal, data, files, multipart, appcasts)
    blocks = await velopack_feeds.uploaded_blocks(data.updater if multipart else "", files)
    version_name = current.version

    private = target.app.private
    # As the original, the keys carry the caller's own name, even a team user's (v2.1, and
    # Velopack's keys at either level: the admin's).
    of_admin = keys_of_admin or velopack_feeds.keys_of_admin(data.updater)
    planned = place_files(
        links,
        data,
        owner=principal.owner if of_admin else principal.username,
        version=version_name,
        private=private,
        files=files,
        appcasts=appcasts,
    )
    artifacts = new_artifacts(planned, target, data.signature)
    sparkle.attach(target.sparkle, files, artifacts)
    velopack_feeds.mark(artifacts, files, blocks)
    added = _edit(current, data, artifacts)
    velopack_feeds.carry_blocks(current.artifacts, artifacts)
    if rollout is not None:
        rollouts.apply(current, rollout, now=current.updated_at)

    written: list[ObjectRef] = []
    async with writing(store, storage, [stored.key for stored, _ in planned], written):
        # A file sent again replaces this version's own object; another version's never.
        await objects.refuse_taken(
            store,
            _own_keys(data, planned),
            own=current.id,
            shared=sparkle.shared_links(planned),
            app=current.app_id,
        )
        await store_files(storage, planned, written)
        await store.versions.save(current)
        if files:
            await _refuse_if_gone(store, target, current.id, False, added)
    if appcasts and sparkle.feeds_of(current):
        await sparkle.refresh(store=store, storage=storage, links=links, app_id=current.app_id)
    await velopack_feeds.copy_installers(store, storage, data.updater, planned)
    await velopack_feeds.refresh(
        store, storage, app_id=current.app_id, scopes=velopack_feeds.scopes_of(current)
    )


async def _version_to_edit(
    store: Store,
    principal: Principal,
    data: VersionData,
    files: list[StagedFile],
    multipart: bool,
    appcasts: bool = False,
) -> tuple[VersionScope, Version]:
    """What ``/apps/update`` names and the version it edits, checked in the original's order."""
    if files:
        # The original finds the platform and arch in any tenant, so an edit from another
        # tenant fails on the app; here they are the tenant's, so the app is looked up first.
        require_name_syntax(names.PLATFORM, data.platform, "platform")
        require_name_syntax(names.ARCH, data.arch, "arch")
        if await store.meta.get_by_name(APP.kind, data.app_name, principal.owner) is None:
            raise APIError(500, "app_name not found in apps_meta collection")
        await check_file_target(store, data, principal.owner)
    version_id = id_param(data.id)
    blocks = None
    if multipart and data.updater:
        uploads.check_files(data.updater, [f.filename for f in files])
        if appcasts:
            blocks = sparkle.read_upload(data.updater, files)
    target = await _edit_target(store, principal, data)
    target.sparkle = blocks
    current = await store.versions.get(version_id)
    if (
        current is None
        or current.app_id != target.app.id
        or current.version != normalise(data.version)
        or current.owner != principal.owner
    ):
        raise APIError(500, "app with this parameters doesn't exist")
    if target.channel_id != current.channel_id:
        raise APIError(500, "updating the channel is not allowed")
    return target, current


def _edit(version: Version, data: VersionData, artifacts: list[Artifact]) -> list[str]:
    """Flags (an omitted flag is false), changelog and the artifacts the version lacks (the
    same link, platform, arch and extension are skipped); returns the links added."""
    version.published = data.publish
    version.critical = data.critical
    version.required_intermediate = data.intermediate
    added = []
    for artifact in artifacts:
        if not any(
            (a.link, a.platform, a.arch, a.package)
            == (artifact.link, artifact.platform, artifact.arch, artifact.package)
            for a in version.artifacts
        ):
            version.artifacts.append(artifact)
            added.append(artifact.link)
    if data.changelog:
        _set_changelog(version, version.version, data.changelog)
    version.updated_at = gotime.now()
    return added


def _set_changelog(version: Version, name: str, changes: str) -> None:
    entry = ChangelogEntry(version=name, changes=changes, date=_today())
    for index, kept in enumerate(version.changelog):
        if kept.version == name:
            version.changelog[index] = entry
            return
    version.changelog.append(entry)


# --- deletes ----------------------------------------------------------------------------------


async def _delete_objects(
    links: Links,
    storage: ObjectStorage,
    store: Store,
    version: Version,
    artifacts: list[Artifact],
) -> str | None:
    """Remove the artifacts' objects (bucket by the app's privacy now). Returns a link error."""
    app = await store.meta.get(APP.kind, version.app_id)
    private = bool(app and app.private)
    problem = None
    given_up = []
    for artifact in artifacts:
        key = links.key_of(artifact.link, private=private)
        if key is None:
            problem = problem or f"cannot find the object key of {artifact.link}"
            continue
        given_up.append(ObjectRef(key=key, link=artifact.link, private=private))
    await objects.remove(store, storage, given_up)
    return problem


async def delete_version(
    *,
    store: Store,
    storage: ObjectStorage,
    links: Links,
    principal: Principal,
    version_id: str,
    appcasts: bool = False,
) -> None:
    """``DELETE /apps/delete``: the version document and every object of its artifacts; with
    ``appcasts`` (API level 2.1), the app's Sparkle appcasts made again without it."""

    def refused(details: str) -> APIError:
        return APIError(500, "failed to delete specific version of app", details=details)

    version = await store.versions.get(version_id)
    if version is None:
        raise refused(f'no app found with ID ObjectID("{version_id}")')
    if version.owner != principal.owner or not principal.may_use(Resource.APPS, version.app_id):
        raise refused("you don't have permission to delete this item")
    if not await store.versions.delete(version.id):
        # A concurrent request deleted it first: that one reports the deletion.
        raise refused(f'no app found with ID ObjectID("{version_id}")')
    problem = await _delete_objects(links, storage, store, version, version.artifacts)
    if appcasts and (feeds := sparkle.feeds_of(version)):
        await sparkle.refresh(
            store=store, storage=storage, links=links, app_id=version.app_id, touched=feeds
        )
    await velopack_feeds.refresh(
        store, storage, app_id=version.app_id, scopes=velopack_feeds.scopes_of(version)
    )
    if problem:
        raise APIError(400, problem)


async def delete_artifacts(
    *,
    store: Store,
    storage: ObjectStorage,
    links: Links,
    principal: Principal,
    data: VersionData,
    with_files: bool,
    appcasts: bool = False,
) -> bool:
    """``POST /artifact/delete``: remove artifacts by index, one after the other.

    False (nothing changed) when an index is not a number or out of range at its turn. With
    file parts (which are not used), platform and arch are checked as for an upload first.
    """
    rollouts.check_percent(data)
    if with_files:
        await check_file_target(store, data, principal.owner)
    version_id = id_param(data.id)
    app = await store.meta.get_by_name(APP.kind, data.app_name, principal.owner)
    if app is None:
        return True
    try:
        check_access(principal, Resource.APPS, app.id)
    except APIError:
        return True
    version = await store.versions.get(version_id)
    if version is None or version.app_id != app.id or version.version != data.version:
        return True
    remaining = list(version.artifacts)
    removed: list[Artifact] = []
    for text in data.artifacts_to_delete or []:
        index = gostrconv.parse_int(text)  # Go's Atoi
        if index is None or not 0 <= index < len(remaining):
            return False
        removed.append(remaining.pop(index))
    version.artifacts = remaining
    version.updated_at = gotime.now()
    await store.versions.save(version)
    problem = await _delete_objects(links, storage, store, version, removed)
    gone = sparkle.feeds_of(dataclasses.replace(version, artifacts=removed))
    if appcasts and gone:
        await sparkle.refresh(
            store=store, storage=storage, links=links, app_id=version.app_id, touched=gone
        )
    await velopack_feeds.refresh(
        store, storage, app_id=version.app_id, scopes=velopack_feeds.scopes_of(version, removed)
    )
    if problem:
        raise APIError(400, problem)
    return True
