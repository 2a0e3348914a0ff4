"""What admins and team users share: one namespace of usernames, and their passwords."""

from __future__ import annotations

import asyncio

from faynosync.core.security import PasswordTooLong, hash_password
from faynosync.errors import APIError
from faynosync.store import Store


async def hash_or_400(password: str) -> str:
    """bcrypt in a worker thread; more than 72 bytes is the client's error, a 400."""
    try:
        return await asyncio.to_thread(hash_password, password)
    except PasswordTooLong as exc:
        raise APIError(400, str(exc)) from None


async def username_taken(store: Store, username: str) -> bool:
    """One namespace for admins and team users (a deliberate deviation, see the docs)."""
    return (
        await store.admins.get_by_username(username) is not None
        or await store.team_users.get_by_username(username) is not None
    )
