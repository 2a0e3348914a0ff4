"""Bad input and bad servers: a clear message and a non-zero exit, never a traceback; retries
that end."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.client.conftest import FAST, write
from tests.support.services import free_port

TARGET = ("--app", "demo", "--channel", "stable", "--platform", "darwin", "--arch", "arm64")


@contextlib.contextmanager
def served(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A web server at the edge, in a thread, answering with ``handler``; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def answering(status: int, body: bytes, content_type: str = "text/html") -> Iterator[str]:
    """A web server at the edge that answers every request the same way (a broken proxy)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    with served(Handler) as url:
        yield url


@pytest.fixture
def nowhere(monkeypatch) -> None:
    monkeypatch.setenv("FAYNOSYNC_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("FAYNOSYNC_TOKEN", "t")


def test_bad_files_and_options(cli, tmp_path, nowhere):
    dmg = write(tmp_path / "a.dmg", 10)
    cases = {
        ("upload", str(tmp_path / "none.dmg"), *TARGET, "--version", "1"): (
            1, f"faynosync: {tmp_path / 'none.dmg'}: no such file\n"
        ),
        ("upload", str(tmp_path), *TARGET, "--version", "1"): (
            1,
            f"faynosync: {tmp_path} is a directory (to publish a build folder: faynosync "
            "publish)\n",
        ),
        ("upload", str(dmg), str(write(tmp_path / "b.dmg", 5)), *TARGET, "--version", "1"): (
            1,
            "faynosync: a.dmg and b.dmg share the extension '.dmg': a version holds one file "
            "per extension for a platform and arch\n",
        ),
        ("upload", str(dmg), *TARGET, "--version", "1", "--changelog", "@/no/notes.md"): (
            1, "faynosync: --changelog @/no/notes.md: No such file or directory\n"
        ),
        ("upload", str(dmg), *TARGET, "--version", ""): (1, "faynosync: give --version\n"),
    }  # fmt: skip
    for args, (code, err) in cases.items():
        result = cli(*args)
        assert (result.code, result.err) == (code, err), args
    for bad in ("101", "-1", "50.5", "half"):
        result = cli("upload", str(dmg), *TARGET, "--version", "1", f"--rollout={bad}")
        assert result.code == 2
        assert result.err.endswith(
            f"argument --rollout: must be a whole percent from 0 to 100, not {bad!r}\n"
        )
    for option in ("--retries=-1", "--retry-delay=soon"):
        result = cli("upload", str(dmg), *TARGET, "--version", "1", option)
        assert result.code == 2
        assert "Traceback" not in result.err


def test_a_server_that_never_answers_well(cli, tmp_path, monkeypatch):
    dmg = write(tmp_path / "a.dmg", 5000)
    upload = ("upload", str(dmg), *TARGET, "--version", "1", "--retries", "2", *FAST)
    with answering(502, b"<html>Bad Gateway</html>") as url:
        monkeypatch.setenv("FAYNOSYNC_URL", url)
        monkeypatch.setenv("FAYNOSYNC_TOKEN", "t")
        result = cli(*upload)
        assert result.code == 1
        assert result.err.count("trying again in") == 2
        assert result.err.splitlines()[-1] == (
            "faynosync: gave up after 3 attempts: the server answered 502: <html>Bad Gateway</html>"
        )
        assert cli("apps").err == "faynosync: the server answered 502: <html>Bad Gateway</html>\n"
    with answering(200, b"hello") as url:
        monkeypatch.setenv("FAYNOSYNC_URL", url)
        assert cli("apps").err == "faynosync: the server answered 200: not JSON: hello\n"
        result = cli(*upload)
        assert (result.code, result.err.splitlines()[-1]) == (
            1, "faynosync: the server answered 200: not JSON: hello"
        )  # fmt: skip
    with answering(200, b"[]", "application/json") as url:
        monkeypatch.setenv("FAYNOSYNC_URL", url)
        assert cli("apps").err == "faynosync: the server answered 200: not a JSON object: []\n"
    with answering(200, b'{"apps": 5}', "application/json") as url:
        monkeypatch.setenv("FAYNOSYNC_URL", url)
        result = cli("apps")
        assert (result.code, result.err) == (
            1, "faynosync: unexpected TypeError: 'int' object is not iterable\n"
        )  # fmt: skip
    monkeypatch.setenv("FAYNOSYNC_URL", f"http://127.0.0.1:{free_port()}")
    result = cli(*upload)
    assert result.code == 1
    assert result.err.splitlines()[-1].startswith(
        "faynosync: gave up after 3 attempts: http://127.0.0.1:"
    )
    assert "did not answer: ConnectError" in result.err
    assert "Traceback" not in result.err


def test_rollouts_on_faynosync_at_either_level(sqlite_admin, cli, tmp_path):
    """faynosync keeps rollouts at API level 1.4.6 too, where /search does not show them."""
    dmg = write(tmp_path / "a.dmg", 100)
    for version in ("1", "2"):
        result = cli("upload", str(dmg), *TARGET, "--version", version, "--rollout", "50", *FAST)
        assert result.code == 0
        assert "rollout" not in result.err  # neither refused nor said to be ignored
        assert result.out == f"uploaded 1 file(s) to demo {version} (stable/darwin/arm64)\n"
    assert [v["Version"] for v in sqlite_admin.versions()] == ["2", "1"]


@contextlib.contextmanager
def faynosync_1_4_6(uploads: list[str]) -> Iterator[str]:
    """FaynoSync v1.4.6 as the client sees it, at the edge: no /openapi.json, /search items
    without RolloutPercent; uploads are noted."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/search"):
                self._answer(200, b'{"items":[{"Version":"0.9","Artifacts":[]}],"total":1}')
            else:
                self._answer(404, b"404 page not found")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            uploads.append(self.path)
            self._answer(200, b'{"uploadResult.Uploaded":"x"}')

        def log_message(self, *args: object) -> None:
            pass

    with served(Handler) as url:
        yield url


def test_rollouts_on_a_server_that_keeps_none(cli, tmp_path, monkeypatch):
    dmg = write(tmp_path / "a.dmg", 100)
    uploads: list[str] = []
    with faynosync_1_4_6(uploads) as url:
        monkeypatch.setenv("FAYNOSYNC_URL", url)
        monkeypatch.setenv("FAYNOSYNC_TOKEN", "t")
        result = cli("upload", str(dmg), *TARGET, "--version", "1", "--rollout", "50", *FAST)
    assert result.code == 1
    assert result.err.startswith("faynosync: --rollout 50: this server keeps no staged rollouts")
    assert uploads == []  # refused before anything was sent
