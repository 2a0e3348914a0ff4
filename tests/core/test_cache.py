"""The response cache: expiry, size bound, and no stale answer kept across a write."""

import contextlib

import pytest

from faynosync.checks.cache import LONGEST_KEY, CachedResponse, ResponseCache
from faynosync.http.invalidation import InvalidateOnWrite

ANSWER = CachedResponse(200, b"{}", ((b"content-type", b"application/json"),))


def test_put_get_invalidate():
    cache = ResponseCache(ttl=60)
    cache.put(("a",), ANSWER, cache.generation)
    assert cache.get(("a",)) == ANSWER
    cache.invalidate()
    assert cache.get(("a",)) is None


def test_an_answer_computed_during_a_write_is_not_kept():
    cache = ResponseCache(ttl=60)
    started = cache.generation
    cache.invalidate()  # a write finished meanwhile
    cache.put(("a",), ANSWER, started)
    assert cache.get(("a",)) is None


def test_entries_expire():
    cache = ResponseCache(ttl=0)
    cache.put(("a",), ANSWER, cache.generation)
    assert cache.get(("a",)) is None


def test_the_oldest_entries_go_first():
    cache = ResponseCache(ttl=60, max_entries=2)
    for key in ("a", "b", "c"):
        cache.put((key,), ANSWER, cache.generation)
    assert [cache.get((k,)) is not None for k in ("a", "b", "c")] == [False, True, True]


def answering(status: int | None, cache: ResponseCache, *, authenticated: bool = False):
    """An ASGI app whose write answers ``status`` (None: it crashes before answering), and
    during which a read puts an answer computed before the write's change."""

    async def app(scope, receive, send):
        if authenticated:
            scope.setdefault("state", {})["authenticated"] = True
        cache.put(("read during the write",), ANSWER, cache.generation)
        if status is None:
            raise RuntimeError("crashed")
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


async def write(cache: ResponseCache, app, method: str = "POST") -> list[bool]:
    """Run one request; return, for each message the client got, whether the cache was empty."""
    seen: list[bool] = []

    async def send(message):
        seen.append(not cache._entries)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": method, "path": "/x", "headers": []}
    with contextlib.suppress(RuntimeError):
        await InvalidateOnWrite(app, caches=[cache])(scope, receive, send)
    return seen


@pytest.mark.parametrize("status", [200, 204, 301, 307, 500, 503])
async def test_a_write_that_may_have_changed_data_clears_before_the_client_hears(status):
    cache = ResponseCache(ttl=60)
    cache.put(("before",), ANSWER, cache.generation)
    assert await write(cache, answering(status, cache)) == [True, True]
    assert not cache._entries


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 422])
async def test_a_refused_write_keeps_the_cache(status):
    cache = ResponseCache(ttl=60)
    cache.put(("before",), ANSWER, cache.generation)
    await write(cache, answering(status, cache))
    assert cache.get(("before",)) == ANSWER


async def test_a_refusal_of_a_caller_with_a_token_clears_as_it_may_follow_a_write():
    cache = ResponseCache(ttl=60)
    assert await write(cache, answering(400, cache, authenticated=True)) == [True, True]


async def test_a_write_without_an_answer_clears():
    cache = ResponseCache(ttl=60)
    cache.put(("before",), ANSWER, cache.generation)
    assert await write(cache, answering(None, cache)) == []
    assert not cache._entries


async def test_reads_pass_untouched():
    cache = ResponseCache(ttl=60)
    await write(cache, answering(200, cache), method="GET")
    assert cache.get(("read during the write",)) == ANSWER


def test_an_answer_to_over_long_parameters_is_not_kept():
    cache = ResponseCache(ttl=60)
    cache.put(("/checkVersion", "x" * LONGEST_KEY), ANSWER, cache.generation)
    cache.put(("/checkVersion", "x" * (LONGEST_KEY - len("/checkVersion"))), ANSWER, 0)
    assert list(cache._entries) == [("/checkVersion", "x" * (LONGEST_KEY - len("/checkVersion")))]
