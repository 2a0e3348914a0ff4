"""``faynosync apps``, ``versions APP`` and ``check APP VERSION``: a table for a reader, the
server's own JSON with ``--json``, the server's error on a refusal."""

from __future__ import annotations

import json

from tests.client.conftest import FAST, write

WHERE = ("--channel", "stable", "--platform", "darwin", "--arch", "arm64")


def test_apps_versions_and_check(admin, cli, tmp_path):
    dmg = write(tmp_path / "a.dmg", 1000)
    for version, flags in (("1.0.0", ()), ("1.1.0", ("--critical",))):
        args = ("upload", str(dmg), "--app", "demo", *WHERE, "--version", version, "--publish")
        assert cli(*args, *flags, "--changelog", f"notes {version}", *FAST).code == 0

    raw = cli("apps", "--json")
    assert (raw.code, raw.out) == (0, admin.get("/app/list").text + "\n")
    table = cli("apps").out.splitlines()
    assert table[0].split() == ["APP", "ACCESS", "ID", "UPDATED", "DESCRIPTION"]
    assert [line.split()[:2] for line in table[1:]] == [["demo", "public"], ["secret", "private"]]

    raw = cli("versions", "demo", "--json")
    assert json.loads(raw.out) == admin.get("/search", app_name="demo", limit="100").json()
    table = cli("versions", "demo", "--channel", "stable").out.splitlines()
    assert table[0].split() == [
        "VERSION", "CHANNEL", "PUBLISHED", "CRITICAL", "INTERMEDIATE", "UPDATED", "ARTIFACTS",
    ]  # fmt: skip
    assert table[1].split()[:5] == ["1.1.0", "stable", "yes", "yes", "no"]
    assert table[1].endswith("darwin/arm64 .dmg")
    assert table[-1] == "2 of 2 versions (page 1, 100 a page)"
    assert cli("versions", "demo", "--page", "2", "--limit", "2").out == (
        "no versions on this page (2 in all)\n"
    )

    older = cli("check", "demo", "1.0.0", *WHERE)
    assert older.code == 0, older.err
    lines = older.out.splitlines()
    assert lines[0] == "update available"
    assert lines[1].split() == ["KEY", "VALUE"]
    assert ["changelog", "notes", "1.1.0\\n"] in [line.split() for line in lines]
    assert ["critical", "yes"] in [line.split() for line in lines]
    raw = cli("check", "demo", "1.0.0", *WHERE, "--json", "--owner", "admin")
    assert json.loads(raw.out)["update_available"] is True
    ahead = cli("check", "demo", "2.0", *WHERE).out.splitlines()[0]
    assert ahead == "no update (the client is ahead of the latest version: a rollback is possible)"


def test_check_needs_no_token_with_an_owner(admin, cli, monkeypatch):
    monkeypatch.delenv("FAYNOSYNC_TOKEN")
    result = cli("check", "demo", "1.0.0", *WHERE)
    assert result.err == "faynosync: no token: run `faynosync login` or set FAYNOSYNC_TOKEN\n"
    result = cli("check", "demo", "1.0.0", *WHERE, "--owner", "admin")
    assert result.code == 1
    assert result.err == (
        "faynosync: the server answered 400: no matching documents found for app_name: demo\n"
    )


def test_refusals_of_reads(admin, cli):
    result = cli("versions", "nope")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "faynosync: the server answered 500: app_name not found in apps_meta collection\n"
    )
    result = cli("check", "bad name!", "1", *WHERE)
    assert result.err == "faynosync: the server answered 400: invalid app_name parameter\n"
