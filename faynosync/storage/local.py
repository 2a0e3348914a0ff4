"""Object storage on local disk, the embedded default: ``<data dir>/objects/<bucket>/<key>``.

This server serves the objects itself: public ones at a permanent link, private ones through
links signed with HMAC-SHA256 that expire, the local analogue of an S3 presigned URL.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import os
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, unquote

from faynosync.core import disk
from faynosync.storage.keys import check_key
from faynosync.storage.protocol import (
    PRESIGN_SECONDS,
    ObjectNotFound,
    StorageError,
    StorageFull,
)

CHUNK = 1024 * 1024
OBJECTS_ROUTE = "/objects"
# What presign writes: Unix seconds in ASCII digits (str.isdigit also takes "²" and "٣").
_EXPIRES = re.compile(r"[0-9]{1,19}")


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
        return unquote(link[len(prefix) :]) if link.startswith(prefix) else None

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
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


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
    # Empty directories left behind are not objects either: remove them up to the bucket.
    parent = path.parent
    while parent != bucket_root:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
