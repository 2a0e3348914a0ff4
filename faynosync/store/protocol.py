"""The store protocol: what the services may ask of the database, whatever the backend.

Two backends implement it: MongoDB with FaynoSync's schema (``mongo.py``) and SQLite, the
embedded default (``sqlite.py``). Both pass one shared test suite.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, ParamSpec, Protocol, TypeVar

from faynosync.store.models import Admin, TeamUser


class StoreError(Exception):
    """The database failed (unreachable, or an unexpected error)."""


class DuplicateKey(StoreError):
    """A uniqueness rule refused the write."""


P = ParamSpec("P")
R = TypeVar("R")


def translate_errors(
    *, duplicate: Callable[[Exception], bool], driver_errors: tuple[type[Exception], ...]
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Make a repository method raise the store's errors instead of its driver's."""

    def decorate(
        method: Callable[P, Coroutine[Any, Any, R]],
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(method)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await method(*args, **kwargs)
            except driver_errors as exc:
                if duplicate(exc):
                    raise DuplicateKey(str(exc)) from None
                raise StoreError(str(exc)) from exc

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

    async def insert(self, user: TeamUser) -> None:
        """Raises :class:`DuplicateKey` when the username exists."""


class Store(Protocol):
    name: str
    """What the health check calls the database ("MongoDB", "SQLite")."""

    @property
    def admins(self) -> AdminRepository: ...

    @property
    def team_users(self) -> TeamUserRepository: ...

    async def migrate(self) -> None:
        """Create what the schema needs (collections, indexes, tables). Idempotent."""

    async def ping(self) -> None:
        """Raise :class:`StoreError` when the database does not answer."""

    async def close(self) -> None: ...
