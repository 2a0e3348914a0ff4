"""The HTTP/1.1 server ``faynosync serve`` runs: uvicorn, with Go's bound on a request's head.

Go's net/http reads at most ``DefaultMaxHeaderBytes`` (1 MiB) plus 4096 bytes of buffer slack
of a request line and its headers; a longer head is answered ``431`` and the connection closed.
uvicorn's parsers have no such bound: httptools keeps whatever arrives, and h11 refuses a head
past 16 KiB with a 400 (where Go accepts up to 1 MiB). The protocols below count the bytes of
each request's head as they arrive and never hand the parser more than Go would read, so a
huge head costs at most that much memory per connection. Bodies are not counted. The count is
exact to the byte for a head that starts a read (a connection's first request, or one sent
after the previous answer); a pipelined head that follows a body in the same read is counted
from the next read on, so it may exceed the limit by less than one read (256 KiB).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEADER_BYTES = 1 << 20  # net/http DefaultMaxHeaderBytes
HEAD_READ_LIMIT = MAX_HEADER_BYTES + 4096  # what Go reads of a head: the limit + bufio slack
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"431 Request Header Fields Too Large"
)
# As Go's closeWriteAndWait: the answer is sent, the writing side shut, and the connection
# closed a moment later, so that the client reads the answer instead of a reset. A client
# still sending is waited for (each chunk read and dropped restarts the wait), up to a bound.
LINGER_SECONDS = 0.5
LINGER_MAX_SECONDS = 10.0


class _HeadLimit(asyncio.Protocol):
    """Counts a request's head as it arrives; past ``HEAD_READ_LIMIT`` bytes, answers 431.

    Mixed in front of one of uvicorn's protocols, whose ``cycle`` (replaced each time a head
    is complete), ``transport`` and ``loop`` it reads.
    """

    cycle: Any
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _head_bytes = 0
    _refused = False
    _close_by = 0.0
    _closer: asyncio.TimerHandle | None = None

    def _reading_head(self) -> bool:
        """Whether the bytes that arrive now belong to a request's head."""
        raise NotImplementedError

    def data_received(self, data: bytes) -> None:
        if self._refused:
            self._linger()  # read and dropped, so the client can finish sending and read
            return
        if not self._reading_head():
            super().data_received(data)
            return
        cycle = self.cycle
        room = HEAD_READ_LIMIT - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            if self.cycle is not cycle:
                self._head_bytes = 0  # a head ended in this chunk: the next one starts afresh
            return
        super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self.cycle is cycle:
            self._refuse()
            return
        self._head_bytes = 0
        self.data_received(data[room:])

    def _refuse(self) -> None:
        self._refused = True
        # uvicorn may have paused reading (a body nobody reads): what arrives now is dropped,
        # and must be read, or the close turns into a reset that discards the answer.
        self.transport.resume_reading()
        self.transport.write(TOO_LARGE)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._close_by = self.loop.time() + LINGER_MAX_SECONDS
        self._linger()

    def _linger(self) -> None:
        """Close LINGER_SECONDS from now, or at the bound if that comes first."""
        if self._closer is not None:
            self._closer.cancel()
        delay = min(LINGER_SECONDS, self._close_by - self.loop.time())
        self._closer = self.loop.call_later(max(delay, 0.0), self.transport.close)


class HeadLimitedH11(_HeadLimit, H11Protocol):
    """uvicorn's h11 protocol with the bound (h11's own limit is raised above it)."""

    def _reading_head(self) -> bool:
        # IDLE: before or inside a head; DONE: a request read, the next one's head arriving.
        return self.conn.their_state in (h11.IDLE, h11.DONE)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    _PROTOCOL: type[asyncio.Protocol] = HeadLimitedH11
else:

    class HeadLimitedHttpTools(_HeadLimit, HttpToolsProtocol):
        """uvicorn's httptools protocol (its default) with the bound."""

        _in_head = True

        def _reading_head(self) -> bool:
            return self._in_head

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head = True
            super().on_message_complete()

    _PROTOCOL = HeadLimitedHttpTools


def options() -> dict[str, Any]:
    """uvicorn settings of ``faynosync serve`` (a benchmark starts its server with them too)."""
    return {
        "http": _PROTOCOL,  # what uvicorn's "auto" would choose, with the bound
        # Above ours by more than one read: a head that began in the chunk ending a body is
        # counted from the next chunk, and must meet our bound (431) before h11's (400).
        "h11_max_incomplete_event_size": HEAD_READ_LIMIT + 512 * 1024,
        "server_header": False,
    }
