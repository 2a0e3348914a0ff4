"""A version's staged rollout as uploads and edits set it (docs/behaviour.md#staged-rollouts):
v2.1's ``rollout`` percent, and faynosync's schedule, pause and critical skip."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from faynosync.core import gotime
from faynosync.core.rollouts import (
    FULL,
    RolloutPlan,
    RolloutStep,
    new_seed,
    percent_in_force,
)
from faynosync.errors import APIError
from faynosync.store.models import Version
from faynosync.versions.schemas import RolloutStepData, VersionData

OUT_OF_RANGE = "rollout must be an integer between 0 and 100"
MAX_STEPS = 100
_DURATION = re.compile(r"(\d{1,6})([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RolloutEdit:
    """What a request asks of a version's rollout; None fields leave it as it is."""

    percent: int | None = None
    schedule: tuple[RolloutStep, ...] | None = None
    paused: bool | None = None
    skip_critical: bool | None = None

    @property
    def planned(self) -> bool:
        """Whether it touches faynosync's plan (beyond v2.1's percent)."""
        return (self.schedule, self.paused, self.skip_critical) != (None, None, None)


def read_edit(data: VersionData, now: datetime | None = None) -> RolloutEdit | None:
    """The rollout a request's ``data`` asks for, None when it names none; refusals are 400s
    (v2.1's text for a percent out of range)."""
    check_percent(data)
    if data.rollout is not None and data.rollout_schedule is not None:
        raise APIError(400, "give either rollout or rollout_schedule, not both")
    schedule = None
    if data.rollout_schedule is not None:
        schedule = _schedule(data.rollout_schedule, now or gotime.now())
    edit = RolloutEdit(data.rollout, schedule, data.rollout_paused, data.rollout_skip_critical)
    return None if edit == RolloutEdit() else edit


def check_percent(data: VersionData) -> None:
    """v2.1's check of ``rollout``, which /artifact/delete makes too (its struct is shared)."""
    if data.rollout is not None and not 0 <= data.rollout <= FULL:
        raise APIError(400, OUT_OF_RANGE)


def _schedule(steps: list[RolloutStepData], now: datetime) -> tuple[RolloutStep, ...]:
    if len(steps) > MAX_STEPS:
        raise APIError(400, f"rollout_schedule has more than {MAX_STEPS} steps")
    read = tuple(_step(number, step, now) for number, step in enumerate(steps, start=1))
    if any(later.at < earlier.at for earlier, later in itertools.pairwise(read)):
        raise APIError(400, "rollout_schedule steps must be in time order")
    return read


def _step(number: int, step: RolloutStepData, now: datetime) -> RolloutStep:
    where = f"rollout_schedule step {number}"
    if step.percent is None or not 0 <= step.percent <= FULL:
        raise APIError(400, f"{where}: percent must be an integer between 0 and 100")
    if bool(step.at) == bool(step.after):
        raise APIError(
            400, f"{where}: give either at (an RFC 3339 time) or after (a duration such as 24h)"
        )
    if step.after:
        found = _DURATION.fullmatch(step.after)
        if found is None:
            raise APIError(400, f"{where}: after must be a whole number of s, m, h or d")
        delay = timedelta(seconds=int(found[1]) * _UNITS[found[2]])
        return RolloutStep(step.percent, now + delay)
    try:
        at = datetime.fromisoformat(step.at)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise APIError(400, f"{where}: at must be an RFC 3339 time with its zone")
    return RolloutStep(step.percent, gotime.truncate_millis(at.astimezone(now.tzinfo)))


def for_new_version(
    version: Version, edit: RolloutEdit | None, *, always: bool, now: datetime
) -> None:
    """The rollout of a version an upload creates: as v2.1, the percent asked for (100 when
    none) and a fresh seed; ``always`` false (API level 1.4.6) stores nothing unless asked."""
    if edit is None and not always:
        return
    version.rollout_percent = FULL
    apply(version, edit or RolloutEdit(), now=now)


def apply(version: Version, edit: RolloutEdit, *, now: datetime) -> None:
    """An edit of a version's rollout. The seed, once set, never changes, so raising the
    percent only adds devices. A percent replaces a schedule; a schedule sets the stored
    percent to the one in force (what FaynoSync v2.1 reads); an empty schedule stops it where
    it stands."""
    plan = version.rollout_plan or RolloutPlan()
    percent = version.rollout_percent
    if edit.percent is not None:
        percent, plan = edit.percent, replace(plan, schedule=())
    if edit.schedule is not None:
        running = edit.schedule or plan.schedule
        if running:
            stepped = RolloutPlan(schedule=running)
            percent = percent_in_force(percent, stepped, critical=False, now=now)
        plan = replace(plan, schedule=edit.schedule)
    if edit.paused is not None:
        plan = replace(plan, paused=edit.paused)
    if edit.skip_critical is not None:
        plan = replace(plan, skip_critical=edit.skip_critical)
    version.rollout_percent = FULL if percent is None else percent
    version.rollout_plan = None if plan == RolloutPlan() else plan
    if version.rollout_seed is None:
        version.rollout_seed = new_seed()
