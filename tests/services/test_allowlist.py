"""The telemetry beacon's allow-list: rebuilt when invalidated or too old, kept when the store
fails (and not asked again at once)."""

from __future__ import annotations

from faynosync.telemetry import allowlist
from faynosync.telemetry.allowlist import AllowList
from tests.store.test_versions import seed_targets

TARGET = ("admin", "demo", "nightly", "mac", "arm64")


async def test_rebuilt_when_invalidated_or_old_and_kept_when_the_store_fails(
    store, monkeypatch, caplog
):
    allowed = AllowList(max_age=3600)
    assert await allowed.targets(store) == frozenset()
    await seed_targets(store)
    assert await allowed.targets(store) == frozenset()  # fresh: not read again
    allowed.invalidate()
    assert await allowed.targets(store) == frozenset({TARGET})
    old = AllowList(max_age=0)  # always too old: read on every call
    assert await old.targets(store) == frozenset({TARGET})
    await store.close()
    allowed.invalidate()
    # The store failed: the last list stays.
    assert await allowed.targets(store) == frozenset({TARGET})
    assert "could not build the telemetry beacon's allow-list" in caplog.text
    caplog.clear()
    allowed.invalidate()
    assert await allowed.targets(store) == frozenset({TARGET})
    assert not caplog.text  # not asked again within RETRY_SECONDS
    monkeypatch.setattr(allowlist, "RETRY_SECONDS", 0.0)
    never = AllowList()
    assert await never.targets(store) is None  # never built: beacons are ignored
