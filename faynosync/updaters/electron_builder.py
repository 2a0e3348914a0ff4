"""``electron-builder``: a redirect to the ``latest*.yml`` (``.yaml`` files are not used)."""

from faynosync.updaters.answers import CheckAnswer, FeedAnswer, nothing_new


def answer(check: CheckAnswer) -> FeedAnswer:
    url = check.body.get("update_url_yml")
    if nothing_new(check) or not url:
        return FeedAnswer(204)
    return FeedAnswer(302, location=str(url))
