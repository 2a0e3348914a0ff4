"""HTTP revalidation of update-check answers: a strong ETag, ``If-None-Match`` and 304.

Caches in front of the server (nginx, a CDN) and clients that remember the tag ask again with
``If-None-Match``; an unchanged answer costs them a 304 without a body.
"""

from __future__ import annotations

import hashlib


def etag(body: bytes) -> str:
    """A strong tag of the body: the same bytes, the same tag, in every process."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` (RFC 9110: weak comparison, ``*`` matches)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False
