"""MongoDB backend: FaynoSync's collections, field names, BSON types and indexes, exactly.

Pointed at an existing FaynoSync database it reads and writes the same documents.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConfigurationError, DuplicateKeyError, OperationFailure, PyMongoError

from faynosync.core.versioning import OrderingError, order_key, step_key
from faynosync.store.models import (
    NAME_FIELDS,
    Admin,
    Artifact,
    ArtifactLink,
    ChangelogEntry,
    DeviceDay,
    Kind,
    Meta,
    Permissions,
    TeamUser,
    TelemetryBatch,
    Updater,
    Version,
    VersionFilter,
)
from faynosync.store.protocol import StoreError, translate_errors

log = logging.getLogger(__name__)

Document = dict[str, Any]

_EXISTS = {"$exists": True}
BATCH = 1000  # documents per round trip when a whole collection is read

# The indexes after all FaynoSync v1.4.6 migrations, by collection
# (docs/behaviour.md#mongodb-indexes).
INDEXES: dict[str, list[Document]] = {
    "apps": [
        {"name": "app_name_sort_by_asc_created", "key": [("app_name", 1), ("created", -1)]},
        {"name": "version_of_app", "key": [("version", 1)]},
        {
            "name": "unique_link_to_app_with_specific_version",
            "key": [("link", 1)],
            "unique": True,
            "partialFilterExpression": {"link": _EXISTS},
        },
        {
            "name": "package_type_sort_by_asc_created",
            "key": [("package_type", 1), ("created", -1)],
            "unique": True,
            "partialFilterExpression": {"package_type": _EXISTS},
        },
        {"name": "index_on_app_id", "key": [("app_id", 1)]},
        {"name": "index_on_channel_id", "key": [("channel_id", 1)]},
        {"name": "index_on_artifacts_platform", "key": [("artifacts.platform", 1)]},
        {"name": "index_on_artifacts_arch", "key": [("artifacts.arch", 1)]},
        # Ours (the first one is also FaynoSync's since 2026-09): one document per version,
        # even for concurrent uploads, and /download's lookup of a key's owner.
        {
            "name": "unique_app_version_owner",
            "key": [("app_id", 1), ("version", 1), ("owner", 1)],
            "unique": True,
            "partialFilterExpression": {"app_id": {"$type": "objectId"}},
        },
        {"name": "faynosync_artifacts_link", "key": [("artifacts.link", 1)]},
        {
            "name": "faynosync_intermediate",
            "key": [("app_id", 1), ("faynosync_order.step", 1)],
            "partialFilterExpression": {"required_intermediate": True},
        },
        # Also serves the search for versions without the ordering's numbers
        # (MongoVersions._order_matched): their faynosync_order.v1 is null.
        {
            "name": "faynosync_latest",
            "key": [
                ("app_id", 1),
                ("published", 1),
                *[(f"faynosync_order.v{i}", -1) for i in range(1, 5)],
            ],
        },
    ],
    "admins": [
        {
            "name": "username_sort_by_asc_created",
            "key": [("username", 1), ("created", -1)],
            "unique": True,
        },
        {"name": "password_of_admin_user", "key": [("password", 1)]},
    ],
    "apps_meta": [
        {
            "name": f"{field}_owner_sort_by_asc_created",
            "key": [(field, 1), ("owner", 1), ("created", -1)],
            "unique": True,
            "partialFilterExpression": {field: _EXISTS, "owner": _EXISTS},
        }
        for field in ("channel_name", "platform_name", "arch_id", "app_name")
    ],
    **{
        name: [
            {"name": "faynosync_expiry", "key": [("expires_at", 1)], "expireAfterSeconds": 0},
            {"name": "faynosync_scope", "key": [("owner", 1), ("app", 1), ("date", 1)]},
        ]
        for name in ("telemetry_daily", "telemetry_devices", "telemetry_versions")
    },
    "faynosync_claims": [
        {"name": "faynosync_expiry", "key": [("expires_at", 1)], "expireAfterSeconds": 0},
    ],
    "team_users": [
        {
            "name": "username_sort_by_asc_created",
            "key": [("username", 1), ("created", -1)],
            "unique": True,
        },
        {"name": "password_of_team_user", "key": [("password", 1)]},
    ],
}

# Indexes of earlier versions of this server that nothing uses any more; migrate drops them.
OBSOLETE_INDEXES: dict[str, list[str]] = {"apps": ["faynosync_unorderable"]}

DEFAULT_UPDATERS = [{"type": "manual", "default": True}]


def _oid(hex_id: str) -> ObjectId:
    return ObjectId(hex_id)


def _duplicate_message(exc: Exception) -> str | None:
    if not isinstance(exc, DuplicateKeyError):
        return None
    errmsg = (exc.details or {}).get("errmsg") or str(exc)
    return f"write exception: write errors: [{errmsg}]"


def _describe(exc: Exception) -> str:
    """The Go driver's text for a command error: ``(CodeName) message``."""
    if isinstance(exc, OperationFailure) and exc.details:
        message = str(exc.details.get("errmsg", exc))
        name = exc.details.get("codeName")
        return f"({name}) {message}" if name else message
    return str(exc)


def _is_full(exc: Exception) -> bool:
    # OutOfDiskSpace: the server could not write (WiredTiger returns ENOSPC to it).
    return isinstance(exc, OperationFailure) and exc.code == 14031


_translated = translate_errors(
    duplicate=_duplicate_message, driver_errors=(PyMongoError,), describe=_describe, full=_is_full
)


class MongoAdmins:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @staticmethod
    def _from(doc: Document) -> Admin:
        return Admin(
            id=str(doc["_id"]),
            username=doc.get("username", ""),
            password=doc.get("password", ""),
            updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
        )

    @_translated
    async def get_by_username(self, username: str) -> Admin | None:
        doc = await self._c.find_one({"username": username})
        return self._from(doc) if doc else None

    @_translated
    async def get_by_id_and_username(self, admin_id: str, username: str) -> Admin | None:
        doc = await self._c.find_one({"_id": _oid(admin_id), "username": username})
        return self._from(doc) if doc else None

    @_translated
    async def insert(self, admin: Admin) -> None:
        doc = {
            "_id": _oid(admin.id),
            "username": admin.username,
            "password": admin.password,
            "updated_at": admin.updated_at,
        }
        await self._c.insert_one(doc)

    @_translated
    async def update_password(
        self, admin_id: str, *, password: str | None, updated_at: datetime
    ) -> bool:
        changes: Document = {"updated_at": updated_at}
        if password:
            changes = {"password": password, **changes}
        result = await self._c.update_one({"_id": _oid(admin_id)}, {"$set": changes})
        return result.matched_count > 0


class MongoTeamUsers:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @staticmethod
    def _from(doc: Document) -> TeamUser:
        return TeamUser(
            id=str(doc["_id"]),
            username=doc.get("username", ""),
            password=doc.get("password", ""),
            owner=doc.get("owner", ""),
            permissions=Permissions.from_document(doc.get("permissions")),
            updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
        )

    @_translated
    async def get_by_username(self, username: str) -> TeamUser | None:
        doc = await self._c.find_one({"username": username})
        return self._from(doc) if doc else None

    @_translated
    async def insert(self, user: TeamUser) -> None:
        doc = {
            "_id": _oid(user.id),
            "username": user.username,
            "password": user.password,
            "owner": user.owner,
            "permissions": user.permissions.to_document(),
            "updated_at": user.updated_at,
        }
        await self._c.insert_one(doc)

    @_translated
    async def get(self, user_id: str) -> TeamUser | None:
        doc = await self._c.find_one({"_id": _oid(user_id)})
        return self._from(doc) if doc else None

    @_translated
    async def list_by_owner(self, owner: str) -> list[TeamUser]:
        return [self._from(doc) async for doc in self._c.find({"owner": owner})]

    @_translated
    async def update(self, user: TeamUser) -> None:
        changes = {
            "username": user.username,
            "password": user.password,
            "permissions": user.permissions.to_document(),
            "updated_at": user.updated_at,
        }
        await self._c.update_one({"_id": _oid(user.id)}, {"$set": changes})

    @_translated
    async def delete(self, user_id: str, owner: str) -> bool:
        result = await self._c.delete_one({"_id": _oid(user_id), "owner": owner})
        return result.deleted_count > 0

    @_translated
    async def set_permissions(self, user_id: str, permissions: Permissions) -> None:
        await self._c.update_one(
            {"_id": _oid(user_id)}, {"$set": {"permissions": permissions.to_document()}}
        )

    @_translated
    async def list_allowing(self, resource: str, resource_id: str) -> list[TeamUser]:
        cursor = self._c.find({f"permissions.{resource}.allowed": resource_id})
        return [self._from(doc) async for doc in cursor]


def _meta_from(kind: Kind, doc: Document) -> Meta:
    updaters = doc.get("updaters")
    return Meta(
        id=str(doc["_id"]),
        kind=kind,
        name=str(doc.get(NAME_FIELDS[kind], "")),
        owner=str(doc.get("owner", "")),
        updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
        logo=str(doc.get("logo") or ""),
        description=str(doc.get("description") or ""),
        private=doc.get("private") is True,
        updaters=None
        if not isinstance(updaters, list)
        else [
            Updater(type=str(u.get("type", "")), default=u.get("default") is True)
            for u in updaters
            if isinstance(u, dict)
        ],
    )


def _kind_fields(meta: Meta) -> Document:
    """The fields between the name and updated_at, in FaynoSync's order."""
    if meta.kind is Kind.PLATFORM:
        return {"updaters": [{"type": u.type, "default": u.default} for u in meta.updaters or []]}
    if meta.kind is not Kind.APP:
        return {}
    fields: Document = {}
    if meta.logo:
        fields["logo"] = meta.logo
    if meta.description:
        fields["description"] = meta.description
    if meta.private:
        fields["private"] = True
    return fields


class MongoMeta:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @_translated
    async def insert(self, meta: Meta) -> None:
        doc: Document = {"_id": _oid(meta.id), NAME_FIELDS[meta.kind]: meta.name}
        doc.update(_kind_fields(meta))
        doc.update({"updated_at": meta.updated_at, "owner": meta.owner})
        await self._c.insert_one(doc)

    @_translated
    async def with_logos(self, links: list[str]) -> list[tuple[str, str]]:
        cursor = self._c.find({"logo": {"$in": links}}, {"logo": 1})
        return [(str(doc["_id"]), str(doc["logo"])) async for doc in cursor]

    @_translated
    async def get(self, kind: Kind, meta_id: str) -> Meta | None:
        doc = await self._c.find_one({"_id": _oid(meta_id), NAME_FIELDS[kind]: _EXISTS})
        return _meta_from(kind, doc) if doc else None

    @_translated
    async def get_by_name(self, kind: Kind, name: str, owner: str) -> Meta | None:
        doc = await self._c.find_one({NAME_FIELDS[kind]: name, "owner": owner})
        return _meta_from(kind, doc) if doc else None

    @_translated
    async def list(
        self, kind: Kind, owner: str, *, ids: list[str] | None = None, limit: int = 100
    ) -> list[Meta]:
        query: Document = {NAME_FIELDS[kind]: _EXISTS, "owner": owner}
        if ids is not None:
            query["_id"] = {"$in": [_oid(i) for i in ids]}
        cursor = self._c.find(query).limit(limit)
        return [_meta_from(kind, doc) async for doc in cursor]

    @_translated
    async def update(self, meta: Meta) -> None:
        changes: Document = {NAME_FIELDS[meta.kind]: meta.name, **_kind_fields(meta)}
        changes["updated_at"] = meta.updated_at
        await self._c.update_one({"_id": _oid(meta.id)}, {"$set": changes})

    @_translated
    async def delete(self, kind: Kind, meta_id: str) -> bool:
        result = await self._c.delete_one({"_id": _oid(meta_id), NAME_FIELDS[kind]: _EXISTS})
        return result.deleted_count > 0

    async def every(self, kind: Kind) -> AsyncIterator[Meta]:
        try:
            async for doc in self._c.find({NAME_FIELDS[kind]: _EXISTS}).batch_size(BATCH):
                yield _meta_from(kind, doc)
        except PyMongoError as exc:
            raise StoreError(_describe(exc)) from exc


_REFERENCE_FIELDS = {
    Kind.APP: "app_id",
    Kind.CHANNEL: "channel_id",
    Kind.PLATFORM: "artifacts.platform",
    Kind.ARCH: "artifacts.arch",
}


def _artifact_document(artifact: Artifact) -> Document:
    return {
        "link": artifact.link,
        "platform": _oid(artifact.platform),
        "arch": _oid(artifact.arch),
        "package": artifact.package,
        "signature": artifact.signature,
    }


def version_document(version: Version) -> Document:
    """A version as FaynoSync stores it in ``apps``."""
    return {
        "_id": _oid(version.id),
        "app_id": _oid(version.app_id),
        "version": version.version,
        "channel_id": _oid(version.channel_id),
        "published": version.published,
        "critical": version.critical,
        "required_intermediate": version.required_intermediate,
        "artifacts": [_artifact_document(a) for a in version.artifacts],
        "changelog": [
            {"version": c.version, "changes": c.changes, "date": c.date} for c in version.changelog
        ],
        "updated_at": version.updated_at,
        "owner": version.owner,
        ORDER_FIELD: order_document(version.version),
    }


def version_from(doc: Document) -> Version:
    return Version(
        id=str(doc["_id"]),
        app_id=str(doc.get("app_id", "")),
        version=str(doc.get("version", "")),
        channel_id=str(doc.get("channel_id", "")),
        published=doc.get("published") is True,
        critical=doc.get("critical") is True,
        required_intermediate=doc.get("required_intermediate") is True,
        artifacts=[
            Artifact(
                link=str(a.get("link", "")),
                platform=str(a.get("platform", "")),
                arch=str(a.get("arch", "")),
                package=str(a.get("package", "")),
                signature=str(a.get("signature", "")),
            )
            for a in doc.get("artifacts") or []
        ],
        changelog=[
            ChangelogEntry(
                version=str(c.get("version", "")),
                changes=str(c.get("changes", "")),
                date=str(c.get("date", "")),
            )
            for c in doc.get("changelog") or []
        ],
        updated_at=doc.get("updated_at") or datetime.fromtimestamp(0, UTC),
        owner=str(doc.get("owner", "")),
    )


# The database ordering (core.versioning.order_key), kept with each version document so that
# the latest version is found through an index; FaynoSync's own code ignores the extra field.
# FaynoSync running beside this server on the same database writes versions without it (and
# its edits keep it, as they never change the version string): every read that relies on the
# field first gives it to the documents it matches that lack it.
ORDER_FIELD = "faynosync_order"
_ORDERING_ROUNDS = 5
_SORT = [(f"{ORDER_FIELD}.v{i}", -1) for i in range(1, 5)]
# Without the ordering's numbers: versions that cannot be ordered and versions without the field.
_UNNUMBERED: Document = {f"{ORDER_FIELD}.v1": None}


def order_document(version: str) -> Document:
    """The database ordering's parts (or its error) and go-version's ``step`` key."""
    try:
        key = order_key(version)
    except OrderingError as exc:
        # What the original's $toInt pipeline answers when this version is among the matched.
        doc: Document = {"error": f"(ConversionFailure) {exc}"}
    else:
        doc = {f"v{i}": part for i, part in enumerate(key, start=1)}
    doc["step"] = step_key(version)
    return doc


def _unordered(doc: Document) -> bool:
    """Whether a version document lacks the ordering field (as FaynoSync writes versions)."""
    order = doc.get(ORDER_FIELD)
    return not isinstance(order, dict) or "step" not in order


def _ordering(doc: Document) -> tuple[Document, UpdateOne]:
    """The ordering field of a version document that lacks it (``_id``, ``version`` and the
    field read), and the update storing it unless another process changed it meanwhile."""
    order = order_document(str(doc.get("version", "")))
    seen = doc.get(ORDER_FIELD, {"$exists": False})
    return order, UpdateOne({"_id": doc["_id"], ORDER_FIELD: seen}, {"$set": {ORDER_FIELD: order}})


def _version_match(query: VersionFilter) -> Document:
    match: Document = {"owner": query.owner}
    if query.app_id is not None:
        match["app_id"] = _oid(query.app_id)
    if query.channel_id is not None:
        match["channel_id"] = _oid(query.channel_id)
    if query.published is not None:
        match["published"] = query.published
    if query.critical is not None:
        match["critical"] = query.critical
    element: Document = {}
    if query.platform_id is not None:
        element["platform"] = _oid(query.platform_id)
    if query.arch_id is not None:
        element["arch"] = _oid(query.arch_id)
    if element:
        match["artifacts"] = {"$elemMatch": element}
    if query.required_intermediate is not None:
        match["required_intermediate"] = query.required_intermediate
    return match


class MongoVersions:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @_translated
    async def insert(self, version: Version) -> None:
        await self._c.insert_one(version_document(version))

    @_translated
    async def get(self, version_id: str) -> Version | None:
        doc = await self._c.find_one({"_id": _oid(version_id)})
        return version_from(doc) if doc else None

    @_translated
    async def find(self, app_id: str, version: str, owner: str) -> Version | None:
        doc = await self._c.find_one({"app_id": _oid(app_id), "version": version, "owner": owner})
        return version_from(doc) if doc else None

    @_translated
    async def append_artifacts(
        self, version_id: str, artifacts: list[Artifact], updated_at: datetime
    ) -> bool:
        taken = [
            {"artifacts": {"$elemMatch": {"package": a.package, "platform": p, "arch": r}}}
            for a in artifacts
            for p, r in [(_oid(a.platform), _oid(a.arch))]
        ]
        pushed = [_artifact_document(a) for a in artifacts]
        result = await self._c.update_one(
            {"_id": _oid(version_id), "$nor": taken},
            {"$push": {"artifacts": {"$each": pushed}}, "$set": {"updated_at": updated_at}},
        )
        return result.modified_count > 0

    @_translated
    async def save(self, version: Version) -> None:
        doc = version_document(version)
        fields = ("published", "critical", "required_intermediate", "artifacts", "changelog")
        changes = {name: doc[name] for name in fields}
        changes["updated_at"] = version.updated_at
        await self._c.update_one({"_id": doc["_id"]}, {"$set": changes})

    @_translated
    async def delete(self, version_id: str) -> bool:
        result = await self._c.delete_one({"_id": _oid(version_id)})
        return result.deleted_count > 0

    async def _order(self, writes: list[UpdateOne]) -> None:
        if writes:
            await self._c.bulk_write(writes, ordered=False)

    async def _order_matched(self, match: Document) -> None:
        """Give the matched versions that lack the ordering field theirs, then raise as the
        original's query fails if one of the matched versions cannot be ordered.

        One indexed query (faynosync_latest, ``v1`` null) that finds nothing in the usual case.
        """
        error: str | None = None
        writes: list[UpdateOne] = []
        async for doc in self._c.find({**match, **_UNNUMBERED}, {"version": 1, ORDER_FIELD: 1}):
            if _unordered(doc):
                order, write = _ordering(doc)
                writes.append(write)
            else:
                order = doc[ORDER_FIELD]
            error = error or order.get("error")
        await self._order(writes)
        if error is not None:
            raise StoreError(str(error))

    async def _read_ordered(self, read: Callable[[], Awaitable[list[Document]]]) -> list[Document]:
        """What ``read`` answers once none of the documents it reads lacks the ordering field.

        A version FaynoSync wrote meanwhile is out of place (last in the database ordering,
        first among those without a ``step``) until it gets the field: then read again. Each
        round orders what it read, so a few rounds suffice unless FaynoSync keeps writing; the
        last round's answer is taken as it is.
        """
        for _ in range(_ORDERING_ROUNDS):
            docs = await read()
            unordered = [_ordering(doc)[1] for doc in docs if _unordered(doc)]
            if not unordered:
                return docs
            await self._order(unordered)
        return await read()

    async def _ordered(self, match: Document, *, skip: int, limit: int) -> list[Version]:
        async def read() -> list[Document]:
            await self._order_matched(match)
            cursor = self._c.find(match).sort(_SORT).skip(skip).limit(limit)
            return [doc async for doc in cursor]

        return [version_from(doc) for doc in await self._read_ordered(read)]

    @_translated
    async def search(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> tuple[list[Version], int]:
        match = _version_match(query)
        items = await self._ordered(match, skip=skip, limit=limit)
        return items, await self._c.count_documents(match)

    @_translated
    async def latest(self, query: VersionFilter) -> Version | None:
        items = await self._ordered(_version_match(query), skip=0, limit=1)
        return items[0] if items else None

    @_translated
    async def steps(
        self,
        query: VersionFilter,
        *,
        above: str,
        inclusive: bool,
        up_to: str,
        skip: int,
        limit: int,
    ) -> list[tuple[str, str]]:
        step = f"{ORDER_FIELD}.step"
        low = "$gte" if inclusive else "$gt"
        match = {
            **_version_match(query),
            "$or": [{step: None}, {step: {low: above, "$lte": up_to}}],
        }

        async def read() -> list[Document]:
            cursor = (
                self._c.find(match, {"version": 1, ORDER_FIELD: 1})
                .sort([(step, 1), ("_id", 1)])
                .skip(skip)
                .limit(limit)
            )
            return [doc async for doc in cursor]

        docs = await self._read_ordered(read)
        return [(str(doc["_id"]), str(doc.get("version", ""))) for doc in docs]

    @_translated
    async def with_private_link(self, link: str) -> Version | None:
        doc = await self._c.find_one({"artifacts.link": link})
        return version_from(doc) if doc else None

    @_translated
    async def references(self, kind: Kind, meta_id: str) -> bool:
        found = await self._c.find_one({_REFERENCE_FIELDS[kind]: _oid(meta_id)}, {"_id": 1})
        return found is not None

    @_translated
    async def holding(self, links: list[str]) -> list[tuple[str, str]]:
        wanted = set(links)
        cursor = self._c.find({"artifacts.link": {"$in": links}}, {"artifacts.link": 1})
        return [
            (str(doc["_id"]), artifact["link"])
            async for doc in cursor
            for artifact in doc.get("artifacts") or []
            if artifact.get("link") in wanted
        ]

    @_translated
    async def remove_artifacts(self, version_id: str, links: list[str]) -> None:
        await self._c.update_one(
            {"_id": _oid(version_id)}, {"$pull": {"artifacts": {"link": {"$in": links}}}}
        )

    async def artifact_links(self) -> AsyncIterator[ArtifactLink]:
        fields = {"app_id": 1, "owner": 1, "artifacts.link": 1}
        try:
            async for doc in self._c.find({}, fields).batch_size(BATCH):
                for artifact in doc.get("artifacts") or []:
                    yield ArtifactLink(
                        link=str(artifact.get("link", "")),
                        version_id=str(doc["_id"]),
                        app_id=str(doc.get("app_id", "")),
                        owner=str(doc.get("owner", "")),
                    )
        except PyMongoError as exc:
            raise StoreError(_describe(exc)) from exc


class MongoClaims:
    """Leases in ``faynosync_claims``: one document per key, removed by a TTL index once lapsed
    (the acquire also takes over a lapsed one the TTL monitor has not removed yet)."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @_translated
    async def acquire(self, key: str, holder: str, until: datetime) -> bool:
        for _ in range(2):  # the TTL monitor may remove a lapsed lease between the two steps
            try:
                await self._c.insert_one({"_id": key, "holder": holder, "expires_at": until})
                return True
            except DuplicateKeyError:
                pass
            taken = await self._c.update_one(
                {"_id": key, "expires_at": {"$lte": datetime.now(UTC)}},
                {"$set": {"holder": holder, "expires_at": until}},
            )
            if taken.matched_count:
                return True
            if await self._c.find_one({"_id": key}, {"_id": 1}) is not None:
                return False
        return False

    @_translated
    async def renew(self, key: str, holder: str, until: datetime) -> bool:
        result = await self._c.update_one(
            {"_id": key, "holder": holder}, {"$set": {"expires_at": until}}
        )
        return result.matched_count > 0

    @_translated
    async def release(self, key: str, holder: str) -> None:
        await self._c.delete_one({"_id": key, "holder": holder})


TELEMETRY_DAYS = 31  # a day's data outlives it by 30 days, as the original's key TTL


def _expiry(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=TELEMETRY_DAYS)


class MongoTelemetry:
    """Three collections with TTL indexes: daily request counts, device days, known versions."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._daily = db["telemetry_daily"]
        self._devices = db["telemetry_devices"]
        self._versions = db["telemetry_versions"]

    @_translated
    async def merge(self, batch: TelemetryBatch) -> None:
        daily = [
            UpdateOne(
                {"_id": f"{owner}|{app}|{day}"},
                {
                    "$inc": {"requests": count},
                    "$set": {"owner": owner, "app": app, "date": day, "expires_at": _expiry(day)},
                },
                upsert=True,
            )
            for (owner, app, day), count in batch.requests.items()
        ]
        devices = [
            UpdateOne(
                {"_id": f"{d.owner}|{d.app}|{d.date}|{d.device}"},
                {
                    "$set": {
                        "owner": d.owner,
                        "app": d.app,
                        "date": d.date,
                        "device": d.device,
                        "version": d.version,
                        "has_update": d.has_update,
                        "expires_at": _expiry(d.date),
                    },
                    "$addToSet": {
                        "channels": {"$each": sorted(d.channels)},
                        "platforms": {"$each": sorted(d.platforms)},
                        "archs": {"$each": sorted(d.archs)},
                    },
                },
                upsert=True,
            )
            for d in batch.devices.values()
        ]
        versions = [
            UpdateOne(
                {"_id": f"{owner}|{app}|{version}"},
                {"$set": {"owner": owner, "app": app, "version": version}},
                upsert=True,
            )
            for (owner, app), known in batch.versions.items()
            for version in known
        ]
        for collection, writes in (
            (self._daily, daily),
            (self._devices, devices),
            (self._versions, versions),
        ):
            if writes:
                await collection.bulk_write(writes, ordered=False)
        # The known versions of an app live on while it is seen (as a Redis key's TTL).
        for owner, app in batch.versions:
            await self._versions.update_many(
                {"owner": owner, "app": app}, {"$set": {"expires_at": _expiry(batch.today)}}
            )

    @_translated
    async def requests(self, owner: str, dates: list[str]) -> dict[tuple[str, str], int]:
        cursor = self._daily.find({"owner": owner, "date": {"$in": dates}})
        return {(doc["app"], doc["date"]): int(doc["requests"]) async for doc in cursor}

    @_translated
    async def devices(self, owner: str, apps: list[str], dates: list[str]) -> list[DeviceDay]:
        cursor = self._devices.find({"owner": owner, "app": {"$in": apps}, "date": {"$in": dates}})
        return [
            DeviceDay(
                owner=owner,
                app=doc["app"],
                date=doc["date"],
                device=doc["device"],
                version=doc["version"],
                has_update=bool(doc["has_update"]),
                channels=set(doc.get("channels", [])),
                platforms=set(doc.get("platforms", [])),
                archs=set(doc.get("archs", [])),
            )
            async for doc in cursor
        ]

    @_translated
    async def known_versions(self, owner: str, apps: list[str]) -> dict[str, set[str]]:
        known: dict[str, set[str]] = {}
        async for doc in self._versions.find({"owner": owner, "app": {"$in": apps}}):
            known.setdefault(doc["app"], set()).add(doc["version"])
        return known

    @_translated
    async def purge(self, before: str) -> None:
        # The TTL indexes expire documents; this drops what they have not reached yet.
        for collection in (self._daily, self._devices):
            await collection.delete_many({"date": {"$lt": before}})


class MongoStore:
    """The store on MongoDB; the database is the one named in the URL's path."""

    name = "MongoDB"

    def __init__(self, url: str, *, timeout_ms: int = 30_000) -> None:
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, tzinfo=UTC, serverSelectionTimeoutMS=5_000, timeoutMS=timeout_ms
        )
        try:
            self._db: AsyncDatabase[Document] = self._client.get_default_database(
                codec_options=CodecOptions(tz_aware=True, tzinfo=UTC)
            )
        except ConfigurationError:
            raise StoreError(
                "MONGODB_URL must name the database in its path, "
                "e.g. mongodb://host:27017/faynosync"
            ) from None
        self.admins = MongoAdmins(self._db["admins"])
        self.team_users = MongoTeamUsers(self._db["team_users"])
        self.meta = MongoMeta(self._db["apps_meta"])
        self.versions = MongoVersions(self._db["apps"])
        self.telemetry = MongoTelemetry(self._db)
        self.claims = MongoClaims(self._db["faynosync_claims"])

    @property
    def database(self) -> AsyncDatabase[Document]:
        return self._db

    async def ping(self) -> None:
        try:
            await self._db.command("ping")
        except PyMongoError as exc:
            raise StoreError(str(exc)) from None

    async def migrate(self) -> None:
        for collection, indexes in INDEXES.items():
            await self._ensure_indexes(self._db[collection], indexes)
        for collection, names in OBSOLETE_INDEXES.items():
            existing = await self._db[collection].index_information()
            for name in names:
                if name in existing:
                    try:
                        await self._db[collection].drop_index(name)
                    except OperationFailure as exc:  # e.g. another process dropped it first
                        log.warning("index %s on %s not dropped: %s", name, collection, exc)
        await self._backfill_order()
        # FaynoSync migration 20250813110143: platforms without updaters get a manual default.
        await self._db["apps_meta"].update_many(
            {"platform_name": _EXISTS, "updaters": {"$exists": False}},
            {"$set": {"updaters": DEFAULT_UPDATERS}},
        )

    async def _backfill_order(self) -> None:
        """Versions written by FaynoSync get the ordering field this server sorts by."""
        versions = self._db["apps"]
        batch: list[UpdateOne] = []
        missing = {f"{ORDER_FIELD}.step": {"$exists": False}}
        async for doc in versions.find(missing, {"version": 1, ORDER_FIELD: 1}):
            batch.append(_ordering(doc)[1])
            if len(batch) == 1000:
                await versions.bulk_write(batch, ordered=False)
                batch = []
        if batch:
            await versions.bulk_write(batch, ordered=False)

    async def _ensure_indexes(
        self, collection: AsyncCollection[Document], indexes: list[Document]
    ) -> None:
        existing = await collection.index_information()
        for spec in indexes:
            if spec["name"] in existing:
                continue
            options = {k: v for k, v in spec.items() if k != "key"}
            try:
                await collection.create_index(spec["key"], background=True, **options)
            except OperationFailure as exc:
                # An existing database may hold an equivalent index under another name.
                log.warning("index %s on %s not created: %s", spec["name"], collection.name, exc)

    async def close(self) -> None:
        await self._client.close()
