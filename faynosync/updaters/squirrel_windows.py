"""``squirrel_windows``: always a redirect to the version's RELEASES file (the extension-less
artifact), an empty target included (Go then sends a relative Location)."""

from faynosync.updaters.answers import CheckAnswer, FeedAnswer


def answer(check: CheckAnswer) -> FeedAnswer:
    return FeedAnswer(302, location=str(check.body.get("update_url", "")))
