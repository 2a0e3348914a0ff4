"""The update check's staged rollouts without HTTP, on each store backend: the share of
devices offered a version, and the schedule's percent over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faynosync.checks import service
from faynosync.checks.service import CheckRequest
from faynosync.core import gotime
from faynosync.core.ids import new_id
from faynosync.core.rollouts import RolloutPlan, RolloutStep, bucket
from faynosync.store import Store
from faynosync.store.models import Artifact, ChangelogEntry, Kind, Meta, Version

DEVICES = [f"device-{n:05d}" for n in range(10_000)]
SEED = "9f1c2b7a4d3e8f01"
REQUEST = CheckRequest(
    app_name="app", version="1.0.0", channel="", platform="", arch="", owner="admin", updater=""
)


async def _app(store: Store) -> str:
    app_id = new_id()
    await store.meta.insert(
        Meta(id=app_id, kind=Kind.APP, name="app", owner="admin", updated_at=gotime.now())
    )
    return app_id


async def _version(store: Store, app_id: str, text: str, **rollout: object) -> Version:
    version = Version(
        id=new_id(),
        app_id=app_id,
        version=text,
        channel_id="000000000000000000000000",
        published=True,
        critical=False,
        required_intermediate=False,
        artifacts=[
            Artifact(
                link=f"https://x/app-{text}.zip",
                platform="000000000000000000000000",
                arch="000000000000000000000000",
                package=".zip",
            )
        ],
        changelog=[ChangelogEntry(version=text, changes="", date="2026-01-01")],
        updated_at=gotime.now(),
        owner="admin",
        **rollout,  # type: ignore[arg-type]
    )
    await store.versions.insert(version)
    return version


async def _offered(store: Store, devices: list[str], **kwargs: object) -> set[str]:
    """The devices offered the update. On MongoDB (served by mongoeco, slow) one check per
    bucket stands for the devices of that bucket; SQLite checks every device."""
    offered = set()
    by_bucket: dict[int, bool] = {}
    for who in devices:
        known = by_bucket.get(bucket(who, SEED)) if store.name == "MongoDB" else None
        if known is None:
            result = await service.check_version(store, REQUEST, device=who, **kwargs)  # type: ignore[arg-type]
            assert result.answer.body is not None
            known = by_bucket[bucket(who, SEED)] = bool(result.answer.body["update_available"])
        if known:
            offered.add(who)
    return offered


async def test_twenty_percent_of_ten_thousand_devices_and_the_same_ones_as_it_rises(store):
    app_id = await _app(store)
    await _version(store, app_id, "1.0.0")
    version = await _version(
        store, app_id, "1.0.1", rollout_percent=20, rollout_seed=SEED, rollout_plan=None
    )
    at_20 = await _offered(store, DEVICES)
    assert abs(len(at_20) / len(DEVICES) - 0.20) <= 0.015
    assert at_20 == {d for d in DEVICES if bucket(d, SEED) < 20}
    version.rollout_percent = 50
    await store.versions.save(version)
    at_50 = await _offered(store, DEVICES)
    assert at_20 < at_50 and abs(len(at_50) / len(DEVICES) - 0.50) <= 0.015
    # Without enforcement (or without a device id) everyone is offered it, as in v2.1.
    assert await _offered(store, DEVICES[:200], enforce=False) == set(DEVICES[:200])
    assert await _offered(store, [""]) == {""}


async def test_the_schedule_decides_the_percent_at_check_time(store):
    app_id = await _app(store)
    await _version(store, app_id, "1.0.0")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    steps = [(5, 0), (25, 1), (50, 2), (100, 3)]  # percent from day n
    plan = RolloutPlan(schedule=tuple(RolloutStep(p, start + timedelta(days=d)) for p, d in steps))
    await _version(store, app_id, "1.0.1", rollout_percent=5, rollout_seed=SEED, rollout_plan=plan)
    sample = DEVICES[:2000]
    shares = []
    for day in (-1, 0, 1, 2, 3, 4):
        now = start + timedelta(days=day, hours=12)
        shares.append(len(await _offered(store, sample, now=now)) / len(sample))
        result = await service.check_version(store, REQUEST, now=now)
        rollout = result.answer.body.get("rollout") if result.answer.body else None
        # The answer holds until the next step (the cache keeps it no longer).
        following = [s.at for s in plan.schedule if s.at > now]
        assert result.expires == (following[0] if following else None)
        if day >= 3:
            assert rollout is None
        else:
            assert rollout == {"percent": [0, 5, 25, 50][day + 1], "seed": SEED}
    assert shares[0] == 0 and shares[-1] == shares[-2] == 1
    assert [abs(s - e) <= 0.03 for s, e in zip(shares[1:4], (0.05, 0.25, 0.5), strict=True)] == [
        True
    ] * 3
