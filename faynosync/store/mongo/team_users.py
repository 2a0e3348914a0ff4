"""Team users in MongoDB's ``team_users`` collection, as FaynoSync stores them (the
TeamUserRepository)."""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection

from faynosync.store.models import Permissions, TeamUser
from faynosync.store.mongo.codec import oid, team_user_from
from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.errors import translated


class MongoTeamUsers:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @translated
    async def get_by_username(self, username: str) -> TeamUser | None:
        doc = await self._c.find_one({"username": username})
        return team_user_from(doc) if doc else None

    @translated
    async def insert(self, user: TeamUser) -> None:
        doc = {
            "_id": oid(user.id),
            "username": user.username,
            "password": user.password,
            "owner": user.owner,
            "permissions": user.permissions.to_document(),
            "updated_at": user.updated_at,
        }
        await self._c.insert_one(doc)

    @translated
    async def get(self, user_id: str) -> TeamUser | None:
        doc = await self._c.find_one({"_id": oid(user_id)})
        return team_user_from(doc) if doc else None

    @translated
    async def list_by_owner(self, owner: str) -> list[TeamUser]:
        return [team_user_from(doc) async for doc in self._c.find({"owner": owner})]

    @translated
    async def update(self, user: TeamUser) -> None:
        changes = {
            "username": user.username,
            "password": user.password,
            "permissions": user.permissions.to_document(),
            "updated_at": user.updated_at,
        }
        await self._c.update_one({"_id": oid(user.id)}, {"$set": changes})

    @translated
    async def delete(self, user_id: str, owner: str) -> bool:
        result = await self._c.delete_one({"_id": oid(user_id), "owner": owner})
        return result.deleted_count > 0

    @translated
    async def set_permissions(self, user_id: str, permissions: Permissions) -> None:
        await self._c.update_one(
            {"_id": oid(user_id)}, {"$set": {"permissions": permissions.to_document()}}
        )

    @translated
    async def list_allowing(self, resource: str, resource_id: str) -> list[TeamUser]:
        cursor = self._c.find({f"permissions.{resource}.allowed": resource_id})
        return [team_user_from(doc) async for doc in cursor]
