"""When a test's phase runs past ``STALL_AFTER`` seconds, write its id and the stack of every
pending asyncio task to standard error (a copy of it taken before pytest's capture).

pytest's ``faulthandler_timeout`` prints the threads' stacks, but a stalled coroutine is not on
any thread's stack: an event loop waiting for a reply shows only its ``select``. This names the
awaits that are stuck. The test is not failed by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import sys
import threading
from collections.abc import Iterator

import pytest

STALL_AFTER = 120.0
_stderr: list[int] = []  # the real standard error, duplicated before pytest captures it


def pytest_configure(config: pytest.Config) -> None:
    _stderr.append(os.dup(sys.stderr.fileno()))


def _pending_tasks() -> str:
    out = io.StringIO()
    tasks = [o for o in gc.get_objects() if isinstance(o, asyncio.Task) and not o.done()]
    for task in tasks:
        out.write(f"--- {task!r}\n")
        with contextlib.suppress(Exception):
            for line in _awaits(task.get_coro()):
                out.write(f"    {line}\n")
    return out.getvalue()


def _awaits(awaitable: object) -> Iterator[str]:
    """The chain of awaits below a coroutine, through async generators' ``__anext__``."""
    seen = 0
    while awaitable is not None and seen < 60:
        seen += 1
        frame = next(
            (
                getattr(awaitable, a)
                for a in ("cr_frame", "ag_frame", "gi_frame")
                if hasattr(awaitable, a)
            ),
            None,
        )
        if frame is not None:
            yield f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        inner = next(
            (
                getattr(awaitable, a)
                for a in ("cr_await", "ag_await", "gi_yieldfrom")
                if hasattr(awaitable, a)
            ),
            None,
        )
        if inner is None and frame is None:
            # an async generator's asend/athrow object, or a Future: look through it
            yield repr(awaitable)[:200]
            inner = next(
                (
                    r
                    for r in gc.get_referents(awaitable)
                    if hasattr(r, "ag_frame") or hasattr(r, "cr_frame")
                ),
                None,
            )
        awaitable = inner


def _report(nodeid: str, phase: str) -> None:
    text = f"\n=== stalled for {STALL_AFTER:.0f}s: {nodeid} ({phase})\n{_pending_tasks()}===\n"
    with contextlib.suppress(OSError, IndexError):
        os.write(_stderr[0], text.encode(errors="replace"))


@contextlib.contextmanager
def _watch(item: pytest.Item, phase: str) -> Iterator[None]:
    timer = threading.Timer(STALL_AFTER, _report, (item.nodeid, phase))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _watch(item, "setup"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _watch(item, "call"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    with _watch(item, "teardown"):
        return (yield)
