"""Objects a request writes or removes (artifacts, logos), under one set of rules.

- A request first claims the keys it will write or remove (a lease kept in the store), so two
  requests never write one object at once: the second is refused before it writes a byte, and
  the bytes a document points at are always the ones its own request stored.
- An object whose link a version of another app or tenant holds is never overwritten: keys are
  built from names (``{app}-{owner}/...``) and different names can give one key.
- When a request fails after writing, it removes what it wrote unless a document holds it by
  then; an object a document gives up is removed only if no version holds it any more.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faynosync.core.repeating import Repeating
from faynosync.storage import ObjectStorage, StorageError, delete_quietly
from faynosync.store import Store, StoreError

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
RENEW_EVERY = 20.0


@dataclass(frozen=True)
class ObjectRef:
    """An object: its key, the link a document stores for it, and its bucket."""

    key: str
    link: str
    private: bool


class KeyBusy(Exception):
    """Another request is writing or removing the object under this key right now."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class KeyTaken(Exception):
    """A version of another app, or of another tenant, holds the link of this key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _until() -> datetime:
    return datetime.now(UTC) + LEASE


@contextlib.asynccontextmanager
async def claimed(store: Store, keys: Iterable[str]) -> AsyncIterator[None]:
    """Hold every key for the block (renewed while it runs), or raise :class:`KeyBusy`."""
    holder = secrets.token_hex(12)
    held: list[str] = []
    try:
        for key in sorted(set(keys)):
            if not await store.claims.acquire(key, holder, _until()):
                raise KeyBusy(key)
            held.append(key)
        if not held:
            yield
            return
        renewal = Repeating(
            functools.partial(_renew, store, held, holder), every=RENEW_EVERY, pause_first=True
        )
        renewal.start()
        try:
            yield
        finally:
            await renewal.stop()
    finally:
        for key in held:
            try:
                await store.claims.release(key, holder)
            except StoreError:
                log.warning("could not release %s; its lease lapses in %s", key, LEASE)


async def _renew(store: Store, keys: list[str], holder: str) -> None:
    for key in keys:
        try:
            if not await store.claims.renew(key, holder, _until()):
                log.warning("the lease on %s lapsed while it was being written", key)
        except StoreError:
            log.warning("could not renew the lease on %s", key, exc_info=True)


async def _holders(store: Store, links: list[str]) -> list[tuple[str, str]]:
    """(document id, link) of every version and app holding one of these links."""
    return [*await store.versions.holding(links), *await store.meta.with_logos(links)]


async def refuse_taken(
    store: Store,
    objects: Collection[ObjectRef],
    *,
    own: str | None = None,
    shared: Collection[str] = (),
    app: str | None = None,
) -> None:
    """Raise :class:`KeyTaken` when a document other than ``own`` (a version or an app id)
    holds one of these links: writing the object would change that document's bytes. The
    ``shared`` links may be held by versions of ``app`` (a feed all its versions share)."""
    if not objects:
        return
    by_link = {obj.link: obj.key for obj in objects}
    for holder, link in await _holders(store, list(by_link)):
        if holder != own and not await _shared(store, holder, link, shared, app):
            raise KeyTaken(by_link[link])


async def _shared(
    store: Store, holder: str, link: str, shared: Collection[str], app: str | None
) -> bool:
    if link not in shared or app is None:
        return False
    version = await store.versions.get(holder)
    return version is not None and version.app_id == app


async def _held(store: Store, objects: Collection[ObjectRef]) -> set[str] | None:
    """The links of these objects that a document holds; None if the store cannot tell."""
    try:
        return {link for _, link in await _holders(store, [o.link for o in objects])}
    except StoreError:
        log.warning("cannot tell which objects versions hold; keeping them", exc_info=True)
        return None


async def undo(
    store: Store, storage: ObjectStorage, written: Collection[ObjectRef], keep: Collection[str] = ()
) -> None:
    """After a failed request: remove what it wrote, but objects whose link a document holds
    or ``keep`` names (the key was written in place of an object in use)."""
    if not written:
        return
    held = await _held(store, written)
    if held is None:
        return
    for obj in written:
        if obj.link not in held and obj.link not in keep:
            await delete_quietly(storage, obj.key, private=obj.private)


async def remove(store: Store, storage: ObjectStorage, objects: Iterable[ObjectRef]) -> None:
    """Remove objects a document gave up: each under a claim, and only if no document holds
    its link any more. A key another request is writing right now is left to that request."""
    holder = secrets.token_hex(12)
    for obj in objects:
        try:
            if not await store.claims.acquire(obj.key, holder, _until()):
                log.info("not removing %s: another request is writing it", obj.key)
                continue
        except StoreError:
            log.warning("not removing %s: its key cannot be claimed", obj.key, exc_info=True)
            continue
        try:
            if await _held(store, [obj]) == set():
                await delete_quietly(storage, obj.key, private=obj.private)
        finally:
            with contextlib.suppress(StoreError):
                await store.claims.release(obj.key, holder)


GENERATED_WAIT = 10.0
"""Seconds a generated object waits for another request to let go of its key."""


async def write_generated(
    store: Store,
    storage: ObjectStorage,
    key: str,
    build: Callable[[], Awaitable[bytes]],
    *,
    private: bool,
    content_type: str,
) -> bool:
    """Write an object the server builds from documents (a feed), under a claim on its key:
    ``build`` runs once the claim is held, so the last writer writes what the documents say
    last. Unchanged bytes are not written again. False when the key stayed busy or a backend
    failed (logged): the next change writes it."""

    async def write() -> None:
        body = await build()
        if await _stored_bytes(storage, key, private, len(body)) != body:
            await storage.put(key, io.BytesIO(body), private=private, content_type=content_type)

    return await under_claim(store, key, write)


async def copy_generated(
    store: Store, storage: ObjectStorage, source: str, key: str, *, private: bool
) -> bool:
    """Copy an object (streamed through a temporary file) to a key no document holds, such
    as a "latest" copy of an installer, under the target key's claim. False on a failure
    (logged)."""

    async def copy() -> None:
        with tempfile.TemporaryFile() as buffer:
            stream = storage.get(source, private=private)
            try:
                async for chunk in stream:
                    await asyncio.to_thread(buffer.write, chunk)
            finally:
                close = getattr(stream, "aclose", None)
                if close is not None:
                    await close()
            buffer.seek(0)
            await storage.put(key, buffer, private=private)

    return await under_claim(store, key, copy)


async def under_claim(store: Store, key: str, action: Callable[[], Awaitable[None]]) -> bool:
    """Run ``action`` holding the key's claim, waiting up to :data:`GENERATED_WAIT` for it.
    False when the key stayed busy or a backend failed (logged); other errors of ``action``
    propagate."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GENERATED_WAIT
    while True:
        try:
            async with claimed(store, [key]):
                await action()
                return True
        except KeyBusy:
            if loop.time() >= deadline:
                log.warning("not writing %s: its key stayed busy", key)
                return False
            await asyncio.sleep(0.05)
        except (StoreError, StorageError, OSError):
            log.warning("could not write %s", key, exc_info=True)
            return False


async def _stored_bytes(storage: ObjectStorage, key: str, private: bool, limit: int) -> bytes:
    """The object's bytes, at most ``limit + 1`` of them; b"" when it cannot be read."""
    read = bytearray()
    stream = storage.get(key, private=private)
    try:
        async for chunk in stream:
            read += chunk
            if len(read) > limit:
                break
    except StorageError:
        return b""
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    return bytes(read)
