"""Versions of apps in MongoDB's ``apps`` collection, as FaynoSync stores them (the
VersionRepository), sorted by the ordering field kept with each document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from faynosync.store.models import (
    Artifact,
    ArtifactLink,
    Kind,
    PublishedTarget,
    StepFound,
    Version,
    VersionFilter,
)
from faynosync.store.mongo.codec import (
    PLAN_FIELD,
    artifact_document,
    oid,
    plan_field,
    rollout_fields,
    version_document,
    version_from,
)
from faynosync.store.mongo.connection import Document, read_all
from faynosync.store.mongo.errors import translated
from faynosync.store.mongo.ordering import ORDER_FIELD, SORT, order_matched, read_ordered
from faynosync.store.rules import REFERENCE_FIELDS, version_conditions

STEP_FIELD = f"{ORDER_FIELD}.step"


def _version_match(query: VersionFilter) -> Document:
    conditions = version_conditions(query)
    match: Document = {"owner": conditions.owner}
    match.update({field: oid(value) for field, value in conditions.ids.items()})
    match.update(conditions.flags)
    if conditions.artifact:
        # Both ids on the same artifact.
        element = {field: oid(value) for field, value in conditions.artifact.items()}
        match["artifacts"] = {"$elemMatch": element}
    return match


def _id(value: object) -> str:
    """A stored reference as an id ("" when absent)."""
    return "" if value is None else str(value)


# Unkeyed versions read at a time to give FaynoSync's their step field.
STEP_PAGE = 50


class MongoVersions:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @translated
    async def insert(self, version: Version) -> None:
        await self._c.insert_one(version_document(version))

    @translated
    async def get(self, version_id: str) -> Version | None:
        doc = await self._c.find_one({"_id": oid(version_id)})
        return version_from(doc) if doc else None

    @translated
    async def find(self, app_id: str, version: str, owner: str) -> Version | None:
        doc = await self._c.find_one({"app_id": oid(app_id), "version": version, "owner": owner})
        return version_from(doc) if doc else None

    @translated
    async def append_artifacts(
        self,
        version_id: str,
        artifacts: list[Artifact],
        updated_at: datetime,
        repeatable: frozenset[str] = frozenset(),
    ) -> bool:
        taken = [
            {"artifacts": {"$elemMatch": {"package": a.package, "platform": p, "arch": r}}}
            for a in artifacts
            if a.package not in repeatable
            for p, r in [(oid(a.platform), oid(a.arch))]
        ]
        pushed = [artifact_document(a) for a in artifacts]
        match: Document = {"_id": oid(version_id)}
        if taken:
            match["$nor"] = taken
        result = await self._c.update_one(
            match,
            {"$push": {"artifacts": {"$each": pushed}}, "$set": {"updated_at": updated_at}},
        )
        return result.modified_count > 0

    @translated
    async def save(self, version: Version) -> None:
        doc = version_document(version)
        fields = ("published", "critical", "required_intermediate", "artifacts", "changelog")
        changes = {name: doc[name] for name in fields}
        changes.update(rollout_fields(version))
        changes["updated_at"] = version.updated_at
        plan = plan_field(version)
        update: Document = {"$set": changes}
        if plan is None:
            update["$unset"] = {PLAN_FIELD: ""}
        else:
            changes[PLAN_FIELD] = plan
        await self._c.update_one({"_id": doc["_id"]}, update)

    @translated
    async def delete(self, version_id: str) -> bool:
        result = await self._c.delete_one({"_id": oid(version_id)})
        return result.deleted_count > 0

    async def _ordered(self, match: Document, *, skip: int, limit: int) -> list[Version]:
        async def read() -> list[Document]:
            await order_matched(self._c, match)
            cursor = self._c.find(match).sort(SORT).skip(skip).limit(limit)
            return [doc async for doc in cursor]

        return [version_from(doc) for doc in await read_ordered(self._c, read)]

    @translated
    async def search(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> tuple[list[Version], int]:
        match = _version_match(query)
        items = await self._ordered(match, skip=skip, limit=limit)
        return items, await self._c.count_documents(match)

    @translated
    async def latest(self, query: VersionFilter) -> Version | None:
        items = await self._ordered(_version_match(query), skip=0, limit=1)
        return items[0] if items else None

    @translated
    async def unkeyed_steps(
        self, query: VersionFilter, *, skip: int, limit: int
    ) -> list[tuple[str, str]]:
        # A version FaynoSync wrote has no step field yet: it is read here, then given one.
        match = {**_version_match(query), STEP_FIELD: None}

        async def read() -> list[Document]:
            cursor = (
                self._c.find(match, {"version": 1, ORDER_FIELD: 1})
                .sort("_id", 1)
                .skip(skip)
                .limit(limit)
            )
            return [doc async for doc in cursor]

        docs = await read_ordered(self._c, read)
        return [(str(doc["_id"]), str(doc.get("version", ""))) for doc in docs]

    @translated
    async def lowest_step(
        self, query: VersionFilter, *, above: str, inclusive: bool, up_to: str
    ) -> StepFound:
        # Versions FaynoSync wrote have no step yet: reading the unkeyed ones gives them one
        # (in pages, as unkeyed_steps does), so that the index finds them below.
        unkeyed = await self.unkeyed_steps(query, skip=0, limit=STEP_PAGE)
        low = "$gte" if inclusive else "$gt"
        match = {**_version_match(query), STEP_FIELD: {low: above, "$lte": up_to}}
        cursor = self._c.find(match).sort([(STEP_FIELD, 1), ("_id", 1)]).limit(1)
        found = [doc async for doc in cursor]
        return StepFound(version_from(found[0]) if found else None, unkeyed=bool(unkeyed))

    @translated
    async def with_private_link(self, link: str) -> Version | None:
        doc = await self._c.find_one({"artifacts.link": link})
        return version_from(doc) if doc else None

    @translated
    async def references(self, kind: Kind, meta_id: str) -> bool:
        found = await self._c.find_one({REFERENCE_FIELDS[kind]: oid(meta_id)}, {"_id": 1})
        return found is not None

    @translated
    async def holding(self, links: list[str]) -> list[tuple[str, str]]:
        wanted = set(links)
        cursor = self._c.find({"artifacts.link": {"$in": links}}, {"artifacts.link": 1})
        return [
            (str(doc["_id"]), artifact["link"])
            async for doc in cursor
            for artifact in doc.get("artifacts") or []
            if artifact.get("link") in wanted
        ]

    @translated
    async def remove_artifacts(self, version_id: str, links: list[str]) -> None:
        await self._c.update_one(
            {"_id": oid(version_id)}, {"$pull": {"artifacts": {"link": {"$in": links}}}}
        )

    async def published_targets(self) -> set[PublishedTarget]:
        fields = {
            "owner": 1,
            "app_id": 1,
            "channel_id": 1,
            "artifacts.platform": 1,
            "artifacts.arch": 1,
        }
        found: set[PublishedTarget] = set()
        async for doc in read_all(self._c, {"published": True}, fields):
            version = (str(doc.get("owner", "")), _id(doc.get("app_id")))
            channel = _id(doc.get("channel_id"))
            for artifact in doc.get("artifacts") or []:
                if isinstance(artifact, dict):
                    found.add(
                        PublishedTarget(
                            *version,
                            channel,
                            _id(artifact.get("platform")),
                            _id(artifact.get("arch")),
                        )
                    )
        return found

    async def artifact_links(self) -> AsyncIterator[ArtifactLink]:
        fields = {"app_id": 1, "owner": 1, "artifacts.link": 1}
        async for doc in read_all(self._c, {}, fields):
            for artifact in doc.get("artifacts") or []:
                yield ArtifactLink(
                    link=str(artifact.get("link", "")),
                    version_id=str(doc["_id"]),
                    app_id=str(doc.get("app_id", "")),
                    owner=str(doc.get("owner", "")),
                )
