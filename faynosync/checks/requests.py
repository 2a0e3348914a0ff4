"""What an update check asks, read from its path and query the same way wherever it is read.

The router and the cache layer in front of routing (``faynosync.http.cached_checks``) both read
requests here, so both find one answer under one key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields

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


def check_from_query(query: Query) -> CheckRequest:
    return CheckRequest(**{name: query(name) for name in CHECK_PARAMS})


def latest_from_query(query: Query) -> LatestRequest:
    return LatestRequest(**{name: query(name) for name in LATEST_PARAMS})


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
