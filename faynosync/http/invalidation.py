"""ASGI middleware: a request that may have written clears the update-check cache (and the
telemetry beacon's allow-list).

The rule of when is in ``faynosync.checks.cache``'s docstring; this is where requests meet it.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faynosync.checks.sync import Cache, CacheSync, invalidate
from faynosync.deps import authenticated

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNRELATED = ("/reports/", "/report-keys/")
"""Writes that cannot change an update check's answer: crash and event reports and their
keys (the public ingest comes at the rate apps crash, and would empty the cache at it)."""


def may_have_written(status: int, scope: Scope) -> bool:
    """Whether a write request answered ``status`` may have changed data.

    A success or a redirect did, a server error may have written half. A client error did
    not, unless the caller got past the token check: some refusals come after a write (a
    version whose document is deleted but an object's key cannot be found answers 400).
    """
    return not 400 <= status < 500 or authenticated(scope)


class InvalidateOnWrite:
    """ASGI middleware: a request that may have written clears the cache before it answers.

    Clearing when the answer starts (after the change is committed, before the client hears
    of it) and comparing generations in :meth:`ResponseCache.put` are enough: an answer read
    before the commit is either cleared with the others or refused when it is put. Clearing
    before the write runs, too, would add nothing.
    """

    def __init__(self, app: ASGIApp, *, caches: Sequence[Cache]) -> None:
        self.app = app
        self._caches = caches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in READ_METHODS
            or scope["path"].startswith(UNRELATED)
        ):
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_after_clearing(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if may_have_written(status, scope):
                    invalidate(self._caches)
                    await _tell_other_processes(scope)
            await send(message)

        try:
            await self.app(scope, receive, send_after_clearing)
        finally:
            # Again at the end: work done after the answer started (or with no answer at all,
            # a crash or a disconnect) is covered too.
            if not status or may_have_written(status, scope):
                invalidate(self._caches)
                if not status:
                    await _tell_other_processes(scope)


async def _tell_other_processes(scope: Scope) -> None:
    app = scope.get("app")
    sync: CacheSync | None = getattr(app.state, "cache_sync", None) if app is not None else None
    if sync is not None:
        await sync.written()
