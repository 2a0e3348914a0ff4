"""The application: ``create_app(settings)`` wires routers, errors, middleware and the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from faynosync import __version__
from faynosync.auth import router as auth_router
from faynosync.catalog import apps_router
from faynosync.catalog import router as catalog_router
from faynosync.checks import router as checks_router
from faynosync.checks.cache import ResponseCache
from faynosync.checks.sync import Cache, CacheSync
from faynosync.config import Settings
from faynosync.core.security import derive_key, load_or_create_secret
from faynosync.fsck.check import Report
from faynosync.fsck.report import log_report
from faynosync.http import openapi as doc
from faynosync.http.errors import CatchAll, install_error_handlers
from faynosync.http.invalidation import InvalidateOnWrite
from faynosync.http.middleware import Cors, GinFront
from faynosync.http.update_checks import UpdateChecks
from faynosync.local_files import router as local_files_router
from faynosync.notify.slack import SlackNotifier
from faynosync.reports import router as reports_router
from faynosync.reports.limits import Counters, ProcessCounters, StoreCounters
from faynosync.storage import ObjectStorage, open_storage
from faynosync.storage.links import Links
from faynosync.storage.staging import remove_stale_staged, staging_dir
from faynosync.store import Store, open_store
from faynosync.system import router as system_router
from faynosync.telemetry import router as telemetry_router
from faynosync.telemetry.allowlist import AllowList
from faynosync.telemetry.collector import TelemetryCollector
from faynosync.tokens import router as tokens_router
from faynosync.users import router as users_router
from faynosync.velopack import router as velopack_router
from faynosync.versions import router as versions_router

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            await _start(app, settings, stack)
            yield

    cors = Cors(settings.cors_origins, settings.api_level.cors_methods)
    app = Faynosync(
        cors=cors,
        title="faynosync",
        version=__version__,
        description="Self-hosted update server for desktop applications, "
        "wire-compatible with FaynoSync.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    _describe_security(app)
    app.state.cache = (
        ResponseCache(settings.FAYNOSYNC_CACHE_TTL) if settings.PERFORMANCE_MODE else None
    )
    app.state.allowlist = AllowList() if settings.ENABLE_TELEMETRY else None
    caches = [cache for cache in (app.state.cache, app.state.allowlist) if cache is not None]
    install_error_handlers(app)
    # FaynoSync's order (docs/behaviour.md#route-order); the hot update-check routes come first.
    app.include_router(system_router.router)
    app.include_router(checks_router.router)
    app.include_router(velopack_router.router)
    app.include_router(auth_router.public)
    if settings.private_downloads_public:
        app.include_router(versions_router.public_download)
    else:
        app.include_router(versions_router.guarded_download)
    if settings.REPORTS_ENABLED:
        app.include_router(reports_router.ingest_router)
    app.include_router(auth_router.protected)
    app.include_router(versions_router.router)
    app.include_router(catalog_router.router)
    app.include_router(apps_router.router)
    app.include_router(users_router.router)
    app.include_router(telemetry_router.router)
    app.include_router(tokens_router.router)
    app.include_router(reports_router.keys_router)  # also with reports off, as FaynoSync
    if settings.REPORTS_ENABLED:
        app.include_router(reports_router.groups_router)
    app.include_router(local_files_router.router)
    if caches:
        app.add_middleware(InvalidateOnWrite, caches=caches)
    app.add_middleware(CatchAll)
    app.add_middleware(GinFront, routes=app.router.routes, cors=cors)
    return app


class Faynosync(FastAPI):
    """The application: update checks are answered in front of everything FastAPI runs (its
    own error, telemetry and body-limit layers included, which they do not need); every other
    request goes through FastAPI as usual."""

    def __init__(self, *, cors: Cors, **options: Any) -> None:
        super().__init__(**options)
        self._front = UpdateChecks(self._fastapi, state=self.state, cors=cors)

    async def _fastapi(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._front(scope, receive, send)


async def _remove_stale_staged(staging: Path) -> None:
    """Uploads a killed process was receiving; files that live processes use are kept."""
    removed = await asyncio.to_thread(remove_stale_staged, staging)
    if removed:
        size = sum(found.size for found in removed)
        log.info(
            "removed %d stale staged upload files (%d bytes) from %s", len(removed), size, staging
        )


async def _report_later(
    settings: Settings, store: Store, storage: ObjectStorage, staging: Path
) -> Report | None:
    """The consistency report, once the start's own work (and traffic) has settled."""
    await asyncio.sleep(settings.FAYNOSYNC_START_CHECK_DELAY)
    return await log_report(store, storage, staging=staging, grace=settings.FAYNOSYNC_ORPHAN_GRACE)


async def _stop(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.wait([task])


async def _start(app: FastAPI, settings: Settings, stack: contextlib.AsyncExitStack) -> None:
    """What the app holds while it runs, each closed by ``stack`` when it stops."""
    secret = _secret(settings)
    store = await open_store(settings)
    stack.push_async_callback(store.close)
    await store.ping()
    await store.migrate()
    storage = await open_storage(
        settings, stack, signing_key=derive_key(secret, "faynosync object links")
    )
    staging = staging_dir(settings)
    staging.mkdir(parents=True, exist_ok=True)
    await _remove_stale_staged(staging)
    app.state.staging = staging
    app.state.jwt_secret = secret
    app.state.store = store
    app.state.storage = storage
    app.state.links = Links(
        settings.API_URL, storage, query_escaped=settings.api_level.private_links_query_escaped
    )
    counters: Counters = (
        StoreCounters(store) if settings.shared_report_limits else ProcessCounters()
    )
    app.state.report_counters = counters
    caches = [cache for cache in (app.state.cache, app.state.allowlist) if cache is not None]
    app.state.cache_sync = await _cache_sync(store, caches, stack)
    app.state.telemetry = _telemetry(settings, store, stack)
    app.state.slack = SlackNotifier(settings, store) if settings.SLACK_ENABLE else None
    if app.state.slack is not None:
        stack.push_async_callback(app.state.slack.close)
    app.state.consistency = None
    if settings.FAYNOSYNC_START_CHECK_DELAY >= 0:
        # In the background: start-up never waits for it, nor fails by it.
        app.state.consistency = asyncio.create_task(
            _report_later(settings, store, storage, staging)
        )
        stack.push_async_callback(_stop, app.state.consistency)


def _secret(settings: Settings) -> str:
    secret = settings.JWT_SECRET
    if not secret:
        log.warning(
            "JWT_SECRET is empty: signing tokens with a secret kept in %s",
            settings.FAYNOSYNC_DATA_DIR,
        )
        return load_or_create_secret(settings.FAYNOSYNC_DATA_DIR)
    if len(secret.encode()) < 32:
        log.warning("JWT_SECRET is shorter than 32 bytes: tokens are easier to forge")
    return secret


async def _cache_sync(
    store: Store, caches: list[Cache], stack: contextlib.AsyncExitStack
) -> CacheSync | None:
    if not caches:
        return None
    sync = CacheSync(store, caches)
    await sync.poll()  # the count as it is at start
    sync.start()
    stack.push_async_callback(sync.close)
    return sync


def _telemetry(
    settings: Settings, store: Store, stack: contextlib.AsyncExitStack
) -> TelemetryCollector | None:
    if not settings.ENABLE_TELEMETRY:
        return None
    collector = TelemetryCollector(
        store,
        interval=settings.FAYNOSYNC_TELEMETRY_FLUSH,
        max_devices=settings.FAYNOSYNC_TELEMETRY_MAX_DEVICES,
    )
    collector.start()
    stack.push_async_callback(collector.close)
    return collector


def _describe_security(app: FastAPI) -> None:
    """The bearer token scheme the guarded routes name in their OpenAPI description, and only
    the answers the routes give (see ``http.openapi.finish``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = doc.finish(build())
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
