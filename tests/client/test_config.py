"""``faynosync login`` and where the client finds its server and token: the environment
(``FAYNOSYNC_URL``, ``FAYNOSYNC_TOKEN``) before the config file, which only its owner reads."""

from __future__ import annotations

import json
import stat

from faynosync.client import config
from tests.support.services import free_port


def test_login_with_a_password_stores_a_jwt_readable_by_the_owner_only(
    sqlite_admin, cli, monkeypatch, _client_home
):
    monkeypatch.delenv("FAYNOSYNC_URL")
    monkeypatch.delenv("FAYNOSYNC_TOKEN")
    url = sqlite_admin.url.removeprefix("http://") + "/"  # no scheme, a trailing slash
    result = cli("login", "--url", url, "--username", "admin", "--password", "password")
    assert result.code == 0, result.err
    path = _client_home / "faynosync" / "config.json"
    assert result.out == f"logged in to {sqlite_admin.url} as admin (admin); saved in {path}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["url"] == sqlite_admin.url
    assert stored["token"].count(".") == 2  # a JWT
    assert cli("apps").code == 0  # from the file alone


def test_login_with_a_token_checks_it_first(sqlite_admin, cli, monkeypatch, _client_home):
    monkeypatch.delenv("FAYNOSYNC_TOKEN")
    result = cli("login", "--token", "not-a-token")
    assert result.code == 1
    assert result.err.startswith("faynosync: the server answered 401: ")
    assert not (_client_home / "faynosync" / "config.json").exists()
    result = cli("login", "--token", sqlite_admin.token)  # the URL from FAYNOSYNC_URL
    assert result.code == 0, result.err
    assert "note: FAYNOSYNC_URL set in the environment take precedence" in result.out
    assert config.read_file()["token"] == sqlite_admin.token


def test_the_environment_comes_before_the_file(sqlite_admin, cli, monkeypatch):
    config.write_file(config.Credentials(sqlite_admin.url, "stale"))
    monkeypatch.delenv("FAYNOSYNC_URL")
    assert cli("apps").code == 0  # the token of the environment
    monkeypatch.delenv("FAYNOSYNC_TOKEN")
    result = cli("apps")
    assert result.code == 1
    assert "the server answered 401" in result.err  # the file's token
    monkeypatch.setenv("FAYNOSYNC_TOKEN", sqlite_admin.token)
    monkeypatch.setenv("FAYNOSYNC_URL", f"http://127.0.0.1:{free_port()}")
    result = cli("apps")
    assert result.code == 1
    assert "did not answer: ConnectError" in result.err


def test_login_refusals(sqlite_admin, cli, monkeypatch):
    result = cli("login", "--username", "admin", "--password", "wrong")
    assert result.code == 1
    assert result.err == "faynosync: the server answered 401: invalid username or password\n"
    result = cli("login", "--username", "admin")  # no terminal to ask on
    assert result.err.startswith("faynosync: no password: give --password")
    monkeypatch.setenv("FAYNOSYNC_PASSWORD", "password")
    assert cli("login", "--username", "admin").code == 0
    result = cli("login")
    assert result.err == "faynosync: give --token TOKEN, or --username NAME (and --password)\n"


def test_nothing_configured(cli, _client_home):
    result = cli("apps")
    assert result.code == 1
    assert result.err == (
        "faynosync: no server: run `faynosync login --url URL ...` or set FAYNOSYNC_URL\n"
    )
    result = cli("login", "--token", "x")
    assert result.err.startswith("faynosync: no server: give --url")
    path = _client_home / "faynosync" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"url": "http://127.0.0.1:1"}')
    assert cli("apps").err == "faynosync: no token: run `faynosync login` or set FAYNOSYNC_TOKEN\n"
    path.write_text("{not json")
    result = cli("apps")
    assert result.code == 1
    assert result.err.startswith(f"faynosync: cannot read {path}: ")
    path.write_text("[]")
    assert "is not a JSON object" in cli("apps").err
