"""A TCP proxy at the network edge, in front of a real server, for the faults a network causes:
it can slow the bytes going up, call back once some bytes went up (to stop the server
mid-upload), and drop the first answer that holds given bytes (the server did the work, the
client never hears of it)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable


class EdgeProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        rate: float | None = None,
        after: tuple[int, Callable[[], None]] | None = None,
        drop_answer_with: bytes | None = None,
    ) -> None:
        self.upstream_port = upstream_port
        self.rate = rate
        """Bytes a second going up, until ``after`` fires (then no limit)."""
        self._after = after
        self._drop = drop_answer_with
        self.sent_up = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> EdgeProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in list(self._sockets):
            _shut(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                _shut(client)  # the server is down: the client sees the connection close
                continue
            self._sockets += [client, upstream]
            threading.Thread(target=self._up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client), daemon=True).start()

    def _up(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(16384):
                if self.rate:
                    time.sleep(len(chunk) / self.rate)
                target.sendall(chunk)
                self._count(len(chunk))
        _shut(source)
        _shut(target)

    def _count(self, count: int) -> None:
        with self._lock:
            self.sent_up += count
            fire = self._after is not None and self.sent_up >= self._after[0]
            callback = self._after[1] if fire and self._after else None
            if fire:
                self._after, self.rate = None, None
        if callback is not None:
            callback()

    def _down(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                if self._drop is not None and self._drop in chunk:
                    self._drop = None
                    self.dropped += 1
                    break
                target.sendall(chunk)
        _shut(source)
        _shut(target)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
