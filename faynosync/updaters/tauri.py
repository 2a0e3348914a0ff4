"""``tauri``: Tauri's ``{version, notes, url, signature}``; 204 when nothing applies."""

from typing import Any

from faynosync.updaters.answers import CheckAnswer, FeedAnswer, nothing_new


def answer(check: CheckAnswer) -> FeedAnswer:
    if nothing_new(check):
        return FeedAnswer(204)
    body: dict[str, Any] = {"version": check.latest_version}
    if "changelog" in check.body:
        body["notes"] = check.body["changelog"]
    # The original picks one of several URL keys at random (Go map order); the first
    # artifact's URL is the deterministic choice.
    url = next((v for k, v in check.body.items() if k.startswith("update_url")), None)
    if url is not None:
        body["url"] = url
    if "signature" in check.body:
        body["signature"] = check.body["signature"]
    return FeedAnswer(200, body)
