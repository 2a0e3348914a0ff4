"""Admins in MongoDB's ``admins`` collection, as FaynoSync stores them (the AdminRepository)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from faynosync.store.models import Admin
from faynosync.store.mongo.codec import admin_from, oid
from faynosync.store.mongo.connection import Document
from faynosync.store.mongo.errors import translated


class MongoAdmins:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    @translated
    async def get_by_username(self, username: str) -> Admin | None:
        doc = await self._c.find_one({"username": username})
        return admin_from(doc) if doc else None

    @translated
    async def get_by_id_and_username(self, admin_id: str, username: str) -> Admin | None:
        doc = await self._c.find_one({"_id": oid(admin_id), "username": username})
        return admin_from(doc) if doc else None

    @translated
    async def insert(self, admin: Admin) -> None:
        doc = {
            "_id": oid(admin.id),
            "username": admin.username,
            "password": admin.password,
            "updated_at": admin.updated_at,
        }
        await self._c.insert_one(doc)

    @translated
    async def update_password(
        self, admin_id: str, *, password: str | None, updated_at: datetime
    ) -> bool:
        changes: Document = {"updated_at": updated_at}
        if password:
            changes = {"password": password, **changes}
        result = await self._c.update_one({"_id": oid(admin_id)}, {"$set": changes})
        return result.matched_count > 0
