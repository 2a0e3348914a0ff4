"""``faynosync publish DIR``: each tool's output folder recognised and uploaded as one version
with its updater (on a server at API level 2.1, where a platform may offer Velopack), and what
an incomplete folder lacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.client import builds
from tests.client.conftest import FAST, server_settings, set_up, write
from tests.support.server import serving

WHERE = ("--channel", "stable", "--platform", "windows", "--arch", "amd64")
UPDATERS = ["manual", "electron-builder", "squirrel_windows", "tauri", "velopack"]


@pytest.fixture
def level_2_1(tmp_path, mongodb_url, monkeypatch):
    with serving(tmp_path / "data", **server_settings(mongodb_url, FAYNOSYNC_API_LEVEL="2.1")) as s:
        admin = set_up(s)
        updaters = [{"type": t, "default": t == "manual"} for t in UPDATERS]
        body = {"platform": "windows10", "updaters": updaters}
        assert httpx.post(f"{s.url}/platform/create", json=body, headers=admin.headers).is_success
        monkeypatch.setenv("FAYNOSYNC_URL", admin.url)
        monkeypatch.setenv("FAYNOSYNC_TOKEN", admin.token)
        yield admin


CASES: dict[str, tuple[Callable[[Path], Path], str, list[str]]] = {
    "electron-builder": (builds.electron_builder_windows, "1.2.3", [".yml", ".exe", ".blockmap"]),
    "squirrel_windows": (builds.squirrel_windows, "1.2.4", ["", ".nupkg", ".exe", ".msi"]),
    "tauri": (builds.tauri_windows, "2.0.0", [".msi", ".exe"]),
    "velopack": (
        builds.velopack_windows,
        "3.0.0",
        [".json", ".nupkg", ".nupkg", ".exe", ".zip"],
    ),
}


@pytest.mark.parametrize("updater", list(CASES))
def test_a_build_folder_becomes_one_version(level_2_1, cli, tmp_path, updater):
    build, version, packages = CASES[updater]
    folder = build(tmp_path / "dist")
    where = ("--channel", "stable", "--platform", "windows10", "--arch", "amd64")
    result = cli("publish", str(folder), "--app", "demo", *where, "--publish", *FAST)
    assert result.code == 0, result.err
    assert f"version {version}" in result.out.splitlines()[0]
    [item] = level_2_1.versions()
    assert (item["Version"], item["Published"]) == (version, True)
    assert [a["package"] for a in item["Artifacts"]] == packages
    if updater in ("electron-builder", "squirrel_windows"):  # keys keep the file names
        assert all(f"{updater}/demo-admin/{version}/" in a["link"] for a in item["Artifacts"])
    again = cli("publish", str(folder), "--app", "demo", *where, *FAST)
    assert again.code == 0, again.err
    assert "already there: demo" in again.out
    assert len(level_2_1.versions()) == 1
    check = cli("check", "demo", "0.1", *where, "--updater", updater, "--json")
    assert check.code == 0, check.err
    answer = json.loads(check.out)
    if updater == "electron-builder":
        assert answer["status"] == 302
        assert answer["location"].endswith("/latest.yml")
        shown = cli("check", "demo", "0.1", *where, "--updater", updater).out
        assert shown == f"redirect (302) to {answer['location']}\n"
        latest = cli("check", "demo", version, *where, "--updater", updater)
        assert latest.out == "no update (204, no body)\n"
        assert cli("check", "demo", version, *where, "--updater", updater, "--json").out == (
            '{"status": 204}\n'
        )
    if updater == "squirrel_windows":  # API level 2.1: the RELEASES file, URLs absolute
        assert (answer["status"], answer["content_type"]) == (200, "text/plain; charset=utf-8")
        assert "://" in answer["text"].split()[1]
        shown = cli("check", "demo", "0.1", *where, "--updater", updater).out
        assert shown == answer["text"] + ("" if answer["text"].endswith("\n") else "\n")
    if updater == "tauri":
        assert answer["version"] == "2.0.0"
        assert answer["signature"].startswith("dW50cnVzdGVkIGNvbW1lbnQ6")


def test_velopack_needs_a_platform_that_offers_it(level_2_1, cli, tmp_path):
    folder = builds.velopack_windows(tmp_path / "dist")
    result = cli("publish", str(folder), "--app", "demo", *WHERE, *FAST)
    assert result.code == 1
    assert result.err == (
        "faynosync: Velopack output, but the server's platform 'windows' does not offer the "
        "velopack updater (it offers: manual)\n"
    )
    result = cli("publish", str(folder), "--app", "demo", "--platform", "linux", *FAST)
    assert result.err == "faynosync: Velopack output, but the server has no platform 'linux'\n"
    assert level_2_1.versions() == []


def test_what_each_folder_holds_a_dry_run(cli, tmp_path):
    """What is uploaded, and what is left out and why; no server needed."""
    mac = builds.electron_builder_mac(tmp_path / "mac")
    result = cli("publish", str(mac), "--app", "demo", "--dry-run")
    assert result.code == 0, result.err
    assert result.out == (
        f"{mac}: electron-builder output, version 1.2.3\n"
        "  latest-mac.yml\n"
        "  Demo-1.2.3-arm64-mac.zip\n"
        "  Demo-1.2.3-arm64.dmg\n"
        "  Demo-1.2.3-arm64-mac.zip.blockmap\n"
        "  note: left out Demo-1.2.3-arm64.dmg.blockmap: one .blockmap per platform and arch, "
        "Demo-1.2.3-arm64-mac.zip.blockmap kept\n"
    )
    squirrel = builds.squirrel_windows(tmp_path / "squirrel")
    result = cli("publish", str(squirrel), "--app", "demo", "--dry-run")
    assert result.out.splitlines() == [
        f"{squirrel}: Squirrel.Windows output, version 1.2.4",
        "  RELEASES",
        "  Demo-1.2.4-full.nupkg",
        "  Setup.exe",
        "  Setup.msi",
        "  note: left out Demo-1.2.4-delta.nupkg: delta packages are optional",
    ]
    tauri = builds.tauri_windows(tmp_path / "tauri")
    result = cli("publish", str(tauri), "--app", "demo", "--dry-run")
    assert result.out.splitlines() == [
        f"{tauri}: Tauri output, version 2.0.0",
        "  msi/Demo_2.0.0_x64_en-US.msi (signed)",
        "  nsis/Demo_2.0.0_x64-setup.exe (signed)",
    ]
    velopack = builds.velopack_windows(tmp_path / "velopack")
    result = cli("publish", str(velopack), "--app", "demo", "--dry-run")
    assert result.out.splitlines() == [
        f"{velopack}: Velopack output, version 3.0.0",
        "  releases.win.json",
        "  Demo-3.0.0-full.nupkg",
        "  Demo-3.0.0-delta.nupkg",
        "  Demo-win-Setup.exe",
        "  Demo-win-Portable.zip",
    ]
    (velopack / "Demo-3.0.0-delta.nupkg").unlink()
    result = cli("publish", str(velopack), "--app", "demo", "--dry-run")
    assert result.out.splitlines()[-1] == (
        "  note: left out Demo-3.0.0-delta.nupkg: not in the folder (delta packages are optional)"
    )


def test_an_incomplete_folder_says_what_is_missing(cli, tmp_path):
    folder = builds.electron_builder_windows(tmp_path / "eb")
    (folder / "Demo-Setup-1.2.3.exe").unlink()
    result = cli("publish", str(folder), "--app", "demo", "--dry-run")
    assert result.code == 1
    assert result.err == (
        f"faynosync: {folder}: electron-builder output is incomplete:\n"
        "  missing: Demo-Setup-1.2.3.exe (named by latest.yml)\n"
    )
    folder = builds.squirrel_windows(tmp_path / "sq")
    (folder / "Demo-1.2.4-full.nupkg").unlink()
    result = cli("publish", str(folder), "--app", "demo")
    assert result.code == 1
    assert "missing: Demo-1.2.4-full.nupkg (named by RELEASES)" in result.err
    folder = builds.tauri_windows(tmp_path / "tauri")
    (folder / "msi" / "Demo_2.0.0_x64_en-US.msi").unlink()
    result = cli("publish", str(folder), "--app", "demo", "--version", "2.0.1")
    assert "missing: msi/Demo_2.0.0_x64_en-US.msi (signed by Demo_2.0.0_x64_en-US.msi.sig)" in (
        result.err
    )
    assert "--version 2.0.1, but the build says 2.0.0" in result.err
    folder = builds.velopack_windows(tmp_path / "vpk")
    (folder / "releases.win.json").write_text("{}")
    result = cli("publish", str(folder), "--app", "demo")
    assert "releases.win.json is not a Velopack feed (no Assets list)" in result.err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    result = cli("publish", str(empty), "--app", "demo")
    assert result.code == 1
    assert result.err.startswith(f"faynosync: {empty}: nothing to publish: expected ")
    result = cli("publish", str(empty / "notes.txt"), "--app", "demo")
    assert result.err == f"faynosync: {empty / 'notes.txt'}: not a directory\n"


def test_folders_a_tool_would_not_write(cli, tmp_path):
    def problems(folder: Path) -> str:
        result = cli("publish", str(folder), "--app", "demo", "--dry-run")
        assert result.code == 1
        assert "Traceback" not in result.err
        return result.err

    eb = builds.electron_builder_windows(tmp_path / "eb")
    (eb / "latest-linux.yml").write_text("version: '1.2.3'\n")
    assert "several update files (latest-linux.yml, latest.yml)" in problems(eb)
    (eb / "latest.yml").unlink()
    (eb / "latest-linux.yml").write_text('files:\n  - url: "Demo-Setup-1.2.3.exe"\n')
    assert "latest-linux.yml names no version" in problems(eb)

    tauri = builds.tauri_windows(tmp_path / "tauri")
    (tauri / "msi" / "Demo_2.0.0_x64_en-US.msi.sig").write_text("\n")
    write(tauri / "nsis" / "Demo_2.0.0_x64-setup.nsis.exe", 10)
    (tauri / "nsis" / "Demo_2.0.0_x64-setup.nsis.exe.sig").write_text("c2ln")
    err = problems(tauri)
    assert "msi/Demo_2.0.0_x64_en-US.msi.sig is empty" in err
    assert "share the extension '.exe'" in err

    squirrel = tmp_path / "squirrel"
    squirrel.mkdir()
    (squirrel / "RELEASES").write_text("0000 Demo-1.0.0-delta.nupkg 10\nnot a line\n")
    assert "RELEASES names no full package (*-full.nupkg)" in problems(squirrel)

    velopack = builds.velopack_windows(tmp_path / "vpk")
    feed = json.loads((velopack / "releases.win.json").read_text())
    (velopack / "releases.win.json").write_text(
        json.dumps({"Assets": [a for a in feed["Assets"] if a["Type"] != "Full"]})
    )
    assert "releases.win.json names no Full package" in problems(velopack)
    (velopack / "releases.win.json").write_text(json.dumps(feed))
    (velopack / "Demo-3.0.0-full.nupkg").unlink()
    assert "missing: Demo-3.0.0-full.nupkg (named by releases.win.json)" in problems(velopack)
    (velopack / "releases.osx.json").write_text("{}")
    assert "several feeds (releases.osx.json, releases.win.json)" in problems(velopack)
