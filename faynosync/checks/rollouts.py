"""Staged rollouts in update checks (docs/behaviour.md#staged-rollouts): which devices a
version's rollout admits, and what a check met of rollouts, for its answer and its cache."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from faynosync.core import rollouts
from faynosync.core.rollouts import FULL
from faynosync.store.models import Version

Gate = tuple[str, int]
"""A rollout below 100% met by a check: its seed and the percent in force."""


@dataclass
class Gates:
    """The rollouts one check meets above the client's version.

    With enforcement on and a device id, a device outside a version's rollout is not offered
    it; without a device id every device is (v2.1's behaviour), but the rollouts met still
    decide what other devices are answered, so the response cache keeps them
    (:func:`variant`)."""

    device: str
    enforce: bool
    now: datetime
    met: list[Gate] = field(default_factory=list)
    changes_at: datetime | None = None
    """The earliest time a schedule met changes its percent: the answer holds until then."""

    def percent(self, version: Version) -> int:
        """The version's percent in force now (noting when it changes by itself)."""
        change = rollouts.next_change(version.rollout_plan, self.now)
        if change is not None and (self.changes_at is None or change < self.changes_at):
            self.changes_at = change
        return rollouts.percent_in_force(
            version.rollout_percent, version.rollout_plan, critical=version.critical, now=self.now
        )

    def admits(self, version: Version) -> bool:
        """Whether the device may be offered ``version`` (one above its own)."""
        percent = self.percent(version)
        if percent >= FULL or not self.enforce:
            return True
        gate = (version.rollout_seed or "", percent)
        if gate not in self.met:
            self.met.append(gate)
        return not self.device or rollouts.admits(self.device, gate[0], percent)

    def offered(self, version: Version) -> dict[str, object] | None:
        """v2.1's ``rollout`` object for the version offered, None at 100%."""
        percent = self.percent(version)
        if percent >= FULL:
            return None
        return {"percent": percent, "seed": version.rollout_seed or ""}


@functools.lru_cache(maxsize=65_536)
def variant(gates: tuple[Gate, ...], device: str) -> tuple[str, ...]:
    """What tells apart the answers of one check with these rollouts in play: whether the
    device is inside each ("-" without a device id). Remembered for the devices seen
    recently: they poll the same cached checks again and again."""
    if not device:
        return ("-",)
    return ("".join("1" if rollouts.admits(device, seed, p) else "0" for seed, p in gates),)
