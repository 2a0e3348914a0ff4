"""``squirrel_darwin``: Squirrel.Mac's JSON, ``url`` being the zip; 204 when nothing applies."""

from faynosync.updaters.answers import CheckAnswer, FeedAnswer, nothing_new


def answer(check: CheckAnswer) -> FeedAnswer:
    if nothing_new(check):
        return FeedAnswer(204)
    body = {k: v for k, v in check.body.items() if not k.startswith("update_url_")}
    if "update_url_zip" in check.body:
        body["url"] = check.body["update_url_zip"]
    if "url" not in body:
        return FeedAnswer(204)
    return FeedAnswer(200, body)
