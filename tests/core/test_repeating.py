"""Background work at an interval: stopped promptly in a pause, never cut short mid-run."""

from __future__ import annotations

import asyncio
import logging

import pytest

from faynosync.core.repeating import Repeating


async def test_runs_until_stopped_and_stop_ends_a_pause_at_once() -> None:
    runs = 0
    thrice = asyncio.Event()

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs == 3:
            thrice.set()

    loop = Repeating(work, every=0.01, pause_first=False)
    loop.start()
    async with asyncio.timeout(5):
        await thrice.wait()
    slow = Repeating(work, every=3600, pause_first=True)
    slow.start()
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await loop.stop()
        await slow.stop()
    done = runs
    await asyncio.sleep(0.05)
    assert runs == done  # nothing runs after stop


async def test_a_run_under_way_is_finished_not_cancelled() -> None:
    """Stopping during a run waits for it; the run sees no cancellation, so a driver that
    would lose one (and a write that would be cut short) is never given one."""
    started, release = asyncio.Event(), asyncio.Event()
    seen: list[str] = []

    async def work() -> None:
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            return  # as a driver that swallows it would: the loop must still end
        seen.append("finished")

    loop = Repeating(work, every=3600, pause_first=False)
    loop.start()
    await started.wait()
    stopping = asyncio.create_task(loop.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the run
    release.set()
    async with asyncio.timeout(5):
        await stopping
    assert seen == ["finished"]


async def test_a_failing_run_is_logged_and_the_next_one_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0
    again = asyncio.Event()

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("store down")
        again.set()

    loop = Repeating(work, every=0.01, pause_first=False)
    with caplog.at_level(logging.ERROR, logger="faynosync.core.repeating"):
        loop.start()
        async with asyncio.timeout(5):
            await again.wait()
        await loop.stop()
    assert "store down" in caplog.text


async def test_stop_before_start_and_twice() -> None:
    async def work() -> None:
        pass

    loop = Repeating(work, every=1, pause_first=True)
    await loop.stop()
    await loop.stop()
    started = Repeating(work, every=3600, pause_first=True)
    started.start()  # stopped before its task first runs
    async with asyncio.timeout(5):
        await started.stop()
