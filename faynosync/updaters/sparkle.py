"""``sparkle``: a stub in FaynoSync v1.4.6, whatever the versions."""

from faynosync.updaters.answers import CheckAnswer, FeedAnswer


def answer(check: CheckAnswer) -> FeedAnswer:
    return FeedAnswer(200, {"status": "test_stub", "updater": "sparkle"})
