"""The ordering field kept with each version document, and the reads that rely on it: they
first give it to the versions FaynoSync wrote without it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from faynosync.store.mongo.connection import Document
from faynosync.store.protocol import StoreError
from faynosync.store.rules import ordering

# The database ordering (core.versioning.order_key), kept with each version document so that
# the latest version is found through an index; FaynoSync's own code ignores the extra field.
# FaynoSync running beside this server on the same database writes versions without it (and
# its edits keep it, as they never change the version string): every read that relies on the
# field first gives it to the documents it matches that lack it.
ORDER_FIELD = "faynosync_order"
_ROUNDS = 5
SORT = [(f"{ORDER_FIELD}.v{i}", -1) for i in range(1, 5)]
# Without the ordering's numbers: versions that cannot be ordered and versions without the field.
UNNUMBERED: Document = {f"{ORDER_FIELD}.v1": None}


def order_document(version: str) -> Document:
    """The database ordering's parts (or its error) and go-version's ``step`` key."""
    order = ordering(version)
    if order.parts is None:
        doc: Document = {"error": order.error}
    else:
        doc = {f"v{i}": part for i, part in enumerate(order.parts, start=1)}
    doc["step"] = order.step
    return doc


def unordered(doc: Document) -> bool:
    """Whether a version document lacks the ordering field (as FaynoSync writes versions)."""
    order = doc.get(ORDER_FIELD)
    return not isinstance(order, dict) or "step" not in order


def ordering_of(doc: Document) -> tuple[Document, UpdateOne]:
    """The ordering field of a version document that lacks it (``_id``, ``version`` and the
    field read), and the update storing it unless another process changed it meanwhile."""
    order = order_document(str(doc.get("version", "")))
    seen = doc.get(ORDER_FIELD, {"$exists": False})
    return order, UpdateOne({"_id": doc["_id"], ORDER_FIELD: seen}, {"$set": {ORDER_FIELD: order}})


async def _store(collection: AsyncCollection[Document], writes: list[UpdateOne]) -> None:
    if writes:
        await collection.bulk_write(writes, ordered=False)


async def order_matched(collection: AsyncCollection[Document], match: Document) -> None:
    """Give the matched versions that lack the ordering field theirs, then raise as the
    original's query fails if one of the matched versions cannot be ordered.

    One indexed query (faynosync_latest, ``v1`` null) that finds nothing in the usual case.
    """
    error: str | None = None
    writes: list[UpdateOne] = []
    async for doc in collection.find({**match, **UNNUMBERED}, {"version": 1, ORDER_FIELD: 1}):
        if unordered(doc):
            order, write = ordering_of(doc)
            writes.append(write)
        else:
            order = doc[ORDER_FIELD]
        error = error or order.get("error")
    await _store(collection, writes)
    if error is not None:
        raise StoreError(str(error))


async def read_ordered(
    collection: AsyncCollection[Document], read: Callable[[], Awaitable[list[Document]]]
) -> list[Document]:
    """What ``read`` answers once none of the documents it reads lacks the ordering field.

    A version FaynoSync wrote meanwhile is out of place (last in the database ordering,
    first among those without a ``step``) until it gets the field: then read again. Each
    round orders what it read, so a few rounds suffice unless FaynoSync keeps writing; the
    last round's answer is taken as it is.
    """
    for _ in range(_ROUNDS):
        docs = await read()
        writes = [ordering_of(doc)[1] for doc in docs if unordered(doc)]
        if not writes:
            return docs
        await _store(collection, writes)
    return await read()
