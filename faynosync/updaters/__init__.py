"""Update protocols: what each updater needs on upload and how it answers update checks."""

from __future__ import annotations

from collections.abc import Callable

from faynosync.store.models import Updater
from faynosync.updaters import (
    electron_builder,
    manual,
    sparkle,
    squirrel_darwin,
    squirrel_windows,
    tauri,
)
from faynosync.updaters.answers import CheckAnswer, FeedAnswer

__all__ = ["CheckAnswer", "FeedAnswer", "answer", "resolve", "shaped_as", "with_rollout"]

UNSUPPORTED = "updater not supported"

_FEEDS: dict[str, Callable[[CheckAnswer], FeedAnswer]] = {
    "manual": manual.answer,
    "squirrel_darwin": squirrel_darwin.answer,
    "squirrel_windows": squirrel_windows.answer,
    "electron-builder": electron_builder.answer,
    "tauri": tauri.answer,
    "sparkle": sparkle.answer,
}


def answer(updater: str, check: CheckAnswer) -> FeedAnswer:
    """Shape a check's answer for ``updater`` (any other name: the generic JSON)."""
    return _FEEDS.get(updater, manual.answer)(check)


def shaped_as(updater: str, *, sparkle_appcasts: bool) -> str:
    """The updater whose answer a check gets: with v2.1's appcasts, ``sparkle`` clients read
    the appcast and a check answers the generic JSON."""
    return "manual" if sparkle_appcasts and updater == "sparkle" else updater


def with_rollout(updater: str, shaped: FeedAnswer, rollout: dict[str, object] | None) -> FeedAnswer:
    """v2.1's ``rollout`` object added to an answer offering an update, where the updater's
    answer is a JSON body (a redirect, a 204, the Sparkle stub lose it)."""
    if rollout is None or shaped.body is None or shaped.status != 200 or updater == "sparkle":
        return shaped
    return FeedAnswer(shaped.status, {**shaped.body, "rollout": rollout}, shaped.location)


def resolve(configured: list[Updater] | None, requested: str) -> str:
    """The updater a check uses on a platform (docs/behaviour.md#platform-updaters).

    Without ``requested``: the platform's default. With it: the first configured type equal
    to it or starting with ``<requested>_`` (``squirrel`` finds ``squirrel_darwin``), else
    ``updater not supported``.
    """
    entries = configured or []
    if not requested:
        return next((u.type for u in entries if u.default), "")
    for entry in entries:
        if entry.type == requested or entry.type.startswith(f"{requested}_"):
            return entry.type
    return UNSUPPORTED
