"""The store protocol: what the services may ask of the database, whatever the backend.

Two backends implement it: MongoDB with FaynoSync's schema (``store.mongo``) and SQLite, the
embedded default (``store.sqlite``). Both pass one shared test suite; the rules they share are
in ``store.rules``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any, ParamSpec, Protocol, TypeVar

from faynosync.core.disk import DiskFull
from faynosync.store.models import (
    Admin,
    ApiToken,
    Artifact,
    ArtifactLink,
    DeviceDay,
    GroupChange,
    GroupFilter,
    Kind,
    Meta,
    Permissions,
    PublishedTarget,
    ReportBlob,
    ReportGroup,
    ReportKey,
    StepFound,
    TeamUser,
    TelemetryBatch,
    Version,
    VersionFilter,
)
from faynosync.store.rules import LIST_CAP


class StoreError(Exception):
    """The database failed (unreachable, or an unexpected error)."""


class StoreFull(StoreError, DiskFull):
    """The database could not write for want of disk space; the write did not happen."""


class DuplicateKey(StoreError):
    """A uniqueness rule refused the write.

    ``str(error)`` is the text FaynoSync's MongoDB driver gives for it (``write exception: write
    errors: [E11000 duplicate key error ...]``), which some answers carry verbatim.
    """


P = ParamSpec("P")
R = TypeVar("R")


def translate_errors(
    *,
    duplicate: Callable[[Exception], str | None],
    driver_errors: tuple[type[Exception], ...],
    describe: Callable[[Exception], str] = str,
    full: Callable[[Exception], bool] = lambda _: False,
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Make a repository method raise the store's errors instead of its driver's.

    ``duplicate`` returns the message of a uniqueness violation, or None for other errors;
    ``full`` tells a write refused for want of disk space.
    """

    def decorate(
        method: Callable[P, Coroutine[Any, Any, R]],
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(method)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await method(*args, **kwargs)
            except driver_errors as exc:
                message = duplicate(exc)
                if message is not None:
                    raise DuplicateKey(message) from None
                if full(exc):
                    raise StoreFull(describe(exc)) from exc
                raise StoreError(describe(exc)) from exc

        return wrapper

    return decorate


class AdminRepository(Protocol):
    async def get_by_username(self, username: str) -> Admin | None: ...

    async def get_by_id_and_username(self, admin_id: str, username: str) -> Admin | None: ...

    async def insert(self, admin: Admin) -> None:
        """Raises :class:`DuplicateKey` when the username exists."""

    async def update_password(
        self, admin_id: str, *, password: str | None, updated_at: datetime
    ) -> bool:
        """Set ``updated_at`` and, when given, ``password``. False when no such admin."""


class TeamUserRepository(Protocol):
    async def get_by_username(self, username: str) -> TeamUser | None: ...

    async def get(self, user_id: str) -> TeamUser | None: ...

    async def list_by_owner(self, owner: str) -> list[TeamUser]:
        """An admin's team users in insertion order."""

    async def update(self, user: TeamUser) -> None:
        """Write username, password, permissions and updated_at; :class:`DuplicateKey` when
        the username is taken."""

    async def delete(self, user_id: str, owner: str) -> bool:
        """Delete the admin's team user; False when there is none with this id and owner."""

    async def insert(self, user: TeamUser) -> None:
        """Raises :class:`DuplicateKey` when the username exists."""

    async def set_permissions(self, user_id: str, permissions: Permissions) -> None: ...

    async def list_allowing(self, resource: str, resource_id: str) -> list[TeamUser]:
        """Team users of every admin whose ``allowed`` list for ``resource`` holds the id."""


class ApiTokenRepository(Protocol):
    """API tokens for CI (FaynoSync v2.1's ``api_tokens`` collection)."""

    async def insert(self, token: ApiToken) -> None:
        """Raises :class:`DuplicateKey` when a token with the same hash exists."""

    async def get_by_hash(self, token_hash: str) -> ApiToken | None: ...

    async def list(self, owner: str) -> list[ApiToken]:
        """The admin's tokens, the newest first."""

    async def delete(self, token_id: str, owner: str) -> bool:
        """False when the admin has no token with this id."""

    async def used(self, token_id: str, at: datetime) -> None:
        """Set ``last_used_at``."""


class MetaRepository(Protocol):
    """Apps, channels, platforms and archs (FaynoSync's ``apps_meta`` collection)."""

    async def insert(self, meta: Meta) -> None:
        """Raises :class:`DuplicateKey` when the owner has one of that kind and name."""

    async def with_logos(self, links: list[str]) -> list[tuple[str, str]]:
        """(app id, logo) of every app, of any tenant, whose logo is one of these links."""

    async def get(self, kind: Kind, meta_id: str) -> Meta | None:
        """The document with this id, if it is of this kind."""

    async def get_by_name(self, kind: Kind, name: str, owner: str) -> Meta | None: ...

    async def get_by_names(self, owner: str, names: Mapping[Kind, str]) -> dict[Kind, Meta]:
        """The owner's documents of these kinds and names, in one query; a kind whose
        document does not exist is absent from the answer."""

    async def list(
        self, kind: Kind, owner: str, *, ids: list[str] | None = None, limit: int = LIST_CAP
    ) -> list[Meta]:
        """The owner's documents of this kind in insertion order, at most ``limit`` of them;
        only ``ids`` when given."""

    async def update(self, meta: Meta, *, flags: bool = False) -> None:
        """Write name, updated_at and the kind's fields; :class:`DuplicateKey` on a taken name.

        An app's ``tuf``, ``reports`` and ``cdn_edge`` are written only with ``flags`` (API
        level 2.1); otherwise they stay as stored."""

    async def delete(self, kind: Kind, meta_id: str) -> bool: ...

    def every(self, kind: Kind) -> AsyncIterator[Meta]:
        """Every document of this kind, of every owner, read in batches."""


class VersionRepository(Protocol):
    """Versions of apps with their artifacts (FaynoSync's ``apps`` collection)."""

    async def insert(self, version: Version) -> None:
        """Raises :class:`DuplicateKey` when the owner's app has this version already."""

    async def get(self, version_id: str) -> Version | None: ...

    async def find(self, app_id: str, version: str, owner: str) -> Version | None: ...

    async def append_artifacts(
        self,
        version_id: str,
        artifacts: list[Artifact],
        updated_at: datetime,
        repeatable: frozenset[str] = frozenset(),
    ) -> bool:
        """Append atomically unless the version has an artifact with the same extension,
        platform and arch as one of them (then nothing changes and the answer is False);
        extensions in ``repeatable`` are never refused."""

    async def save(self, version: Version) -> None:
        """Write the mutable fields: flags, artifacts, changelog, updated_at, and the rollout
        (its percent and seed when set, its plan)."""

    async def delete(self, version_id: str) -> bool: ...

    async def search(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> tuple[list[Version], int]:
        """One page in the database ordering (highest first) and the number of matches.

        Raises :class:`StoreError` with the database's message when a matched version cannot
        be ordered (an empty or oversized part, as the original's query fails).
        """

    async def latest(self, query: VersionFilter) -> Version | None:
        """The highest matching version in the database ordering, found through an index.

        Raises :class:`StoreError` as :meth:`search` does for an unorderable version.
        """

    async def unkeyed_steps(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> list[tuple[str, str]]:
        """Ids and version strings of matching versions without a ``step_key``
        (:func:`core.versioning.step_key`: prereleases and versions go-version cannot parse),
        in the order they were stored."""

    async def lowest_step(
        self, query: VersionFilter, *, above: str, inclusive: bool, up_to: str
    ) -> StepFound:
        """The matching version with the lowest ``step_key`` in (``above``, ``up_to``]
        (``[above, up_to]`` when ``inclusive``), found through an index, the first stored
        among equal keys; and whether matching versions without a step key exist (for
        :meth:`unkeyed_steps`)."""

    async def with_private_link(self, link: str) -> Version | None:
        """The version holding an artifact with this link."""

    async def references(self, kind: Kind, meta_id: str) -> bool:
        """Whether any version uses the app, channel, platform or arch with this id."""

    async def holding(self, links: list[str]) -> list[tuple[str, str]]:
        """(version id, link) of every artifact, of any tenant, whose link is one of these."""

    async def remove_artifacts(self, version_id: str, links: list[str]) -> None:
        """Take the artifacts with these links out of the version (atomically)."""

    async def published_targets(self) -> set[PublishedTarget]:
        """Every distinct target of an artifact of a published version, of every owner."""

    def artifact_links(self) -> AsyncIterator[ArtifactLink]:
        """The link of every artifact of every version of every owner, read in batches."""


class ClaimRepository(Protocol):
    """Leases on object keys: while one request writes or removes an object, no other may.

    A lease lapses at its expiry time, so the keys of a process that died are free again soon.
    """

    async def acquire(self, key: str, holder: str, until: datetime) -> bool:
        """Take ``key`` for ``holder`` until ``until``; False while another holder's lease on it
        has not lapsed."""

    async def renew(self, key: str, holder: str, until: datetime) -> bool:
        """Extend the holder's lease; False when it lapsed and someone else took the key."""

    async def release(self, key: str, holder: str) -> None:
        """Give the key up (nothing happens when the holder no longer has it)."""


class TelemetryRepository(Protocol):
    """Update-check telemetry, per owner, app and day, kept 30 days."""

    async def merge(self, batch: TelemetryBatch) -> None:
        """Add a batch: request counts add up; a device's version and answer are replaced by
        the batch's, its channels, platforms and archs join the stored ones; the app's known
        versions grow and stay (all of them) while the app sees traffic."""

    async def requests(self, owner: str, dates: list[str]) -> dict[tuple[str, str], int]:
        """Requests per (app, date) of an owner on these dates."""

    async def devices(self, owner: str, apps: list[str], dates: list[str]) -> list[DeviceDay]: ...

    async def known_versions(self, owner: str, apps: list[str]) -> dict[str, set[str]]: ...

    async def purge(self, before: str) -> None:
        """Forget days before ``before`` (YYYY-MM-DD), and known versions of apps unseen since."""


class ReportRepository(Protocol):
    """Crash and event reports (FaynoSync v2.1's ``report_keys``, ``report_groups`` and
    ``report_blobs``) and the counters of their rate limits. Every query is scoped to a
    tenant (``owner``) and, when given, to a list of its apps."""

    async def insert_key(self, key: ReportKey) -> None:
        """Raises :class:`DuplicateKey` when the app has a key."""

    async def key_of_app(self, app_id: str) -> ReportKey | None: ...

    async def delete_key(self, app_id: str, owner: str) -> bool: ...

    async def set_key_value(self, key_id: str, value: str, at: datetime) -> None:
        """A new ``key_value``, ``updated_at`` = ``at``."""

    async def keys(self, owner: str, apps: list[str] | None) -> list[ReportKey]:
        """The tenant's keys (of ``apps`` when given) whose app exists, with its name, the most
        recently updated first."""

    async def key_by_value(self, value: str) -> ReportKey | None:
        """The key with this value whose app exists, with the app's name and reports flag."""

    async def record(self, group: ReportGroup) -> None:
        """Count one report: the group of (``app_id``, ``group_hash``) is created as given
        (count 1) or its count grows by one, ``last_seen`` and ``updated_at`` set to the
        given ``last_seen``; a resolved group is open again. Concurrent first reports make one
        group."""

    async def count_details(self, app_id: str, group_hash: str, *, stored: bool) -> None:
        """One more stored (or rejected) details of the group."""

    async def groups(
        self, query: GroupFilter, *, skip: int, limit: int
    ) -> tuple[list[ReportGroup], int]:
        """One page, the most recently seen first, and the number of matches."""

    async def change_group(
        self, owner: str, apps: list[str] | None, group_hash: str, change: GroupChange, at: datetime
    ) -> bool:
        """Triage the groups of this hash (FaynoSync: every matching group); False when none."""

    async def delete_group(
        self, owner: str, apps: list[str] | None, group_hash: str
    ) -> list[ReportBlob] | None:
        """Delete the groups of this hash and their blobs' documents; the blobs deleted, None
        when no group was."""

    async def insert_blob(self, blob: ReportBlob) -> None: ...

    async def blobs(
        self, owner: str, apps: list[str] | None, group_hash: str, *, limit: int, now: datetime
    ) -> list[ReportBlob]:
        """The newest unexpired blobs of the groups of this hash."""

    async def excess_blobs(
        self, app_id: str, group_hash: str, *, keep: int, now: datetime
    ) -> list[ReportBlob]:
        """The group's blobs past the newest ``keep``, and expired ones."""

    async def expired_blobs(self, now: datetime, *, limit: int) -> list[ReportBlob]:
        """Blobs of any tenant past their ``expires_at``, the oldest first."""

    async def delete_blobs(self, blob_ids: list[str]) -> None: ...

    def blob_keys(self) -> AsyncIterator[str]:
        """The object key of every blob document, of every tenant."""

    async def hit(self, counter: str, expires_at: datetime) -> int:
        """Add one to a rate-limit counter (atomically, across processes); its value now. The
        counter is forgotten after ``expires_at``."""


class ChangeCounter(Protocol):
    """A counter every write that may change an update check moves, so that the processes
    serving one database clear their response caches (``checks.sync``)."""

    async def bump(self) -> int:
        """Add one; returns the new value."""

    async def count(self) -> int:
        """The value now (0 before the first bump)."""


class Store(Protocol):
    name: str
    """What the health check calls the database ("MongoDB", "SQLite")."""

    @property
    def admins(self) -> AdminRepository: ...

    @property
    def team_users(self) -> TeamUserRepository: ...

    @property
    def meta(self) -> MetaRepository: ...

    @property
    def api_tokens(self) -> ApiTokenRepository: ...

    @property
    def versions(self) -> VersionRepository: ...

    @property
    def telemetry(self) -> TelemetryRepository: ...

    @property
    def reports(self) -> ReportRepository: ...

    @property
    def claims(self) -> ClaimRepository: ...

    @property
    def changes(self) -> ChangeCounter: ...

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """A block (``with store.snapshot():``) whose reads see one committed state of the
        database, and cost less, where the database offers it cheaply (SQLite: one read
        transaction); elsewhere the reads of the block are made as outside it. Blocks may
        overlap and nest. Writes inside are not part of it."""

    async def migrate(self) -> None:
        """Create what the schema needs (collections, indexes, tables). Idempotent."""

    async def ping(self) -> None:
        """Raise :class:`StoreError` when the database does not answer."""

    async def close(self) -> None: ...
