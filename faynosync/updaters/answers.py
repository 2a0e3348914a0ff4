"""What every updater module takes and gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class CheckAnswer:
    """The generic /checkVersion answer, before an updater shapes it
    (docs/behaviour.md#update-check, step 11)."""

    found: bool
    possible_rollback: bool
    body: dict[str, Any]  # URL keys in the order the artifacts produced them
    latest_version: str  # "" for an intermediate answer


@dataclass
class FeedAnswer:
    """Status and JSON body (None: no body), a redirect target, or a plain-text body."""

    status: int
    body: dict[str, Any] | None = None
    location: str | None = None
    text: str | None = None


def nothing_new(check: CheckAnswer) -> bool:
    """Neither an update nor a rollback: several updaters answer 204 then."""
    return not check.found and not check.possible_rollback
