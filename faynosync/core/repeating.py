"""Work repeated in the background at an interval, stopped without cancelling it mid-way.

Stopping never cancels the work itself, only the pause between two runs: a cancellation
thrown into a database driver can be lost (Python 3.11's ``asyncio.wait_for`` drops one that
arrives as the awaited operation completes), and a loop that lost it would run forever while
its closer waited for it; a write cut short would lose what it was writing. So :meth:`stop`
raises a flag the loop reads after each run, and cancels only a pause.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Repeating:
    """``work()`` run every ``every`` seconds (after a first pause when ``pause_first``)."""

    def __init__(
        self, work: Callable[[], Awaitable[None]], *, every: float, pause_first: bool
    ) -> None:
        self._work = work
        self._every = every
        self._pause_first = pause_first
        self._stopped = False
        self._pausing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        if self._pause_first:
            await self._pause()
        while not self._stopped:
            try:
                await self._work()
            except Exception:
                log.exception("background work %s failed", getattr(self._work, "__qualname__", ""))
            if not self._stopped:
                await self._pause()

    async def _pause(self) -> None:
        if self._stopped:  # stopped before the task first ran
            return
        self._pausing = True
        try:
            await asyncio.sleep(self._every)
        finally:
            self._pausing = False

    async def stop(self) -> None:
        """Return once the loop has ended; a run under way is finished first."""
        self._stopped = True
        task = self._task
        if task is None or task.done():
            return
        if self._pausing:
            task.cancel()
        await asyncio.wait([task])
