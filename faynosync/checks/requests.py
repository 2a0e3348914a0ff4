"""What an update check asks, read from its path and query the same way wherever it is read.

The router and the cache layer in front of routing (``faynosync.http.cached_checks``) both read
requests here, so both find one answer under one key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from urllib.parse import parse_qsl

from faynosync.checks.cache import CacheKey
from faynosync.checks.service import CheckRequest, LatestRequest

CHECK_PATH = "/checkVersion"
LATEST_PATH = "/apps/latest"
# The Squirrel.Windows feed: each {param} of the route is one path segment, as Starlette reads it.
RELEASES_PATH = re.compile(
    r"/update/(?P<owner>[^/]+)/(?P<app>[^/]+)/(?P<channel>[^/]+)/(?P<platform>[^/]+)"
    r"/(?P<arch>[^/]+)/(?P<version>[^/]+)/RELEASES"
)
CHECK_PARAMS = tuple(f.name for f in fields(CheckRequest))
LATEST_PARAMS = tuple(f.name for f in fields(LatestRequest))

Query = Callable[[str], str]
"""The first value of a query parameter by name, "" when absent (Gin's ``c.Query``)."""


def first_values(query_string: bytes) -> dict[str, str]:
    """The first value of each parameter of a raw query string, read exactly as Starlette's
    ``QueryParams`` reads it (``parse_qsl`` on the Latin-1 text, blank values kept); a string
    with nothing to unescape is only split."""
    text = query_string.decode("latin-1")
    values: dict[str, str] = {}
    if "%" in text or "+" in text:
        for name, value in parse_qsl(text, keep_blank_values=True):
            values.setdefault(name, value)
        return values
    for piece in text.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            values.setdefault(name, value)
    return values


def check_from_query(query: Query) -> CheckRequest:
    # By position, in the order of the fields the names come from: a third of the cost of
    # keywords, on every update check.
    return CheckRequest(*[query(name) for name in CHECK_PARAMS])


def latest_from_query(query: Query) -> LatestRequest:
    return LatestRequest(*[query(name) for name in LATEST_PARAMS])  # as check_from_query


def releases_request(
    *, owner: str, app: str, channel: str, platform: str, arch: str, version: str
) -> CheckRequest:
    """The RELEASES route: the path names everything, the updater is squirrel_windows."""
    return CheckRequest(
        app_name=app,
        version=version,
        channel=channel,
        platform=platform,
        arch=arch,
        owner=owner,
        updater="squirrel_windows",
    )


def read(path: str, query: Query) -> CheckRequest | LatestRequest | None:
    """The request a GET of ``path`` makes, None when the path is no update check."""
    if path == CHECK_PATH:
        return check_from_query(query)
    if path == LATEST_PATH:
        return latest_from_query(query)
    if path.startswith("/update/") and (found := RELEASES_PATH.fullmatch(path)):
        return releases_request(**found.groupdict())
    return None


def cache_key(path: str, request: CheckRequest | LatestRequest) -> CacheKey:
    """The route and every parameter (the original's keys lacked the owner)."""
    return (path, *vars(request).values())
