"""A platform's ``updaters`` setting: the valid types and the one-default rule.

See docs/behaviour.md#platform-updaters.
"""

from __future__ import annotations

from faynosync.errors import APIError
from faynosync.levels import V1_4_6
from faynosync.store.models import Updater

UPDATER_TYPES = V1_4_6.updater_types
DEFAULT_UPDATERS = (Updater(type="manual", default=True),)


def validate(updaters: list[Updater], types: tuple[str, ...] = UPDATER_TYPES) -> list[Updater]:
    """Return ``updaters`` if valid, else raise the original's 400 for the first problem.

    ``types`` are the valid ones, in the error message's order (the API level's)."""
    if not updaters:
        raise APIError(400, "at least one updater is required")
    for updater in updaters:
        if updater.type not in types:
            raise APIError(
                400,
                f"invalid updater type: {updater.type}. Valid types are: [{' '.join(types)}]",
            )
    seen: set[str] = set()
    for updater in updaters:
        if updater.type in seen:
            raise APIError(400, f"duplicate updater type: {updater.type}")
        seen.add(updater.type)
    defaults = sum(1 for updater in updaters if updater.default)
    if defaults == 0:
        raise APIError(400, "exactly one updater must be set as default")
    if defaults > 1:
        raise APIError(400, "only one updater can be set as default")
    return updaters


def for_new_platform(
    updaters: list[Updater] | None, types: tuple[str, ...] = UPDATER_TYPES
) -> list[Updater]:
    """On create, no updaters (or an empty list) means ``manual`` as the default."""
    if not updaters:
        return list(DEFAULT_UPDATERS)
    return validate(updaters, types)
