"""``GET /velopack/{owner}/{app}/{platform}/{arch}/{feed}``: the feed a Velopack client reads,
built for it from the documents, and its packages (docs/behaviour.md#velopack).

A Velopack ``HttpSource`` whose base URL is ``{API}/velopack/{owner}/{app}/{platform}/{arch}``
asks for ``releases.{channel}.json?localVersion=…&id=…``, then for a package's ``FileName``:
redirected to the package's stored link (a private app's signed ``/download`` link).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from faynosync.errors import APIError
from faynosync.store import Store, StoreError
from faynosync.store.models import Kind, Meta, VersionFilter
from faynosync.updaters import velopack
from faynosync.velopack.feeds import PAGE, FeedScope, block_of, feed_body

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A feed (``body``) or a package's link (``location``)."""

    body: bytes = b""
    location: str = ""


@dataclass(frozen=True)
class FeedRequest:
    owner: str
    app: str
    platform: str
    arch: str
    feed: str
    """The path after the arch, without its leading ``/``."""
    feed_id: str = ""
    local_version: str = ""


async def _named(store: Store, owner: str, *names: tuple[Kind, str]) -> list[Meta] | None:
    found = []
    for kind, name in names:
        meta = await store.meta.get_by_name(kind, name, owner)
        if meta is None:
            return None
        found.append(meta)
    return found


async def answer(store: Store, request: FeedRequest) -> Answer:
    if request.feed.endswith(".nupkg"):
        return Answer(location=await _package_link(store, request))
    channel = velopack.feed_channel(request.feed)
    if channel is None:
        raise APIError(404, velopack.BAD_PATH)
    if request.feed_id and request.feed_id != request.app:
        raise APIError(404, velopack.WRONG_ID)
    try:
        named = await _named(
            store,
            request.owner,
            (Kind.APP, request.app),
            (Kind.CHANNEL, channel),
            (Kind.PLATFORM, request.platform),
            (Kind.ARCH, request.arch),
        )
        if named is None:
            return Answer(body=velopack.EMPTY)
        app, channel_meta, platform, arch = named
        scope = FeedScope(channel_meta.id, platform.id, arch.id)
        body = await feed_body(store, app, scope, request.local_version)
    except StoreError:
        log.warning("velopack feed of %s answered empty", request.app, exc_info=True)
        return Answer(body=velopack.EMPTY)
    # The builder names the package after the path's app (the same name: it was found by it).
    return Answer(body=body)


async def _package_link(store: Store, request: FeedRequest) -> str:
    """The link of a published version's package of that file name, for the platform and arch."""
    not_found = APIError(404, velopack.PACKAGE_NOT_FOUND)
    try:
        named = await _named(
            store,
            request.owner,
            (Kind.APP, request.app),
            (Kind.PLATFORM, request.platform),
            (Kind.ARCH, request.arch),
        )
        if named is None:
            raise not_found
        app, platform, arch = named
        query = VersionFilter(
            owner=request.owner,
            app_id=app.id,
            published=True,
            platform_id=platform.id,
            arch_id=arch.id,
        )
        skip = 0
        while True:
            page, _ = await store.versions.search(query, skip=skip, limit=PAGE)
            for version in page:
                for artifact in version.artifacts:
                    block = block_of(artifact)
                    if (
                        block is not None
                        and block.file_name == request.feed
                        and (artifact.platform, artifact.arch) == (platform.id, arch.id)
                        and artifact.link
                    ):
                        return artifact.link
            if len(page) < PAGE:
                raise not_found
            skip += PAGE
    except StoreError:
        raise not_found from None
