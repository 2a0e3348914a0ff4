"""``faynosync upload`` against a real server: several files in one version, progress lines in a
log, the server's refusals, and retries that never duplicate a version: a re-run, an answer
lost on the way, a server stopped mid-upload and started again."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import threading

import httpx

from tests.client.conftest import FAST, Admin, server_settings, set_up, write
from tests.support.edge import EdgeProxy
from tests.support.server import serving
from tests.support.services import free_port

TARGET = ("--app", "demo", "--channel", "stable", "--platform", "darwin", "--arch", "arm64")


def sha256_of(url: str, admin: Admin) -> str:
    if "/download?" in url:
        answer = httpx.get(admin.url + url[url.index("/download?") :], headers=admin.headers)
        url = answer.json()["download_url"]
    response = httpx.get(url)
    assert response.status_code == 200
    return hashlib.sha256(response.content).hexdigest()


def test_several_files_land_in_one_version_with_progress_lines(admin, cli, tmp_path):
    dmg = write(tmp_path / "Demo-1.2.3.dmg", 300_000)
    zipped = write(tmp_path / "Demo-1.2.3.zip", 50_000, seed=1)
    notes = tmp_path / "notes.md"
    notes.write_text("### Fixed\n- a crash\n")
    result = cli(
        "upload", str(dmg), str(zipped), *TARGET, "--version", "1.2.3", "--publish",
        "--changelog", f"@{notes}", *FAST,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == "uploaded 2 file(s) to demo 1.2.3 (stable/darwin/arm64)\n"
    # Not a terminal: plain lines, the last one complete.
    lines = result.err.splitlines()
    assert lines and all(line.startswith("uploading: ") for line in lines)
    assert lines[-1].startswith("uploading: 100% 341.8 KiB / 341.8 KiB, ")
    [version] = admin.versions()
    assert version["Version"] == "1.2.3"
    assert version["Published"] is True
    assert [a["package"] for a in version["Artifacts"]] == [".dmg", ".zip"]
    assert version["Changelog"][0]["Changes"] == "### Fixed\n- a crash\n"
    links = [a["link"] for a in version["Artifacts"]]
    assert sha256_of(links[0], admin) == hashlib.sha256(dmg.read_bytes()).hexdigest()


def test_a_second_run_with_the_same_bytes_is_already_there(admin, cli, tmp_path):
    dmg = write(tmp_path / "a.dmg", 20_000)
    for app in ("demo", "secret"):  # public, then private (compared through /download)
        args = ["upload", str(dmg), *TARGET, "--version", "2-0-0", *FAST]
        args[3] = app
        assert cli(*args).code == 0
        again = cli(*args)
        assert again.code == 0, again.err
        assert again.out == (
            f"already there: {app} 2.0.0 (stable/darwin/arm64) holds these 1 file(s) with the "
            "same bytes\n"
        )
        assert "attempt" not in again.err  # the server's refusal needs no wait
        assert len(admin.versions(app)) == 1


def test_other_bytes_under_the_same_version_are_refused(admin, cli, tmp_path):
    assert (
        cli("upload", str(write(tmp_path / "a.dmg", 20_000)), *TARGET, "--version", "1").code == 0
    )
    other = write(tmp_path / "b.dmg", 20_000, seed=7)
    result = cli("upload", str(other), *TARGET, "--version", "1", *FAST)
    assert result.code == 1
    assert "the server already holds other files for this version:\n  b.dmg: same size, " in (
        result.err
    )
    longer = write(tmp_path / "c.dmg", 20_001)
    result = cli("upload", str(longer), *TARGET, "--version", "1", *FAST)
    assert "c.dmg: 20000 bytes there, 20001 here" in result.err


def test_a_refusal_exits_non_zero_with_the_servers_error(admin, cli, tmp_path):
    dmg = write(tmp_path / "a.dmg", 1000)
    result = cli("upload", str(dmg), *TARGET[:2], "--channel", "nightly", "--version", "1")
    assert (result.code, result.out) == (1, "")
    assert result.err.endswith(
        "faynosync: the server answered 400: wrong name of channel. Channel does not exist\n"
    )
    result = cli("upload", str(dmg), "--app", "nope", *TARGET[2:], "--version", "1", *FAST)
    assert result.code == 1
    assert "answered 500: app_name not found in apps_meta collection" in result.err
    assert "attempt" not in result.err  # a deliberate refusal: not sent again
    result = cli("upload", str(dmg), *TARGET, "--version", "1.x")
    assert "answered 400: invalid version parameter" in result.err
    assert admin.versions() == []


def test_an_api_token_uploads_but_cannot_compare_a_private_apps_files(
    admin, cli, tmp_path, monkeypatch
):
    apps = admin.get("/app/list").json()["apps"]
    secret = next(app["ID"] for app in apps if app["AppName"] == "secret")
    body = {"name": "ci", "allowed_apps": [secret]}
    token = httpx.post(f"{admin.url}/token/create", json=body, headers=admin.headers).json()
    dmg = write(tmp_path / "a.dmg", 1000)
    args = ("upload", str(dmg), "--app", "secret", *TARGET[2:], "--version", "1", *FAST)
    assert cli(*args).code == 0
    monkeypatch.setenv("FAYNOSYNC_TOKEN", token["token"])
    result = cli(*args)
    assert result.code == 1
    assert "could not be compared with yours" in result.err
    assert "answered 403: API tokens are restricted to app upload" in result.err


def test_an_answer_lost_on_the_way_is_found_already_there(admin, cli, tmp_path, monkeypatch):
    dmg = write(tmp_path / "a.dmg", 100_000)
    with EdgeProxy(admin.server.port, drop_answer_with=b"uploadResult.Uploaded") as edge:
        monkeypatch.setenv("FAYNOSYNC_URL", edge.url)
        result = cli("upload", str(dmg), *TARGET, "--version", "3", "--publish", *FAST)
    assert edge.dropped == 1
    assert result.code == 0, result.err
    assert "attempt 1 failed" in result.err
    assert result.out.startswith("already there: demo 3 ")
    [version] = admin.versions()
    assert len(version["Artifacts"]) == 1


def test_a_server_stopped_mid_upload_and_started_again(tmp_path, mongodb_url, cli, monkeypatch):
    """The server is killed while the body streams in, then started again on the same port and
    data: the client's retry completes the upload, once."""
    settings = server_settings(mongodb_url)
    data, port = tmp_path / "data", free_port()
    dmg = write(tmp_path / "big.dmg", 400_000)
    with contextlib.ExitStack() as servers:
        first = servers.enter_context(serving(data, PORT=str(port), **settings))
        admin = set_up(first)

        def start_again() -> None:
            servers.enter_context(serving(data, PORT=str(port), **settings))

        def stop_and_start_again() -> None:
            first.process.kill()
            first.process.wait()
            threading.Thread(target=start_again, daemon=True).start()

        with EdgeProxy(port, rate=400_000, after=(150_000, stop_and_start_again)) as edge:
            monkeypatch.setenv("FAYNOSYNC_URL", edge.url)
            monkeypatch.setenv("FAYNOSYNC_TOKEN", admin.token)
            result = cli("upload", str(dmg), *TARGET, "--version", "4", "--retries", "10", *FAST)
        assert first.process.returncode == -signal.SIGKILL
        assert result.code == 0, result.err
        assert "attempt 1 failed" in result.err
        assert result.out == "uploaded 1 file(s) to demo 4 (stable/darwin/arm64)\n"
        [version] = admin.versions()
        [artifact] = version["Artifacts"]
        assert sha256_of(artifact["link"], admin) == hashlib.sha256(dmg.read_bytes()).hexdigest()
