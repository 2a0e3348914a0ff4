"""What the versions, apps and fsck tests run against: a served app on one storage kind."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from faynosync.config import Settings
from faynosync.storage import ObjectStorage
from faynosync.store import Store
from tests.support.factories import Catalog

# The conftest's ``settings_factory(**overrides)`` and ``client_factory(**overrides)``.
SettingsFactory = Callable[..., Settings]
ClientFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@dataclass
class Env:
    """The app (lifespan entered), an HTTP client to it, its settings and the storage kind
    (``local``, ``minio``)."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    kind: str

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    @property
    def storage(self) -> ObjectStorage:
        storage: ObjectStorage = self.app.state.storage
        return storage

    @property
    def staging(self) -> Path:
        staging: Path = self.app.state.staging
        return staging


@dataclass
class AdminEnv(Env):
    """An :class:`Env` with an admin signed up: ``headers`` carry its token."""

    headers: dict[str, str]


@dataclass
class CatalogEnv(AdminEnv):
    """An :class:`AdminEnv` whose admin has a catalog (``ids``)."""

    ids: Catalog
