"""The response cache: expiry, size bound, and no stale answer kept across a write."""

from faynosync.checks.cache import CachedResponse, ResponseCache

ANSWER = CachedResponse(200, b"{}", (("content-type", "application/json"),))


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
