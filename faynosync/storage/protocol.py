"""The object storage protocol: artifacts and logos in a public and a private bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from faynosync.core.disk import DiskFull

PRESIGN_SECONDS = 15 * 60


class StorageError(Exception):
    """The storage backend failed, or is not usable with this configuration."""


class StorageFull(StorageError, DiskFull):
    """No space left where the objects are stored; nothing of the object was kept."""


class InvalidKey(StorageError):
    """The key would leave the storage root (``..``, an absolute path, an empty segment)."""


class ObjectNotFound(StorageError):
    """No object under that key."""


@dataclass(frozen=True)
class StoredObject:
    """An object of a bucket as a listing shows it."""

    key: str
    size: int
    modified: float
    """POSIX time of the last write."""


@dataclass(frozen=True)
class PartialWrite:
    """What an interrupted write left in a bucket: never an object, only taking room.

    On local disk a temporary file next to the object it was to become; on S3 a multipart
    upload never completed (``upload_id``).
    """

    key: str
    size: int
    modified: float
    """POSIX time of the last write (S3: when the upload began)."""
    upload_id: str = ""


class ObjectStorage(Protocol):
    async def put(
        self, key: str, source: BinaryIO, *, private: bool, content_type: str | None = None
    ) -> None:
        """Stream ``source`` (read in chunks, never whole) to ``key``; replace what was there.

        Either the whole object is stored or nothing is.
        """

    async def put_file(
        self, key: str, path: Path, *, private: bool, content_type: str | None = None
    ) -> None:
        """Store the file at ``path`` (a staged upload, which may be moved away) under ``key``."""

    def get(
        self, key: str, *, private: bool, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Stream bytes ``start``..``end`` (inclusive; ``None`` = to the end) of an object."""

    async def delete(self, key: str, *, private: bool) -> None:
        """Remove an object; a missing object is not an error."""

    async def presign(self, key: str) -> str:
        """A link to ``key`` in the private bucket that works without a token for 15 minutes."""

    def public_link(self, key: str) -> str:
        """The permanent link of an object in the public bucket."""

    def public_key(self, link: str) -> str | None:
        """The key behind a public link (made here or by FaynoSync), None if it is not one."""

    def objects(self, *, private: bool) -> AsyncIterator[StoredObject]:
        """Every object of a bucket, read page by page, in no particular order."""

    def partial_writes(self, *, private: bool) -> AsyncIterator[PartialWrite]:
        """Writes to a bucket that were left unfinished.

        Local disk yields only temporary files no live process is writing; S3 cannot tell and
        yields every multipart upload not completed: judge those by their age.
        """

    async def remove_partial_write(self, partial: PartialWrite, *, private: bool) -> bool:
        """Remove what an unfinished write left; False when it turned out to be in use again
        or gone (local disk checks again that no live process is writing it)."""
