"""The reports service without HTTP, on each store backend: what it answers when the database
fails (a closed store), the rate limits' counters, and the details' decoding."""

from __future__ import annotations

import base64
import gzip
import time
from datetime import UTC, datetime

import pytest

from faynosync.access.principal import Principal
from faynosync.core.ids import new_id
from faynosync.errors import APIError
from faynosync.reports import details, service
from faynosync.reports.limits import Limit, ProcessCounters, StoreCounters, allowed
from faynosync.reports.schemas import GroupPatch
from faynosync.store import open_store
from faynosync.store.models import Admin, ReportKey
from tests.support.api import make_settings

ADMIN = Principal(
    username="admin",
    owner="admin",
    admin=Admin(id=new_id(), username="admin", password="", updated_at=datetime.now(UTC)),
)
HASH = "a" * 64


@pytest.fixture
async def closed(settings):
    store = await open_store(settings)
    await store.migrate()
    await store.close()
    return store


def refused(error: pytest.ExceptionInfo[APIError]) -> tuple[int, str]:
    return error.value.status_code, error.value.error


async def test_a_failing_database_is_a_500(closed, settings):
    key = ReportKey(
        id=new_id(),
        app_id=new_id(),
        owner="admin",
        key_value="rpk_" + "0" * 64,
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
        app_name="testapp",
        app_reports=True,
    )
    body = (
        b'{"application":{"name":"testapp","version":"1","channel":"s"},'
        b'"system":{"platform":"w","arch":"a"},"event":{"type":"crash","reason":"r"}}'
    )
    calls = [
        service.ingest_key(store=closed, authorization="Bearer " + key.key_value, device="d"),
        service.ingest(
            store=closed,
            storage=None,  # type: ignore[arg-type]  # never reached
            counters=ProcessCounters(),
            settings=settings,
            key=key,
            device="d",
            ip="127.0.0.1",
            raw=body,
        ),
        service.groups(store=closed, principal=ADMIN, query={}),
        service.blobs(store=closed, storage=None, principal=ADMIN, group_hash=HASH),  # type: ignore[arg-type]
        service.change(
            store=closed, principal=ADMIN, group_hash=HASH, patch=GroupPatch(status="open")
        ),
        service.delete(store=closed, storage=None, principal=ADMIN, group_hash=HASH),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(APIError) as error:
            await call
        assert refused(error) == (500, "internal server error")
    for call in (
        service.list_keys(store=closed, principal=ADMIN),
        service.regenerate(store=closed, principal=ADMIN, app_id=new_id()),
    ):
        with pytest.raises(APIError) as error:
            await call
        assert error.value.status_code == 500


async def test_a_counter_the_store_cannot_write_lets_the_report_through(closed):
    limits = [Limit("key:x:minute", 60, 0)]
    assert await allowed(StoreCounters(closed), limits) is True
    assert await allowed(ProcessCounters(), limits) is False


async def test_store_counters_count_per_window(store):
    counters = StoreCounters(store)
    limits = [Limit("a", 60, 2), Limit("b", 60, 1)]
    now = time.time()
    assert [await allowed(counters, limits, now=now) for _ in range(3)] == [True, False, False]
    # The first limit was counted each time, the second only while the first held.
    assert await counters.hit("a:" + str(int(now // 60)), now + 60) == 4
    assert await allowed(counters, limits, now=now + 60) is True  # the next window


async def test_process_counters_forget_lapsed_windows():
    counters = ProcessCounters()
    past = time.time() - 1
    assert await counters.hit("old", past) == 1
    counters._sweep_at = 0  # the next hit sweeps
    assert await counters.hit("new", time.time() + 60) == 1
    assert "old" not in counters._values


def test_details_decoding_edges():
    def decode(payload: bytes, compressed: int = 100, decompressed: int = 100) -> int:
        return details.decode(
            encoding="gzip+base64",
            content_type="application/json",
            payload=base64.b64encode(payload).decode(),
            max_compressed=compressed,
            max_decompressed=decompressed,
        ).decompressed_size

    assert decode(gzip.compress(b"{}")) == 2
    with pytest.raises(APIError) as error:
        decode(b"\x1f\x8b" + b"\xff" * 30)
    assert refused(error) == (400, "invalid details payload")
    # 44 characters pass the text bound of 31 bytes; the 33 bytes they decode to do not.
    with pytest.raises(APIError) as error:
        decode(b"\x1f\x8b" + bytes(31), compressed=31)
    assert refused(error) == (413, "compressed details too large")


def test_settings_of_reports():
    settings = make_settings(
        REPORTS_MAX_BODY_BYTES="-5",
        REPORTS_MAX_BLOBS_PER_GROUP="many",
        REPORTS_STORAGE_PREFIX="/crashes/",
    )
    assert settings.REPORTS_MAX_BODY_BYTES == 262_144
    assert settings.REPORTS_MAX_BLOBS_PER_GROUP == 10
    assert settings.reports_prefix == "crashes"
    assert make_settings(REPORTS_STORAGE_PREFIX=" ").reports_prefix == "reports"
    assert make_settings().shared_report_limits is False
    assert make_settings(FAYNOSYNC_WORKERS=2).shared_report_limits is True
    assert make_settings(MONGODB_URL="mongodb://h/db").shared_report_limits is True
    assert make_settings(FAYNOSYNC_REPORTS_LIMITS="store").shared_report_limits is True
    assert (
        make_settings(FAYNOSYNC_REPORTS_LIMITS="process", FAYNOSYNC_WORKERS=4).shared_report_limits
        is False
    )


def test_the_address_limit_counts_ipv6_hosts_by_their_64():
    assert service.address_bucket("192.0.2.7") == "192.0.2.7"
    assert service.address_bucket("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert service.address_bucket("2001:db8:1:2::9") == "2001:db8:1:2::/64"
    assert service.address_bucket("::ffff:192.0.2.7") == "192.0.2.7"
    assert service.address_bucket("testclient") == "testclient"
