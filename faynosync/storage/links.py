"""The links documents store for objects, made from keys and read back into keys.

Private apps' artifacts are linked through this server's ``/download?key=`` (under
``API_URL``), public objects by their bucket's own link (docs/behaviour.md#links). Made once
at start.
"""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.storage.keys import object_key, private_link
from faynosync.storage.protocol import ObjectStorage


@dataclass(frozen=True)
class Links:
    api_url: str
    storage: ObjectStorage
    query_escaped: bool = False
    """Private links escape the key as a query value (API level 2.1)."""

    def for_key(self, key: str, *, private: bool) -> str:
        """The link an artifact of a private (or public) app stores for ``key``."""
        return self.private(key) if private else self.storage.public_link(key)

    def key_of(self, link: str, *, private: bool) -> str | None:
        """The key a stored link names (in the app's bucket now), None if it names none."""
        return object_key(self.storage, link, private=private, query_escaped=self.query_escaped)

    def private(self, key: str) -> str:
        """The ``/download`` link of ``key``, as this server stores it."""
        return private_link(self.api_url, key, query_escaped=self.query_escaped)
