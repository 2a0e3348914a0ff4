"""``manual`` (and no, unknown or unsupported updater): the generic JSON answer."""

from faynosync.updaters.answers import CheckAnswer, FeedAnswer


def answer(check: CheckAnswer) -> FeedAnswer:
    return FeedAnswer(200, check.body)
