"""Object storage on local disk, the embedded default: ``<data dir>/objects/<bucket>/<key>``.

This server serves the objects itself: public ones at a permanent link, private ones through
links signed with HMAC-SHA256 that expire, the local analogue of an S3 presigned URL.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import itertools
import os
import re
import shutil
import stat
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import quote, unquote

from faynosync.core import disk
from faynosync.core.lockedfiles import create_locked, remove_if_stale, stale
from faynosync.storage.keys import check_key
from faynosync.storage.protocol import (
    PRESIGN_SECONDS,
    ObjectNotFound,
    PartialWrite,
    StorageError,
    StorageFull,
    StoredObject,
)

CHUNK = 1024 * 1024
OBJECTS_ROUTE = "/objects"
# What presign writes: Unix seconds in ASCII digits (str.isdigit also takes "²" and "٣").
_EXPIRES = re.compile(r"[0-9]{1,19}")
TEMP_PREFIX = ".upload-"
# The names tempfile.mkstemp gives; an object is taken for one only if its file is named so.
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[a-z0-9_]{8}\Z")
_LISTING_BATCH = 1000

Listed = TypeVar("Listed", StoredObject, PartialWrite)


class LinkRefused(StorageError):
    """A signed link is expired or its signature is wrong."""


@dataclass(frozen=True)
class LocalObject:
    path: Path
    size: int


def _bucket(private: bool) -> str:
    return "private" if private else "public"


class LocalStorage:
    def __init__(self, root: Path, *, base_url: str, signing_key: bytes) -> None:
        self._root = root
        self._base_url = base_url.rstrip("/")
        self._key = signing_key
        for bucket in ("public", "private"):
            (root / bucket).mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str, *, private: bool) -> Path:
        """Where ``key`` lives on disk; raises :class:`InvalidKey` if it would leave the root."""
        return self._root / _bucket(private) / check_key(key)

    async def put(
        self, key: str, source: BinaryIO, *, private: bool, content_type: str | None = None
    ) -> None:
        target = self.path_for(key, private=private)
        try:
            await asyncio.to_thread(_write_atomically, target, source)
        except OSError as exc:
            raise _store_failure(key, exc) from exc

    async def put_file(
        self, key: str, path: Path, *, private: bool, content_type: str | None = None
    ) -> None:
        target = self.path_for(key, private=private)
        try:
            await asyncio.to_thread(_move, path, target)
        except OSError as exc:
            raise _store_failure(key, exc) from exc

    def stat(self, key: str, *, private: bool) -> LocalObject:
        path = self.path_for(key, private=private)
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(str(exc)) from exc
        if not path.is_file():
            raise ObjectNotFound(key)
        return LocalObject(path=path, size=info.st_size)

    async def get(
        self, key: str, *, private: bool, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        obj = self.stat(key, private=private)
        last = obj.size - 1 if end is None else min(end, obj.size - 1)
        handle = await asyncio.to_thread(open, obj.path, "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = last - start + 1
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str, *, private: bool) -> None:
        path = self.path_for(key, private=private)
        await asyncio.to_thread(_remove, path, self._root / _bucket(private))

    async def presign(self, key: str) -> str:
        check_key(key)
        expires = int(time.time()) + PRESIGN_SECONDS
        signature = self._sign(key, expires)
        return f"{self._link('private', key)}?expires={expires}&signature={signature}"

    def public_link(self, key: str) -> str:
        return self._link("public", check_key(key))

    def public_key(self, link: str) -> str | None:
        prefix = f"{self._base_url}{OBJECTS_ROUTE}/public/"
        if link.startswith(prefix):
            return unquote(link[len(prefix) :])
        # Made when API_URL (or PORT) was another: the path still names the key.
        scheme, found, rest = link.partition("://")
        _, found, escaped = rest.partition(f"{OBJECTS_ROUTE}/public/") if found else ("", "", "")
        return unquote(escaped) if found and escaped and scheme in ("http", "https") else None

    async def objects(self, *, private: bool) -> AsyncIterator[StoredObject]:
        root = self._root / _bucket(private)
        files = (
            StoredObject(key, info.st_size, info.st_mtime)
            for key, info in _files(root)
            if not _TEMP_NAME.match(key.rsplit("/", 1)[-1])
        )
        while batch := await asyncio.to_thread(_take, files):
            for item in batch:
                yield item

    async def partial_writes(self, *, private: bool) -> AsyncIterator[PartialWrite]:
        root = self._root / _bucket(private)

        def stale_temporaries() -> Iterator[PartialWrite]:
            for key, _ in _files(root):
                if _TEMP_NAME.match(key.rsplit("/", 1)[-1]):
                    found = stale(root / key)
                    if found is not None:
                        yield PartialWrite(key, found.size, found.modified)

        partials = stale_temporaries()
        while batch := await asyncio.to_thread(_take, partials):
            for item in batch:
                yield item

    async def remove_partial_write(self, partial: PartialWrite, *, private: bool) -> bool:
        if not _TEMP_NAME.match(partial.key.rsplit("/", 1)[-1]):
            return False
        root = self._root / _bucket(private)
        path = root / check_key(partial.key)

        def remove() -> bool:
            if remove_if_stale(path) is None:
                return False
            _prune(path.parent, root)
            return True

        try:
            return await asyncio.to_thread(remove)
        except OSError as exc:
            raise StorageError(f"cannot remove {partial.key}: {exc.strerror or exc}") from exc

    def verify(self, key: str, expires: str, signature: str, *, now: float | None = None) -> None:
        """Accept a presigned link's parameters or raise :class:`LinkRefused`."""
        if not _EXPIRES.fullmatch(expires) or not hmac.compare_digest(
            self._sign(key, int(expires)).encode(), signature.encode(errors="replace")
        ):
            raise LinkRefused("invalid signature")
        if int(expires) <= (time.time() if now is None else now):
            raise LinkRefused("link expired")

    def _sign(self, key: str, expires: int) -> str:
        message = f"private\n{key}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _link(self, bucket: str, key: str) -> str:
        return f"{self._base_url}{OBJECTS_ROUTE}/{bucket}/{quote(key, safe='/')}"


def _store_failure(key: str, exc: OSError) -> StorageError:
    message = f"cannot store {key}: {exc.strerror or exc}"
    return StorageFull(message) if disk.is_full(exc) else StorageError(message)


def _write_atomically(target: Path, source: BinaryIO) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    lock, temp = create_locked(target.parent, TEMP_PREFIX)
    try:
        with os.fdopen(os.dup(lock), "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()  # a failure to write the last bytes must come before the rename
            # Renamed while locked: the temporary name is never seen unlocked before it is gone.
            os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        os.close(lock)


def _move(source: Path, target: Path) -> None:
    """A rename when source and target share a file system (uploads staged in the data dir)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        with source.open("rb") as handle:
            _write_atomically(target, handle)


def _remove(path: Path, bucket_root: Path) -> None:
    try:
        path.unlink()
    except (FileNotFoundError, NotADirectoryError):
        return
    _prune(path.parent, bucket_root)


def _prune(directory: Path, bucket_root: Path) -> None:
    """Empty directories left behind are not objects either: remove them up to the bucket."""
    while directory != bucket_root:
        try:
            directory.rmdir()
        except OSError:
            break
        directory = directory.parent


def _files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file under ``root``: its path from there (``/``-separated), its stat."""
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            try:
                info = os.stat(path, follow_symlinks=False)
            except OSError:
                continue  # removed meanwhile
            if stat.S_ISREG(info.st_mode):
                yield Path(path).relative_to(root).as_posix(), info


def _take(items: Iterator[Listed]) -> list[Listed]:
    return list(itertools.islice(items, _LISTING_BATCH))
