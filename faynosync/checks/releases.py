"""API level 2.1's Squirrel.Windows answer for a public app: its RELEASES file itself, read from
storage and rewritten with absolute URLs, instead of a redirect to it
(docs/behaviour.md#squirrelwindows-releases). Any failure keeps the redirect, as v2.1 does."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from faynosync.storage.links import Links
from faynosync.storage.protocol import ObjectStorage
from faynosync.updaters.answers import FeedAnswer
from faynosync.updaters.squirrel_windows import absolute_releases

log = logging.getLogger(__name__)

MAX_BYTES = 4 << 20
"""A RELEASES file lists packages, a line each: anything longer is answered by the redirect."""


@dataclass(frozen=True)
class ReleasesFiles:
    storage: ObjectStorage
    links: Links

    async def answer(self, redirect: FeedAnswer) -> FeedAnswer:
        """The RELEASES text for a redirect to a public app's file; else ``redirect``."""
        link = redirect.location
        if redirect.status != 302 or not link or "/download?key=" in link:
            return redirect  # a private app's link goes through /download
        key = self.links.key_of(link, private=False)
        if key is None:
            return redirect
        read = bytearray()
        stream = self.storage.get(key, private=False)
        try:
            async for chunk in stream:
                read += chunk
                if len(read) > MAX_BYTES:
                    return redirect
        except Exception:  # any failure keeps the redirect, as v2.1 does
            log.warning("RELEASES %s could not be read; redirecting to it", key, exc_info=True)
            return redirect
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
        text = read.decode("utf-8", "surrogateescape")
        return FeedAnswer(200, text=absolute_releases(text, link))
