"""Staged rollouts: the device bucket, the seed, and the percent in force of a version
(docs/behaviour.md#staged-rollouts).

FaynoSync v2.1 keeps a fixed ``rollout_percent`` and a ``rollout_seed`` per version; faynosync
adds a plan (a schedule of steps, a pause, critical versions skipping the rollout) from which
the percent in force at any time is derived, so nothing runs on a timer.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

FULL = 100
"""A version without a rollout (or a document written before rollouts) reaches everyone."""


@dataclass(frozen=True)
class RolloutStep:
    """From ``at`` on, ``percent`` of the devices are offered the version."""

    percent: int
    at: datetime


@dataclass(frozen=True)
class RolloutPlan:
    """What faynosync keeps beside v2.1's percent: a schedule (steps in time order), a pause,
    and whether the version, when critical, is offered to every device."""

    schedule: tuple[RolloutStep, ...] = ()
    paused: bool = False
    skip_critical: bool = False


def new_seed() -> str:
    """A fresh seed: 8 random bytes as 16 lower-case hex digits, as v2.1 makes them."""
    return secrets.token_hex(8)


def bucket(device: str, seed: str) -> int:
    """The device's bucket (0 to 99) for a seed, as the v2 SDK computes it: the first 8 bytes
    of sha256(device + ":" + seed), big-endian, modulo 100."""
    digest = hashlib.sha256(f"{device}:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def admits(device: str, seed: str, percent: int) -> bool:
    """Whether a device is inside a rollout: its bucket is below the percent."""
    return bucket(device, seed) < percent


def percent_in_force(
    percent: int | None, plan: RolloutPlan | None, *, critical: bool, now: datetime
) -> int:
    """The share of devices offered a version at ``now``: 0 while paused; with a schedule, the
    percent of the last step reached (0 before the first); else the stored percent (100 when
    none). A critical version whose plan skips the rollout reaches everyone."""
    if plan is not None:
        if critical and plan.skip_critical:
            return FULL
        if plan.paused:
            return 0
        if plan.schedule:
            reached = [step.percent for step in plan.schedule if step.at <= now]
            return reached[-1] if reached else 0
    return FULL if percent is None else percent


def next_change(plan: RolloutPlan | None, now: datetime) -> datetime | None:
    """When the percent in force changes next by itself (the next step of a running
    schedule), None when it only changes by an edit."""
    if plan is None or plan.paused:
        return None
    return next((step.at for step in plan.schedule if step.at > now), None)
