"""Fixtures shared by every test: both store backends, settings, the app and an HTTP client.

API tests take ``client`` (or ``client_factory``) and run once per store backend: SQLite, and
MongoDB through mongoeco's wire server (started here, under Python >= 3.13) or the real MongoDB
in ``FAYNOSYNC_TEST_MONGODB_URL``. The MongoDB tests of one process share a database, emptied
after each test (tests/support/mongo.py). ``pytest --quick`` runs SQLite and local disk only.

Passwords are hashed at bcrypt cost 4 in the tests' own process (a cost 10 hash takes about a
hundred milliseconds, and nearly every test signs up and logs in); tests marked
``production_bcrypt`` hash at the production cost, to check what is stored.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import httpx
import pytest
from fastapi import FastAPI

from faynosync.config import Settings
from faynosync.core import security
from faynosync.store import Store, open_store
from tests.support.api import API_KEY, API_URL, JWT_SECRET, make_settings, running
from tests.support.env import ClientFactory, SettingsFactory
from tests.support.mongo import SharedDatabase, database_name, drop_database
from tests.support.services import (
    MONGO_SKIP_REASON,
    mongoeco_python,
    mongoeco_server,
    moto_server,
    with_database,
)

pytest_plugins = ["tests.support.stall"]

# The production cost, read before the tests lower it (tests marked production_bcrypt use it).
PRODUCTION_BCRYPT_COST = security.BCRYPT_COST
TEST_BCRYPT_COST = 4


# --- what runs: the full matrix, or --quick ---------------------------------------------------

MONGO_PARAMS = {"mongo"}
S3_PARAMS = {"minio", "aws"}
QUICK_LEAVES_OUT = ("mongo", "s3", "fuzz")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick",
        action="store_true",
        help="SQLite and local disk only: leave out the tests marked mongo, s3 or fuzz",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by the services its parameters name (``mongo``, ``s3``); with --quick,
    deselect those and the fuzz run. The parameters stay: the full run takes them all."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = list(callspec.params.values()) if callspec else []
        # A parameter may be a tuple of values (an API level and a storage).
        flat = [v for p in params for v in (p if isinstance(p, tuple) else (p,))]
        values = {v for v in flat if isinstance(v, str)}
        if values & MONGO_PARAMS:
            item.add_marker(pytest.mark.mongo)
        if values & S3_PARAMS:
            item.add_marker(pytest.mark.s3)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # The fuzz runs are the longest tests by far: first, so that no worker ends with one.
        items.sort(key=lambda item: item.get_closest_marker("fuzz") is None)
    if not config.getoption("quick"):
        return
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        leave = any(item.get_closest_marker(name) for name in QUICK_LEAVES_OUT)
        (left_out if leave else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def _not_in_a_quick_run(request: pytest.FixtureRequest, service: str, marker: str) -> None:
    if request.config.getoption("quick"):
        pytest.fail(f"{service} in a --quick run: mark the test {marker!r} or parametrize it")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _clean_environment() -> Iterator[None]:
    """Settings in the caller's environment must not leak into the tests."""
    names = [name for name in os.environ if name in Settings.model_fields]
    saved = {name: os.environ.pop(name) for name in names}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="session", autouse=True)
def _cheap_bcrypt() -> Iterator[None]:
    """bcrypt's cheapest cost for every hash the tests' process makes; ``hash_password`` reads
    the module's cost at each call (servers in subprocesses keep the production cost)."""
    security.BCRYPT_COST = TEST_BCRYPT_COST
    yield
    security.BCRYPT_COST = PRODUCTION_BCRYPT_COST


@pytest.fixture(autouse=True)
def _production_bcrypt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("production_bcrypt") is not None:
        monkeypatch.setattr(security, "BCRYPT_COST", PRODUCTION_BCRYPT_COST)


@pytest.fixture(scope="session", autouse=True)
def _botocore_data_read_once() -> Iterator[None]:
    """Every S3 client of the run shares one botocore data loader, as the clients of one botocore
    session do: the server opens a new session at each start, and parsing botocore's S3 model
    again costs more than the rest of a test on S3. The data and the clients are the same."""
    original = botocore.session.create_loader
    botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)
    yield
    botocore.session.create_loader = original


@pytest.fixture(scope="session")
def mongo_server_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    _not_in_a_quick_run(request, "MongoDB", "mongo")
    url = os.environ.get("FAYNOSYNC_TEST_MONGODB_URL")
    if url:
        yield url
        return
    python = mongoeco_python()
    if python is None:
        yield None
        return
    with mongoeco_server(python) as started:
        yield started


@pytest.fixture(scope="session")
def moto_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """``host:port`` of moto's S3 server, started on first use for the rest of the run."""
    _not_in_a_quick_run(request, "S3", "s3")
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["sqlite", "mongo"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def shared_database(mongo_server_url: str | None) -> Iterator[SharedDatabase | None]:
    """This process's MongoDB database (see tests/support/mongo.py)."""
    if mongo_server_url is None:
        yield None
        return
    shared = SharedDatabase(mongo_server_url)
    yield shared
    shared.close()


@pytest.fixture
async def mongodb_url(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A migrated, empty database for this test ("" on the SQLite backend); a new one, never
    migrated and dropped afterwards, for a test marked ``fresh_database``."""
    if backend != "mongo":
        yield ""
        return
    shared: SharedDatabase | None = request.getfixturevalue("shared_database")
    if shared is None:
        pytest.skip(MONGO_SKIP_REASON)
    if request.node.get_closest_marker("fresh_database") is None:
        yield await shared.ready()
        shared.empty()
        return
    name = database_name()
    url = with_database(request.getfixturevalue("mongo_server_url"), name)
    yield url
    await drop_database(url, name)


@pytest.fixture
def settings_factory(tmp_path: Path, mongodb_url: str) -> SettingsFactory:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "FAYNOSYNC_DATA_DIR": tmp_path / "data",
            "JWT_SECRET": JWT_SECRET,
            "API_KEY": API_KEY,
            "API_URL": API_URL,
            "MONGODB_URL": mongodb_url,
        }
        values.update(overrides)
        return make_settings(**values)

    return make


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory()


@pytest.fixture
def client_factory(settings_factory: SettingsFactory) -> ClientFactory:
    """``async with client_factory(API_KEY="") as client`` for a server with other settings."""

    @contextlib.asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with running(settings_factory(**overrides)) as (_, client):
            yield client

    return make


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    """The store of ``settings``, migrated, without an app: for tests of the store and of the
    services, seeded straight into it."""
    store = await open_store(settings)
    await store.migrate()
    yield store
    await store.close()


@pytest.fixture
async def app_and_client(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running(settings) as pair:
        yield pair


@pytest.fixture
def app(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return app_and_client[0]


@pytest.fixture
def client(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]
