"""Velopack (delta §5.2, docs/behaviour.md#velopack): uploads of what ``vpk`` writes, the
``velopack`` block of their packages, the feed files written after every change, and the
dynamic route ``GET /velopack/{owner}/{app}/{platform}/{arch}/{feed}``; on both stores and on
local disk and S3 (moto)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from faynosync import objects
from faynosync.config import Settings
from faynosync.fsck.check import check
from faynosync.store.models import (
    AppPermissions,
    Kind,
    ResourcePermissions,
    Version,
    VersionFilter,
)
from faynosync.updaters import velopack
from faynosync.velopack import feeds, service
from tests.support.api import (
    admin_headers,
    assert_error,
    bearer,
    create,
    create_app,
    data_files,
    login,
    running,
)
from tests.support.factories import add_team_user
from tests.support.storage import read_object, storage_overrides, stored_objects

APP = "velopackapp"
SECRET = "secretapp"
BASE = "velopack/admin/{app}/windows/x64"


def asset(app: str, version: str, kind: str, size: int = 100) -> dict[str, Any]:
    suffix = "full" if kind == "Full" else "delta"
    return {
        "PackageId": app,
        "Version": version,
        "Type": kind,
        "FileName": f"{app}-{version}-{suffix}.nupkg",
        "SHA1": f"sha1-{version}-{suffix}",
        "SHA256": f"sha256-{version}-{suffix}",
        "Size": size,
        "NotesMarkdown": "",
        "NotesHtml": "",
    }


def vpk_files(
    app: str, version: str, *, delta: bool = False, channel: str = "stable", installer: bool = False
) -> list[tuple[str, bytes]]:
    """What ``vpk pack`` leaves in its output folder for one release."""
    assets = [asset(app, version, "Full")]
    files = [(f"{app}-{version}-full.nupkg", f"full {version}".encode())]
    if delta:
        assets.append(asset(app, version, "Delta", size=10))
        files.append((f"{app}-{version}-delta.nupkg", f"delta {version}".encode()))
    assets.append({**asset(app, version, "Full"), "Type": "Installer", "FileName": "Setup.exe"})
    files.append((f"releases.{channel}.json", json.dumps({"Assets": assets}).encode()))
    if installer:
        files.append((f"{app}-win-Setup.exe", b"setup"))
    return files


@dataclass
class Tenant:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    headers: dict[str, str]

    async def upload(
        self,
        version: str,
        *,
        app: str = APP,
        publish: bool = True,
        delta: bool = False,
        changelog: str = "",
        intermediate: bool = False,
        files: list[tuple[str, bytes]] | None = None,
        updater: str = "velopack",
    ) -> httpx.Response:
        data = {
            "app_name": app,
            "version": version,
            "channel": "stable",
            "platform": "windows",
            "arch": "x64",
            "publish": publish,
            "changelog": changelog,
            "intermediate": intermediate,
            "updater": updater,
        }
        parts = vpk_files(app, version, delta=delta) if files is None else files
        return await self.client.post(
            "/upload", files=data_files(data, *parts), headers=self.headers
        )

    async def version(self, version: str, app: str = APP) -> Version:
        store = self.app.state.store
        meta = await store.meta.get_by_name(Kind.APP, app, "admin")
        found, _ = await store.versions.search(
            VersionFilter(owner="admin", app_id=meta.id), skip=0, limit=100
        )
        (wanted,) = [v for v in found if v.version == version]
        return wanted

    async def edit(self, version: str, app: str = APP, **values: Any) -> httpx.Response:
        current = await self.version(version, app)
        data = {"id": current.id, "app_name": app, "version": version, "channel": "stable"}
        data |= {"publish": current.published} | values
        return await self.client.post("/apps/update", files=data_files(data), headers=self.headers)

    async def delete(self, version: str, app: str = APP) -> httpx.Response:
        current = await self.version(version, app)
        return await self.client.delete(f"/apps/delete?id={current.id}", headers=self.headers)

    def feed_file(self, app: str = APP, channel: str = "stable") -> bytes | None:
        bucket = "private" if app == SECRET else "public"
        key = f"{BASE.format(app=app)}/releases.{channel}.json"
        if (bucket, key) not in stored_objects(self.settings):
            return None
        return read_object(self.settings, bucket, key)

    async def feed(self, app: str = APP, path: str = "releases.stable.json", **query: str):
        return await self.client.get(f"/velopack/admin/{app}/windows/x64/{path}", params=query)


@pytest.fixture(params=["local", "minio"])
async def tenant(settings_factory, request) -> AsyncIterator[Tenant]:
    settings = settings_factory(**storage_overrides(request.param, request))
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await create_app(client, headers, APP)
        await create_app(client, headers, SECRET, private="true")
        await create(client, headers, "channel", "stable")
        await create(client, headers, "channel", "beta")
        await create(client, headers, "platform", "windows")
        await create(client, headers, "arch", "x64")
        yield Tenant(app, client, settings, headers)


def full(app: str, version: str, notes: str = "") -> dict[str, Any]:
    html = f"<p>{notes}</p>\n" if notes else ""
    return {
        **asset(app, version, "Full"),
        "NotesMarkdown": notes,
        "NotesHtml": html,
    }


def served(*assets: dict[str, Any]) -> bytes:
    """The feed the server writes: NotesHTML (not vpk's NotesHtml), compact, no escapes."""
    items = []
    for item in assets:
        item = dict(item)
        html = item.pop("NotesHtml")
        items.append({**item, "NotesHTML": html})
    return json.dumps({"Assets": items}, separators=(",", ":"), ensure_ascii=False).encode()


def delta(app: str, version: str) -> dict[str, Any]:
    return asset(app, version, "Delta", size=10)


# --- uploads ------------------------------------------------------------------------------------


async def test_an_upload_stores_packages_flat_and_writes_the_feed(tenant):
    response = await tenant.upload("1.0.0", changelog="First release", files=None)
    assert response.status_code == 200, response.text
    files = vpk_files(APP, "1.0.1", installer=True)
    response = await tenant.upload("1.0.1", changelog="Second <b>release</b> & more", files=files)
    assert response.status_code == 200, response.text
    base = BASE.format(app=APP)
    objects = stored_objects(tenant.settings)
    assert ("public", f"{base}/{APP}-1.0.0-full.nupkg") in objects
    assert ("public", f"{base}/{APP}-1.0.1-full.nupkg") in objects
    assert ("public", f"{base}/installers/{APP}-win-Setup-1.0.1-windows-x64.exe") in objects
    # The latest installer's stable key, beside the packages.
    assert read_object(tenant.settings, "public", f"{base}/{APP}-win-Setup.exe") == b"setup"
    version = await tenant.version("1.0.1")
    blocks = [a.extra.get("velopack") for a in version.artifacts]
    assert blocks == [
        {
            "type": "Full",
            "file_name": f"{APP}-1.0.1-full.nupkg",
            "sha1": "sha1-1.0.1-full",
            "sha256": "sha256-1.0.1-full",
            "size": 100,
        },
        None,  # the feed
        None,  # the installer
    ]
    assert [a.package for a in version.artifacts] == [".nupkg", ".json", ".exe"]
    expected = (
        b'{"Assets":[{"PackageId":"velopackapp","Version":"1.0.1","Type":"Full",'
        b'"FileName":"velopackapp-1.0.1-full.nupkg","SHA1":"sha1-1.0.1-full",'
        b'"SHA256":"sha256-1.0.1-full","Size":100,'
        b'"NotesMarkdown":"Second <b>release</b> & more",'
        b'"NotesHTML":"<p>Second release &amp; more</p>\\n"},'
        b'{"PackageId":"velopackapp","Version":"1.0.0","Type":"Full",'
        b'"FileName":"velopackapp-1.0.0-full.nupkg","SHA1":"sha1-1.0.0-full",'
        b'"SHA256":"sha256-1.0.0-full","Size":100,'
        b'"NotesMarkdown":"First release","NotesHTML":"<p>First release</p>\\n"}]}'
    )
    assert tenant.feed_file() == expected
    response = await tenant.feed()
    assert (response.status_code, response.content) == (200, expected)
    assert response.headers["content-type"] == "application/json"


async def test_deltas_need_a_published_full_release_below(tenant):
    assert (await tenant.upload("1.0.0")).status_code == 200
    response = await tenant.upload("1.0.1", delta=True)
    assert response.status_code == 200, response.text
    assert tenant.feed_file() == served(full(APP, "1.0.1"), delta(APP, "1.0.1"), full(APP, "1.0.0"))
    # Unpublished: 1.0.0 leaves the feed, and the delta over it with it.
    assert (await tenant.edit("1.0.0", publish=False)).status_code == 200
    assert tenant.feed_file() == served(full(APP, "1.0.1"))
    assert (await tenant.edit("1.0.0", publish=True)).status_code == 200
    assert tenant.feed_file() == served(full(APP, "1.0.1"), delta(APP, "1.0.1"), full(APP, "1.0.0"))
    # An unpublished upload is not served; its delta neither.
    assert (await tenant.upload("1.0.2", delta=True, publish=False)).status_code == 200
    assert (await tenant.feed()).content == tenant.feed_file()
    assert tenant.feed_file() == served(full(APP, "1.0.1"), delta(APP, "1.0.1"), full(APP, "1.0.0"))


async def test_an_edit_of_the_changelog_rewrites_the_notes(tenant):
    assert (await tenant.upload("1.0.0", changelog="old")).status_code == 200
    response = await tenant.edit("1.0.0", changelog="new **notes**")
    assert response.status_code == 200, response.text
    (item,) = json.loads(tenant.feed_file() or b"")["Assets"]
    assert (item["NotesMarkdown"], item["NotesHTML"]) == (
        "new **notes**",
        "<p>new <strong>notes</strong></p>\n",
    )


async def test_deletes_rewrite_the_feed_and_an_empty_one_stays(tenant):
    assert (await tenant.upload("1.0.0")).status_code == 200
    assert (await tenant.upload("1.0.1", delta=True)).status_code == 200
    # The delta (index 1) removed: 1.0.1 keeps its full package.
    current = await tenant.version("1.0.1")
    data = {"id": current.id, "app_name": APP, "version": "1.0.1", "artifacts_to_delete": ["1"]}
    response = await tenant.client.post(
        "/artifact/delete", files=data_files(data), headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert tenant.feed_file() == served(full(APP, "1.0.1"), full(APP, "1.0.0"))
    assert (await tenant.delete("1.0.1")).status_code == 200
    assert tenant.feed_file() == served(full(APP, "1.0.0"))
    assert (await tenant.delete("1.0.0")).status_code == 200
    assert tenant.feed_file() == b'{"Assets":[]}'
    assert (await tenant.feed()).content == b'{"Assets":[]}'
    # The empty feed is the server's own: no orphan to fsck, nothing dangling.
    state = tenant.app.state
    report = await check(state.store, state.storage, staging=None, grace=0)
    assert report.problems == []


async def test_a_private_apps_feed_stays_in_its_private_bucket_and_follows_deletes(tenant):
    assert (await tenant.upload("1.0.0", app=SECRET)).status_code == 200
    assert (await tenant.upload("1.0.1", app=SECRET, delta=True)).status_code == 200
    base = BASE.format(app=SECRET)
    objects = stored_objects(tenant.settings)
    assert ("public", f"{base}/releases.stable.json") not in objects
    assert tenant.feed_file(SECRET) == served(
        full(SECRET, "1.0.1"), delta(SECRET, "1.0.1"), full(SECRET, "1.0.0")
    )
    assert (await tenant.delete("1.0.1", app=SECRET)).status_code == 200
    assert tenant.feed_file(SECRET) == served(full(SECRET, "1.0.0"))
    # The dynamic route redirects to the signed /download link of the package.
    response = await tenant.feed(SECRET, f"{SECRET}-1.0.0-full.nupkg")
    assert response.status_code == 302
    assert "/download?key=" in response.headers["location"]


@pytest.mark.parametrize(("level", "second_nupkg"), [("1.4.6", 500), ("2.1", 200)])
async def test_full_and_delta_in_one_upload_at_either_level(settings_factory, level, second_nupkg):
    """A Velopack release holds two .nupkg files: never a duplicate. Other uploads keep the
    rule at level 1.4.6; at 2.1 .nupkg and .delta are exempt for every updater."""
    async with running(settings_factory(FAYNOSYNC_API_LEVEL=level)) as (app, client):
        headers = await admin_headers(client)
        await create_app(client, headers, APP)
        await create(client, headers, "channel", "stable")
        await create(client, headers, "platform", "windows")
        await create(client, headers, "arch", "x64")
        tenant = Tenant(app, client, app.state.settings, headers)
        assert (await tenant.upload("1.0.0", delta=True)).status_code == 200
        files = [("a-full.nupkg", b"f"), ("a-delta.nupkg", b"d")]
        response = await tenant.upload("2.0.0", updater="", files=files)
        assert response.status_code == second_nupkg, response.text
        if level == "2.1":
            files = [("b.delta", b"1"), ("c.delta", b"2")]
            response = await tenant.upload("2.0.0", updater="", files=files)
            assert response.status_code == 200, response.text


async def test_the_same_package_in_another_version_is_refused(tenant):
    assert (await tenant.upload("1.0.0")).status_code == 200
    files = vpk_files(APP, "1.0.0")
    response = await tenant.upload("1.0.9", files=files)
    assert_error(
        response,
        409,
        f"another file is stored under the same key: {BASE.format(app=APP)}/{APP}-1.0.0-full.nupkg",
    )


async def test_an_edit_adds_packages_with_their_blocks(tenant):
    assert (await tenant.upload("1.0.0")).status_code == 200
    first = vpk_files(APP, "1.0.1")
    assert (await tenant.upload("1.0.1", files=first)).status_code == 200
    current = await tenant.version("1.0.1")
    data = {
        "id": current.id,
        "app_name": APP,
        "version": "1.0.1",
        "channel": "stable",
        "platform": "windows",
        "arch": "x64",
        "publish": True,
        "updater": "velopack",
    }
    files = vpk_files(APP, "1.0.1", delta=True)
    files = [f for f in files if "delta" in f[0] or f[0].startswith("releases")]
    files.insert(0, (f"{APP}-1.0.1-full.nupkg", b"again"))
    response = await tenant.client.post(
        "/apps/update", files=data_files(data, *files), headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert tenant.feed_file() == served(full(APP, "1.0.1"), delta(APP, "1.0.1"), full(APP, "1.0.0"))


# --- refused uploads ----------------------------------------------------------------------------

FEED = "releases.stable.json"


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([(FEED, b"{}"), ("Setup.exe", b"s")], velopack.NO_FULL),
        ([("a-full.nupkg", b"f")], velopack.NOT_ONE_FEED),
        (
            [("a-full.nupkg", b"f"), (FEED, b"{}"), ("RELEASES.beta.JSON", b"{}")],
            velopack.NOT_ONE_FEED,
        ),
        ([("a-full.nupkg", b"f"), (FEED, b" \n\t")], velopack.EMPTY_FEED),
        ([("a-full.nupkg", b"f"), (FEED, b"{}")], velopack.NO_ASSETS),
        ([("a-full.nupkg", b"f"), (FEED, b'{"Assets":null}')], velopack.NO_ASSETS),
        (
            [("a-full.nupkg", b"f"), (FEED, b'{"Assets":[{"Type":"Full","FileName":""}]}')],
            velopack.NO_ASSETS,
        ),
        (
            [("a-full.nupkg", b"f"), (FEED, b'{"Assets":[{"Type":"Installer","FileName":"x"}]}')],
            velopack.NO_ASSETS,
        ),
    ],
)
async def test_refused_uploads_leave_nothing(tenant, files, error):
    before = stored_objects(tenant.settings)
    assert_error(await tenant.upload("1.0.0", files=files), 400, error)
    assert stored_objects(tenant.settings) == before


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"Assets": [',
        b'{"Assets": {}}',
        b'{"Assets": [{"Type": "Full", "FileName": "a", "Size": "big"}]}',
        b'{"Assets": [{"Type": "Full", "FileName": "a", "Size": 1e400}]}',
        b'{"Assets": []} trailing',
        b"[" * 100_000,
    ],
)
async def test_a_feed_that_is_not_json_of_the_shape_is_refused(tenant, raw):
    response = await tenant.upload("1.0.0", files=[("a-full.nupkg", b"f"), (FEED, raw)])
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(velopack.BAD_FEED)


async def test_a_huge_feed_is_refused_unread(tenant, monkeypatch):
    monkeypatch.setattr(velopack, "MAX_FEED_BYTES", 64)
    raw = json.dumps({"Assets": [asset(APP, "1.0.0", "Full")]}).encode()
    response = await tenant.upload("1.0.0", files=[(f"{APP}-1.0.0-full.nupkg", b"f"), (FEED, raw)])
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{velopack.BAD_FEED}larger than")


async def test_hostile_names_and_lone_surrogates(tenant):
    assets = [
        {**asset(APP, "1.0.0", "Full"), "FileName": "\ud800-full.nupkg", "SHA1": "\udfff"},
        asset(APP, "1.0.0", "Full"),
    ]
    raw = json.dumps({"Assets": assets}).encode()  # \ud800 as a JSON escape
    files = [(f"{APP}-1.0.0-full.nupkg", b"f"), (FEED, raw)]
    response = await tenant.upload("1.0.0", files=files, changelog="bad \ud800 notes")
    assert response.status_code == 200, response.text
    body = tenant.feed_file() or b""
    assert json.loads(body)["Assets"][0]["FileName"] == f"{APP}-1.0.0-full.nupkg"
    body.decode("utf-8")  # valid UTF-8 throughout
    # A package name climbing out of the folder is its base name only (Go's multipart).
    files = vpk_files(APP, "1.0.1")
    files[0] = (f"../../{APP}-1.0.1-full.nupkg", b"f")
    response = await tenant.upload("1.0.1", files=files)
    assert response.status_code == 200, response.text
    assert ("public", f"{BASE.format(app=APP)}/{APP}-1.0.1-full.nupkg") in stored_objects(
        tenant.settings
    )


# --- the dynamic route --------------------------------------------------------------------------


async def test_the_route_caps_at_the_required_intermediate_build(tenant):
    assert (await tenant.upload("1.0.0")).status_code == 200
    assert (await tenant.upload("1.1.0", intermediate=True)).status_code == 200
    assert (await tenant.upload("1.2.0", delta=True)).status_code == 200
    whole = served(full(APP, "1.2.0"), delta(APP, "1.2.0"), full(APP, "1.1.0"), full(APP, "1.0.0"))
    assert (await tenant.feed()).content == whole
    capped = await tenant.feed(localVersion="1.0.0", id=APP)
    assert capped.content == served(full(APP, "1.1.0"), full(APP, "1.0.0"))
    assert (await tenant.feed(localVersion="1.1.0")).content == whole
    assert (await tenant.feed(localVersion="not a version")).content == whole


async def test_the_route_redirects_to_published_packages(tenant):
    assert (await tenant.upload("1.0.0")).status_code == 200
    assert (await tenant.upload("1.0.1", publish=False)).status_code == 200
    response = await tenant.feed(path=f"{APP}-1.0.0-full.nupkg")
    assert response.status_code == 302
    link = (await tenant.version("1.0.0")).artifacts[0].link
    assert response.headers["location"] == link
    for path in (f"{APP}-1.0.1-full.nupkg", "nothing.nupkg"):
        assert_error(await tenant.feed(path=path), 404, velopack.PACKAGE_NOT_FOUND)
    response = await tenant.client.get(f"/velopack/admin/{APP}/linux/x64/{APP}-1.0.0-full.nupkg")
    assert_error(response, 404, velopack.PACKAGE_NOT_FOUND)


@pytest.mark.parametrize(
    "path",
    [
        "releases.json",
        "releases..json",
        "releases.st-able.json",
        "RELEASES.stable.json",
        "releases.stable.json/x",
        "a/releases.stable.json",
        "RELEASES",
        "x.NUPKG",
        "releases.%C3%A9.json",
    ],
)
async def test_paths_that_are_no_feed(tenant, path):
    assert_error(await tenant.feed(path=path), 404, velopack.BAD_PATH)


async def test_unknown_names_answer_an_empty_feed(tenant):
    assert (await tenant.upload("1.0.0")).status_code == 200
    assert_error(await tenant.feed(id="other"), 404, velopack.WRONG_ID)
    for path in (
        f"/velopack/admin/{APP}/windows/x64/releases.nightly.json",
        f"/velopack/admin/{APP}/linux/x64/releases.stable.json",
        f"/velopack/other/{APP}/windows/x64/releases.stable.json",
        "/velopack/admin/nope/windows/x64/releases.stable.json",
        f"/velopack/admin/{APP}/windows/x64/releases.beta.json",
    ):
        response = await tenant.client.get(path)
        assert (response.status_code, response.content) == (200, b'{"Assets":[]}'), path
        assert response.headers["content-type"] == "application/json"


# --- read by Velopack's own client library ------------------------------------------------------

MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd">
  <metadata>
    <id>{app}</id><title>{app}</title><description>d</description><authors>a</authors>
    <version>{version}</version><channel>stable</channel><mainExe>app</mainExe>
  </metadata>
</package>
"""


def velopack_client(root: Path, feed_dir: Path, version: str) -> Any:
    """Velopack's UpdateManager for an installed ``APP`` at ``version``, reading feeds from a
    folder (as a static feed in a bucket is read)."""
    library = pytest.importorskip("velopack")
    (root / "current").mkdir(parents=True)
    (root / "packages").mkdir()
    (root / "current" / "sq.version").write_text(MANIFEST.format(app=APP, version=version))
    (root / "Update").touch()
    locator = library.VelopackLocatorConfig(
        RootAppDir=str(root),
        UpdateExePath=str(root / "Update"),
        PackagesDir=str(root / "packages"),
        ManifestPath=str(root / "current" / "sq.version"),
        CurrentBinaryDir=str(root / "current"),
        IsPortable=False,
    )
    options = library.UpdateOptions(
        AllowVersionDowngrade=False, MaximumDeltasBeforeFallback=10, ExplicitChannel="stable"
    )
    return library.UpdateManager(str(feed_dir), options, locator)


async def test_velopacks_client_reads_the_feeds(tenant, tmp_path):
    if tenant.settings.STORAGE_DRIVER:
        pytest.skip("reads the feed file from local disk")
    assert (await tenant.upload("1.0.0", changelog="first")).status_code == 200
    assert (
        await tenant.upload("1.1.0", changelog="Second *release*", delta=True)
    ).status_code == 200
    folder = Path(tenant.settings.FAYNOSYNC_DATA_DIR) / "objects" / "public" / BASE.format(app=APP)
    manager = velopack_client(tmp_path / "static", folder, "1.0.0")
    info = manager.check_for_updates()
    target = info.TargetFullRelease
    assert (target.Version, target.FileName, target.Type, target.Size) == (
        "1.1.0",
        f"{APP}-1.1.0-full.nupkg",
        "Full",
        100,
    )
    assert (target.NotesMarkdown, target.NotesHtml) == (
        "Second *release*",
        "<p>Second <em>release</em></p>\n",
    )
    assert velopack_client(tmp_path / "new", folder, "1.1.0").check_for_updates() is None
    # The dynamic route's answer, capped for a client below a required build, read the same.
    assert (await tenant.edit("1.0.0", intermediate=True)).status_code == 200
    assert (await tenant.upload("0.9.0")).status_code == 200
    response = await tenant.feed(localVersion="0.9.0", id=APP)
    served_dir = tmp_path / "served"
    served_dir.mkdir()
    (served_dir / "releases.stable.json").write_bytes(response.content)
    info = velopack_client(tmp_path / "old", served_dir, "0.9.0").check_for_updates()
    assert info.TargetFullRelease.Version == "1.0.0"


async def test_concurrent_changes_leave_the_feed_of_the_last(tenant):
    """Each feed write builds the feed once it holds the key: whatever the interleaving, the
    file ends as the documents say."""
    assert (await tenant.upload("1.0.0")).status_code == 200
    answers = await asyncio.gather(
        tenant.upload("1.0.1", delta=True),
        tenant.upload("1.0.2"),
        tenant.edit("1.0.0", changelog="edited"),
    )
    statuses = sorted(r.status_code for r in answers)
    # Two uploads store their feed under one key at once: one may be told to try again.
    assert statuses in ([200, 200, 200], [200, 200, 409]), [r.text for r in answers]
    expected = (await tenant.feed()).content
    assert tenant.feed_file() == expected
    versions = {a["Version"] for a in json.loads(expected)["Assets"]}
    uploaded = {v for v, r in zip(("1.0.1", "1.0.2"), answers, strict=False) if r.is_success}
    assert versions == {"1.0.0", *uploaded}


async def test_an_edit_with_an_installer_updates_the_latest_copy(tenant):
    files = vpk_files(APP, "1.0.0", installer=True)
    assert (await tenant.upload("1.0.0", app=SECRET, files=files)).status_code == 200
    current = await tenant.version("1.0.0", SECRET)
    data = {
        "id": current.id,
        "app_name": SECRET,
        "version": "1.0.0",
        "channel": "stable",
        "platform": "windows",
        "arch": "x64",
        "publish": True,
        "updater": "velopack",
    }
    files = [
        (f"{APP}-1.0.0-full.nupkg", b"again"),  # every velopack edit with files has one
        (f"{APP}-1.0.0-delta.nupkg", b"d"),
        ("releases.stable.json", json.dumps({"Assets": [asset(APP, "1.0.0", "Delta")]}).encode()),
        ("Other-Setup.msi", b"msi"),
    ]
    response = await tenant.client.post(
        "/apps/update", files=data_files(data, *files), headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    base = BASE.format(app=SECRET)
    assert read_object(tenant.settings, "private", f"{base}/Other-Setup.msi") == b"msi"
    assert read_object(tenant.settings, "private", f"{base}/{APP}-win-Setup.exe") == b"setup"
    state = tenant.app.state
    assert (await check(state.store, state.storage, staging=None, grace=0)).problems == []
    # The version gone, its installers go and their copies are orphans.
    assert (await tenant.delete("1.0.0", app=SECRET)).status_code == 200
    report = await check(state.store, state.storage, staging=None, grace=0)
    assert sorted(f.key for f in report.problems) == [
        f"{base}/Other-Setup.msi",
        f"{base}/{APP}-win-Setup.exe",
    ]


async def test_a_version_the_store_cannot_order_keeps_the_last_feed(tenant, caplog):
    """The original's ordering fails on a part over 32 bits: the feed file is not built
    (logged; it holds what the upload stored there, vpk's feed), the route answers an empty
    feed and no package."""
    assert (await tenant.upload("1.0.0")).status_code == 200
    files = vpk_files(APP, "1.2147483648")
    response = await tenant.upload("1.2147483648", files=files)
    assert response.status_code == 200, response.text
    assert tenant.feed_file() == files[-1][1]
    assert "could not write velopack/" in caplog.text
    assert (await tenant.feed()).content == b'{"Assets":[]}'
    response = await tenant.feed(path=f"{APP}-1.0.0-full.nupkg")
    assert_error(response, 404, velopack.PACKAGE_NOT_FOUND)


async def test_a_busy_feed_key_is_given_up_and_written_by_the_next_change(tenant, monkeypatch):
    monkeypatch.setattr(objects, "GENERATED_WAIT", 0.2)
    assert (await tenant.upload("1.0.0")).status_code == 200
    key = f"{BASE.format(app=APP)}/releases.stable.json"
    async with objects.claimed(tenant.app.state.store, [key]):
        response = await tenant.edit("1.0.0", changelog="while busy")
        assert response.status_code == 200, response.text
    assert b"while busy" not in (tenant.feed_file() or b"")
    assert (await tenant.edit("1.0.0", changelog="later")).status_code == 200
    assert b'"NotesMarkdown":"later"' in (tenant.feed_file() or b"")


async def test_feeds_of_many_versions_are_read_page_by_page(tenant, monkeypatch):
    monkeypatch.setattr(feeds, "PAGE", 2)
    monkeypatch.setattr(service, "PAGE", 2)
    for minor in range(5):
        assert (await tenant.upload(f"1.{minor}.0")).status_code == 200
    versions = [a["Version"] for a in json.loads(tenant.feed_file() or b"")["Assets"]]
    assert versions == ["1.4.0", "1.3.0", "1.2.0", "1.1.0", "1.0.0"]
    response = await tenant.feed(path=f"{APP}-1.0.0-full.nupkg")
    assert response.status_code == 302
    assert_error(await tenant.feed(path="none.nupkg"), 404, velopack.PACKAGE_NOT_FOUND)


async def test_a_team_users_edit_names_the_admin_and_a_package_sent_again_gets_its_block(tenant):
    """Velopack keys name the admin at either level (no v1.4.6 quirk to keep), so a team
    user's packages land beside the admin's, in the feed's folder."""
    assert (await tenant.upload("1.0.0")).status_code == 200
    store = tenant.app.state.store
    ids = [
        (await store.meta.get_by_name(kind, name, "admin")).id
        for kind, name in (
            (Kind.APP, APP),
            (Kind.CHANNEL, "stable"),
            (Kind.PLATFORM, "windows"),
            (Kind.ARCH, "x64"),
        )
    ]
    await add_team_user(
        tenant.app,
        "releaser",
        "pw",
        apps=AppPermissions(edit=True, upload=True, allowed=[ids[0]]),
        channels=ResourcePermissions(allowed=[ids[1]]),
        platforms=ResourcePermissions(allowed=[ids[2]]),
        archs=ResourcePermissions(allowed=[ids[3]]),
    )
    headers = bearer(await login(tenant.client, "releaser", "pw"))
    current = await tenant.version("1.0.0")
    data = {
        "id": current.id,
        "app_name": APP,
        "version": "1.0.0",
        "channel": "stable",
        "platform": "windows",
        "arch": "x64",
        "publish": True,
        "updater": "velopack",
    }
    feed = {"Assets": [{**asset(APP, "1.0.0", "Full"), "SHA1": "rebuilt"}]}
    files = [
        (f"{APP}-1.0.0-full.nupkg", b"rebuilt"),
        ("releases.stable.json", json.dumps(feed).encode()),
        ("Setup.exe", b"s"),
    ]
    response = await tenant.client.post(
        "/apps/update", files=data_files(data, *files), headers=headers
    )
    assert response.status_code == 200, response.text
    base = BASE.format(app=APP)
    objects_now = stored_objects(tenant.settings)
    assert ("public", f"{base}/installers/Setup-1.0.0-windows-x64.exe") in objects_now
    (item,) = json.loads(tenant.feed_file() or b"")["Assets"]
    assert item["SHA1"] == "rebuilt"
    version = await tenant.version("1.0.0")
    assert len(version.artifacts) == 3  # the package kept its artifact, the installer added


@pytest.mark.parametrize(
    "path",
    [
        "/velopack/admin/%ED%A0%80/windows/x64/releases.stable.json",  # a lone surrogate
        "/velopack/admin/velopackapp/windows/x64/releases.stable.json?localVersion=%ED%A0%80",
        "/velopack/admin/velopackapp/windows/x64/releases.stable.json?id=%FF",
        "/velopack/%2E%2E/velopackapp/windows/x64/releases.stable.json",
        "/velopack/admin/velopackapp/windows/x64/..%2F..%2Freleases.stable.json",
        "/velopack/admin/velopackapp/windows/x64/" + "a" * 10_000 + ".nupkg",
        "/velopack/admin/velopackapp/windows/x64/%00.nupkg",
        "/velopack/admin/velopackapp/windows/x64/releases." + "9" * 5_000 + ".json",
    ],
)
async def test_hostile_route_input_is_a_clear_answer(tenant, path):
    assert (await tenant.upload("1.0.0")).status_code == 200
    response = await tenant.client.get(path)
    assert response.status_code in (200, 404), response.text
    assert response.json() is not None
    if response.status_code == 404:
        assert set(response.json()) == {"error"}
    assert tenant.feed_file() is not None  # nothing written by a read
