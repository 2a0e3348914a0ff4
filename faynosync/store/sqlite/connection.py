"""The SQLite connections: reads on the event loop's thread, writes one at a time on aiosqlite's."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite

from faynosync.store.protocol import StoreError

PAGE = 1000  # rows per query when a whole table is read


class Db:
    """Two connections: reads see committed data only; writes are serialised on the other.

    Reads are indexed lookups of tens of microseconds, run on the event loop's own thread:
    handing each to a worker thread cost several times that (the update-check hot path makes
    about ten). In WAL mode a reader never waits for a writer. Writes go through aiosqlite's
    thread, one transaction at a time.
    """

    def __init__(self, reader: sqlite3.Connection, writer: aiosqlite.Connection) -> None:
        self.reader = reader
        self.writer = writer
        self.write_lock = asyncio.Lock()
        self._snapshot = Snapshot(reader)

    def snapshot(self) -> Snapshot:
        """A block whose reads see one committed state of the database (see :class:`Snapshot`)."""
        return self._snapshot

    async def one(self, sql: str, *params: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.reader.execute(sql, params).fetchone()
        return row

    async def all(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        return self.reader.execute(sql, params).fetchall()

    async def run(self, sql: str, *params: Any) -> int:
        """Execute one write statement (atomic on its own); return the changed row count."""
        async with self.write_lock, self.writer.execute(sql, params) as cursor:
            return cursor.rowcount

    async def write(self, sql: str, *params: Any) -> None:
        """Execute one write statement (atomic on its own) whose row count nobody needs: one
        trip to the writer's thread, where :meth:`run` takes two."""
        async with self.write_lock:
            await self.writer.execute_fetchall(sql, params)

    async def pages(self, sql: str, *params: Any) -> AsyncIterator[list[sqlite3.Row]]:
        """A whole table read in batches, each its own query: ``sql`` selects ``page_key``
        (a rowid) and ends with ``page_key > ? ORDER BY page_key LIMIT ?``."""
        after = 0
        while True:
            try:
                rows = await self.all(sql, *params, after, PAGE)
            except (sqlite3.Error, ValueError) as exc:
                raise StoreError(str(exc)) from exc
            if rows:
                yield rows
            if len(rows) < PAGE:
                return
            after = rows[-1]["page_key"]
            await asyncio.sleep(0)  # reads run on the loop's thread: let requests in between

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.write_lock:
            await self.writer.execute("BEGIN IMMEDIATE")
            try:
                yield self.writer
            except BaseException:
                await self.writer.rollback()
                raise
            await self.writer.commit()

    async def close(self) -> None:
        self.reader.close()
        await self.writer.close()


class Snapshot:
    """One read transaction on the reader connection, for the reads of a block.

    Its reads see one committed state (a write committed meanwhile is seen by the next block),
    and they are cheaper: a read outside a transaction starts and ends its own, each time
    locking and unlocking the database file (two fcntl calls and a stat, about 3 µs of a
    5 µs lookup). Blocks that overlap (one awaits, another starts) share the outermost
    transaction, which ends with the last of them: one object per connection, counting the
    blocks open.
    """

    __slots__ = ("_open", "_reader")

    def __init__(self, reader: sqlite3.Connection) -> None:
        self._reader = reader
        self._open = 0

    def __enter__(self) -> None:
        if self._open == 0:
            self._reader.execute("BEGIN")
        self._open += 1

    def __exit__(self, *exc: object) -> None:
        self._open -= 1
        if self._open == 0:
            self._reader.execute("COMMIT")


async def open_db(path: Path) -> Db:
    """Both connections to the database file at ``path``, created (with its folder) if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        writer = await _connect(path)
        reader = _connect_reader(path)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    return Db(reader, writer)


_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
)


def _connect_reader(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    return conn


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn
