"""The HTTP server `faynosync serve` runs: Go's bound on a request's head, on a real server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faynosync.http.server import HEAD_READ_LIMIT, TOO_LARGE
from tests.support.services import free_port, wait_for_http

H11_SERVER = """
import sys, uvicorn
from faynosync.app import create_app
from faynosync.http import server
options = {**server.options(), "http": server.HeadLimitedH11}
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", **options)
"""


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    def exchange(self, *requests: bytes) -> bytes:
        """Send ``requests`` on one connection; everything the server wrote until it closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as sock:
            for request in requests:
                sock.sendall(request)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            return received

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (its peak) in kB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS:", "VmHWM:"))
        }


@pytest.fixture(scope="module", params=["serve", "h11"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """`faynosync serve` (uvicorn's default parser, httptools), and the h11 fallback."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "FAYNOSYNC_DATA_DIR": str(tmp_path), "PORT": str(port)}
    env["JWT_SECRET"] = "a-test-secret-of-at-least-32-bytes!!"
    if request.param == "serve":
        command = [sys.executable, "-m", "faynosync", "--log-level", "warning", "serve"]
        command += ["--host", "127.0.0.1"]
    else:
        command = [sys.executable, "-c", H11_SERVER, str(port)]
    process = subprocess.Popen(command, cwd=tmp_path, env=env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", process)
        yield Server(process, port)
    finally:
        process.terminate()
        process.wait(timeout=15)


def head(size: int, path: str = "/health", *, close: bool = True) -> bytes:
    """A GET whose head (request line and headers) is ``size`` bytes long."""
    start = f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode()
    end = b"Connection: close\r\n\r\n" if close else b"\r\n"
    filler = size - len(start) - len(end) - len(b"X-Device-ID: \r\n")
    return start + b"X-Device-ID: " + b"d" * filler + b"\r\n" + end


def test_a_2_mb_head_is_refused_as_go_refuses_it_without_the_memory(server):
    for _ in range(20):
        assert b'"healthy"' in server.exchange(head(200))
    before = server.memory()
    for _ in range(10):
        assert server.exchange(head(2 << 20)) == TOO_LARGE
    time.sleep(0.2)
    after = server.memory()
    # Each head would cost its size at least several times over (about 1.4 MB a time, kept).
    assert after["VmHWM"] - before["VmHWM"] < 6 * 1024, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < 6 * 1024, (before, after)


def test_the_limit_is_gos_to_the_byte(server):
    assert server.exchange(head(HEAD_READ_LIMIT)).startswith(b"HTTP/1.1 200 OK\r\n")
    assert server.exchange(head(HEAD_READ_LIMIT + 1)) == TOO_LARGE


def test_the_number_of_headers_is_not_bounded_only_their_bytes(server):
    # Go counts the head's bytes, not its headers; HTTP servers built on hyper (granian)
    # answer 431 past 100 headers.
    many = b"".join(b"X-Extra-%d: v\r\n" % n for n in range(1000))
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"Connection: close\r\n\r\n"
    answer = server.exchange(request)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:100]
    assert b'"healthy"' in answer


def test_each_request_of_a_connection_has_its_own_limit_and_bodies_do_not_count(server):
    body = b"{" * (3 << 20)
    post = f"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    # (A head sent behind a body, without waiting for the answer, is counted from the next
    # chunk read: the byte-exact limit holds for heads that start a read.)
    answer = server.exchange(
        head(HEAD_READ_LIMIT - 10, close=False), post, head(2 << 20, close=False)
    )
    first, second, third = answer.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200 OK\r\n")
    assert second.startswith(b"413 Request Entity Too Large\r\n")  # the route's own limit
    assert b"HTTP/1.1 " + third == TOO_LARGE


def test_a_client_still_sending_its_head_is_waited_for_and_reads_the_431(server):
    """The refused head keeps arriving for longer than one linger period: the connection
    stays open while it does, so the client reads the answer instead of a reset."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(head(HEAD_READ_LIMIT + 4096, close=False)[:-2])
        for _ in range(4):
            time.sleep(0.3)
            sock.sendall(b"X-More: " + b"m" * 65536 + b"\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received == TOO_LARGE
