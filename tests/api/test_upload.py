"""POST /upload: golden bodies, stored documents and objects, every refusal leaving nothing."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from faynosync.core.ids import ZERO_ID
from faynosync.storage.keys import private_link
from faynosync.store.models import AppPermissions, ResourcePermissions
from tests.support.api import (
    API_URL,
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    create,
    create_app,
    data_files,
    login,
    running,
    upload,
)
from tests.support.factories import add_team_user, catalog, target
from tests.support.storage import read_object, s3_client, s3_endpoint, stored_objects

DMG = b"dmg-bytes" * 100
PKG = b"pkg-bytes"
SCOPE = "0.0.1.137/nightly/universalPlatform/universalArch"
KEY = "testapp-admin/nightly/universalPlatform/universalArch/testapp-0.0.1.137"


async def version_of(env, version_id):
    return await env.store.versions.get(version_id)


def staged(env) -> list[Path]:
    return list((Path(env.settings.FAYNOSYNC_DATA_DIR) / "tmp").iterdir())


async def test_upload_a_new_version(env):
    data = target(publish=True, critical=True, changelog="### Changelog", signature="sig")
    response = await upload(env.client, env.headers, data, ("app.dmg", DMG), ("LICENSE", b""))
    version_id = response.json()["uploadResult.Uploaded"]
    assert_body(response, 200, f'{{"uploadResult.Uploaded":"{version_id}"}}')
    version = await version_of(env, version_id)
    assert (version.app_id, version.version, version.channel_id, version.owner) == (
        env.ids.app,
        "0.0.1.137",
        env.ids.channel,
        "admin",
    )
    assert (version.published, version.critical, version.required_intermediate) == (
        True,
        True,
        False,
    )
    assert [(a.link, a.platform, a.arch, a.package, a.signature) for a in version.artifacts] == [
        (private_link(API_URL, f"{KEY}.dmg"), env.ids.platform, env.ids.arch, ".dmg", "sig"),
        (private_link(API_URL, KEY), env.ids.platform, env.ids.arch, "", "sig"),
    ]
    assert version.artifacts[0].link == (
        "http://localhost:9000/download?key=testapp-admin%2Fnightly%2FuniversalPlatform"
        "%2FuniversalArch%2Ftestapp-0.0.1.137.dmg"
    )
    assert [(c.version, c.changes) for c in version.changelog] == [("0.0.1.137", "### Changelog")]
    assert stored_objects(env.settings) == {("private", f"{KEY}.dmg"), ("private", KEY)}
    assert read_object(env.settings, "private", f"{KEY}.dmg") == DMG
    assert read_object(env.settings, "private", KEY) == b""
    assert staged(env) == []


async def test_public_apps_link_to_the_public_bucket(env):
    await create_app(env.client, env.headers, "public app")
    await create(env.client, env.headers, "channel", "x")
    data = target(app_name="public app", channel="x")
    response = await upload(env.client, env.headers, data, ("a.zip", b"zip"))
    version = await version_of(env, response.json()["uploadResult.Uploaded"])
    key = "public app-admin/x/universalPlatform/universalArch/public app-0.0.1.137.zip"
    assert version.artifacts[0].link == env.storage.public_link(key)
    assert stored_objects(env.settings) == {("public", key)}


async def test_dashes_in_the_version_become_dots(env):
    response = await upload(env.client, env.headers, target(version="0.0.2-137"), ("a.dmg", DMG))
    version = await version_of(env, response.json()["uploadResult.Uploaded"])
    assert version.version == "0.0.2.137"


async def test_more_files_join_an_existing_version_whose_flags_stay(env):
    first = await upload(env.client, env.headers, target(publish=True), ("a.dmg", DMG))
    version_id = first.json()["uploadResult.Uploaded"]
    second = await upload(
        env.client, env.headers, target(publish=False, critical=True), ("a.pkg", PKG)
    )
    assert_body(second, 200, f'{{"uploadResult.Uploaded":"{version_id}"}}')
    version = await version_of(env, version_id)
    assert [a.package for a in version.artifacts] == [".dmg", ".pkg"]
    assert (version.published, version.critical) == (True, False)


async def test_a_duplicate_artifact_is_refused_and_nothing_is_overwritten(env):
    await upload(env.client, env.headers, target(), ("a.dmg", DMG))
    before = stored_objects(env.settings)
    response = await upload(env.client, env.headers, target(), ("b.dmg", b"other"))
    assert_error(
        response,
        500,
        "app with this name, version, platform, architecture and extension already exists",
    )
    assert stored_objects(env.settings) == before
    assert read_object(env.settings, "private", f"{KEY}.dmg") == DMG
    response = await upload(
        env.client, env.headers, target(version="9.9"), ("a.dmg", DMG), ("b.dmg", DMG)
    )
    assert response.status_code == 500  # two of a kind in one request
    assert stored_objects(env.settings) == before


async def test_another_channel_joins_the_same_version_document(env):
    """FaynoSync keys versions by app and version only (Q10)."""
    await create(env.client, env.headers, "channel", "stable")
    first = await upload(env.client, env.headers, target(), ("a.dmg", DMG))
    second = await upload(env.client, env.headers, target(channel="stable"), ("a.exe", PKG))
    assert first.json() == second.json()
    version = await version_of(env, first.json()["uploadResult.Uploaded"])
    assert version.channel_id == env.ids.channel
    assert (
        "private",
        "testapp-admin/stable/universalPlatform/universalArch/testapp-0.0.1.137.exe",
    ) in stored_objects(env.settings)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (target(app_name="bad_name"), "invalid app_name parameter"),
        (target(app_name=""), "invalid app_name parameter"),
        (target(version="1.0.0a"), "invalid version parameter"),
        (target(version=""), "invalid version parameter"),
        (target(version="1.0\n"), "invalid version parameter"),
        (target(channel="night-ly"), "invalid channel parameter"),
        (target(platform="universal Platform"), "invalid platform parameter"),
        (target(arch="x86_64"), "invalid arch parameter"),
        (target(channel=""), "you have a created channels, setting channel is required"),
        (target(channel="stable"), "wrong name of channel. Channel does not exist"),
        (target(platform=""), "you have a created platforms, setting platform is required"),
        (target(platform="linux"), "wrong name of platform. Platform does not exist"),
        (target(arch=""), "you have a created archs, setting arch is required"),
        (target(arch="arm64"), "wrong name of arch. Arch does not exist"),
        (
            target(updater="squirrel_darwin"),
            "squirrel darwin updater requires a ZIP archive for update functionality."
            " Please include a ZIP file in your upload",
        ),
        (
            target(updater="squirrel_windows_x"),
            "squirrel windows updater requires a RELEASES file for update functionality."
            " Please include a RELEASES file in your upload",
        ),
        (
            target(updater="electron-builder"),
            "electron-builder updater requires a YML/YAML file for update functionality."
            " Please include a .yml or .yaml file in your upload",
        ),
        (
            target(updater="tauri"),
            "tauri updater requires a signature parameter for update functionality."
            " Please include a signature in your request",
        ),
    ],
)
async def test_refusals_store_nothing(env, data, error):
    response = await upload(env.client, env.headers, data, ("a.dmg", DMG))
    assert_error(response, 400, error)
    assert stored_objects(env.settings) == set()
    assert staged(env) == []


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (None, "No JSON data provided"),
        ("", "No JSON data provided"),
        ("not json", "Invalid JSON data"),
        ('{"app_name":"testapp"} x', "Invalid JSON data"),
        ('{"app_name":"testapp","publish":"true"}', "Invalid JSON data"),
        ('{"app_name":"testapp","artifacts_to_delete":[0]}', "Invalid JSON data"),
    ],
)
async def test_undecodable_data(env, data, error):
    parts: list[tuple[str, tuple[Any, ...]]] = [
        ("file", ("a.dmg", DMG, "application/octet-stream"))
    ]
    if data is not None:
        parts.insert(0, ("data", (None, data)))
    response = await env.client.post("/upload", files=parts, headers=env.headers)
    assert_error(response, 400, error)
    assert stored_objects(env.settings) == set()


async def test_a_urlencoded_upload_is_refused(env):
    response = await env.client.post(
        "/upload", data={"data": json.dumps(target())}, headers=env.headers
    )
    assert_error(response, 400, "multipart form data is required")


async def test_without_files(env):
    response = await env.client.post("/upload", files=data_files(target()), headers=env.headers)
    assert_error(response, 500, "no results found. Please check your files.")
    response = await env.client.post(
        "/upload", files=data_files(target(updater="electron-builder")), headers=env.headers
    )
    assert response.status_code == 400  # the validator answers before the empty-files check


async def test_an_unknown_app(env):
    response = await upload(env.client, env.headers, target(app_name="nope"), ("a.dmg", DMG))
    assert_error(
        response,
        500,
        "app_name not found in apps_meta collection or you don't have permission to access it",
    )
    assert stored_objects(env.settings) == set()


@pytest.mark.parametrize(
    ("updater", "files", "keys"),
    [
        (
            "squirrel_windows",
            [("RELEASES", b"r"), ("app-1.0.0-full.nupkg", b"n")],
            [
                f"squirrel_windows/testapp-admin/{SCOPE}/RELEASES",
                f"squirrel_windows/testapp-admin/{SCOPE}/app-1.0.0-full.nupkg",
            ],
        ),
        (
            "electron-builder",
            [("latest-mac.yml", b"y"), ("dir/App.zip", b"z")],
            [
                f"electron-builder/testapp-admin/{SCOPE}/latest-mac.yml",
                f"electron-builder/testapp-admin/{SCOPE}/App.zip",
            ],
        ),
        (
            "sparkle",
            [("appcast.xml", b"x")],
            [f"electron-builder/testapp-admin/{SCOPE}/appcast.xml"],
        ),
        ("squirrel_windows_x", [("RELEASES", b"r")], [KEY]),
        ("tauri", [("a.tar.gz", b"t")], [f"{KEY}.gz"]),
    ],
)
async def test_layouts_per_updater(env, updater, files, keys):
    response = await upload(env.client, env.headers, target(updater=updater, signature="s"), *files)
    assert response.status_code == 200, response.text
    version = await version_of(env, response.json()["uploadResult.Uploaded"])
    assert [a.link for a in version.artifacts] == [private_link(API_URL, k) for k in keys]
    assert stored_objects(env.settings) == {("private", k) for k in keys}


@pytest.mark.parametrize("env", ["minio"], indirect=True)
async def test_content_types_on_s3(env):
    files = [("RELEASES", b"r"), ("latest.yml", b"y"), ("a.nupkg", b"n")]
    response = await upload(env.client, env.headers, target(updater="squirrel_windows"), *files)
    assert response.status_code == 200
    client = s3_client(s3_endpoint(env.settings))
    prefix = f"squirrel_windows/testapp-admin/{SCOPE}/"
    bucket = env.settings.S3_BUCKET_NAME_PRIVATE
    types = {
        name: client.head_object(Bucket=bucket, Key=prefix + name)["ContentType"]
        for name, _ in files
    }
    assert types["RELEASES"] == "text/plain"
    assert types["latest.yml"] == "text/yaml"
    assert types["a.nupkg"] not in ("text/plain", "text/yaml")


@pytest.mark.parametrize(("field", "expected"), [("true", True), ("True", False), ("", True)])
async def test_the_intermediate_field_overrides_the_json(env, field, expected):
    response = await upload(
        env.client, env.headers, target(intermediate=True), ("a.dmg", DMG), intermediate=field
    )
    version = await version_of(env, response.json()["uploadResult.Uploaded"])
    assert version.required_intermediate is expected


async def test_without_channel_platform_and_arch_the_zero_id_is_stored(app, client):
    headers = await admin_headers(client)
    await create_app(client, headers, "bare")
    response = await upload(
        client, headers, {"app_name": "bare", "version": "1.0"}, ("a.exe", b"x")
    )
    version = await app.state.store.versions.get(response.json()["uploadResult.Uploaded"])
    artifact = version.artifacts[0]
    assert (version.channel_id, artifact.platform, artifact.arch) == (ZERO_ID, ZERO_ID, ZERO_ID)
    assert artifact.link == app.state.storage.public_link("bare-admin/bare-1.0.exe")


async def test_other_tenants_catalogs_do_not_make_fields_required(client):
    owner = await admin_headers(client)
    await create(client, owner, "channel", "nightly")
    other = await admin_headers(client, "other")
    await create_app(client, other, "theirs")
    response = await upload(
        client, other, {"app_name": "theirs", "version": "1.0"}, ("a.exe", b"x")
    )
    assert response.status_code == 200
    response = await upload(
        client,
        other,
        {"app_name": "theirs", "version": "1.1", "channel": "nightly"},
        ("a.exe", b"x"),
    )
    assert_error(response, 400, "wrong name of channel. Channel does not exist")


@pytest.mark.parametrize("env", ["local"], indirect=True)
async def test_a_storage_failure_half_way_leaves_nothing(env):
    """Made real: a directory stands where the second file must go."""
    blocker = Path(env.settings.FAYNOSYNC_DATA_DIR) / "objects" / "private" / f"{KEY}.pkg"
    blocker.mkdir(parents=True)
    (blocker / "x").write_bytes(b"")
    response = await upload(env.client, env.headers, target(), ("a.dmg", DMG), ("a.pkg", PKG))
    assert_error(response, 500, "failed to upload file to S3")
    assert stored_objects(env.settings) == {("private", f"{KEY}.pkg/x")}
    assert await env.store.versions.find(env.ids.app, "0.0.1.137", "admin") is None
    assert staged(env) == []


async def test_concurrent_uploads_of_a_new_version_make_one_document(env):
    results = await asyncio.gather(
        upload(env.client, env.headers, target(), ("a.dmg", DMG)),
        upload(env.client, env.headers, target(), ("a.exe", PKG)),
        upload(env.client, env.headers, target(), ("a.zip", PKG)),
    )
    ids = {r.json()["uploadResult.Uploaded"] for r in results}
    assert len(ids) == 1
    version = await version_of(env, ids.pop())
    assert sorted(a.package for a in version.artifacts) == [".dmg", ".exe", ".zip"]


async def test_concurrent_uploads_of_the_same_file(env):
    """One lands; the other is refused while the first writes (409) or as a duplicate after
    it (500), and never changes the bytes the version points at."""
    contents = [DMG, b"other-bytes" * 50]
    results = await asyncio.gather(
        upload(env.client, env.headers, target(), ("a.dmg", contents[0])),
        upload(env.client, env.headers, target(), ("b.dmg", contents[1])),
    )
    codes = [r.status_code for r in results]
    assert sorted(codes) in ([200, 409], [200, 500])
    version = await env.store.versions.find(env.ids.app, "0.0.1.137", "admin")
    assert [a.package for a in version.artifacts] == [".dmg"]
    assert stored_objects(env.settings) == {("private", f"{KEY}.dmg")}
    assert read_object(env.settings, "private", f"{KEY}.dmg") == contents[codes.index(200)]


async def test_team_users_are_bound_by_their_allowed_lists(env):
    """Deviation 8: /upload honours allowed lists as /apps/update does."""
    await add_team_user(env.app, "uploader", "pw", apps=AppPermissions(upload=True))
    headers = bearer(await login(env.client, "uploader", "pw"))
    response = await upload(env.client, headers, target(), ("a.dmg", DMG))
    assert_error(response, 500, "you don't have access to this app")
    user = await env.store.team_users.get_by_username("uploader")
    user.permissions.apps.allowed = [env.ids.app]
    user.permissions.channels = ResourcePermissions(allowed=[env.ids.channel])
    user.permissions.platforms = ResourcePermissions(allowed=[env.ids.platform])
    await env.store.team_users.set_permissions(user.id, user.permissions)
    response = await upload(env.client, headers, target(), ("a.dmg", DMG))
    assert_error(response, 500, "you don't have access to this architecture")
    user.permissions.archs = ResourcePermissions(allowed=[env.ids.arch])
    await env.store.team_users.set_permissions(user.id, user.permissions)
    response = await upload(env.client, headers, target(), ("a.dmg", DMG))
    assert response.status_code == 200
    version = await version_of(env, response.json()["uploadResult.Uploaded"])
    assert version.owner == "admin"  # the admin owns what its team users upload
    assert stored_objects(env.settings) == {("private", f"{KEY}.dmg")}


async def test_a_team_user_without_the_upload_flag(env):
    await add_team_user(env.app, "viewer", "pw")
    headers = bearer(await login(env.client, "viewer", "pw"))
    assert_error(
        await upload(env.client, headers, target(), ("a.dmg", DMG)), 403, "Permission denied"
    )


async def test_the_token_is_checked_before_the_body(client):
    response = await client.post("/upload", content=b"garbage")
    assert_error(response, 401, "missing authorization header")


# --- Slack ------------------------------------------------------------------------------------


class SlackStub(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        SlackStub.received.append(
            {"path": self.path, "auth": self.headers["Authorization"], "json": json.loads(body)}
        )
        self.send_response(SlackStub.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def slack_stub():
    SlackStub.received = []
    SlackStub.status = 200
    server = HTTPServer(("127.0.0.1", 0), SlackStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


async def test_slack_is_told_of_uploads(settings_factory, slack_stub):
    settings = settings_factory(
        SLACK_ENABLE="true", SLACK_BOT_TOKEN="xoxb-1", SLACK_CHANNEL="C1", SLACK_API_URL=slack_stub
    )
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await catalog(client, headers)
        response = await upload(
            client, headers, target(changelog="fixes"), ("a.dmg", DMG), ("LICENSE", b"")
        )
        assert response.status_code == 200
        await app.state.slack.drain()
    (message,) = SlackStub.received
    assert message["path"] == "/chat.postMessage"
    assert message["auth"] == "Bearer xoxb-1"
    body = message["json"]
    assert body["channel"] == "C1"
    text = json.dumps(body["blocks"])
    for expected in (
        "New version of application is uploaded",
        ":package: *App name:*\\ntestapp",
        ":bubbles: *Channel name:*\\nnightly",
        ":vs: *Version:*\\n0.0.1.137",
        "*Download for universalPlatform (architecture: universalArch):*",
        '"text": "dmg"',
        '"text": "no-ext"',
        ":memo: Changelog:",
        "fixes",
    ):
        assert expected in text


async def test_a_slack_failure_never_fails_the_upload(settings_factory, slack_stub):
    SlackStub.status = 500
    for number, url in enumerate((slack_stub, "http://127.0.0.1:9")):
        settings = settings_factory(SLACK_ENABLE="1", SLACK_API_URL=url)
        async with running(settings) as (app, client):
            headers = await admin_headers(client, f"admin{number}")
            await create_app(client, headers, "testapp")
            response = await upload(
                client, headers, {"app_name": "testapp", "version": "1"}, ("a", b"")
            )
            assert response.status_code == 200
            await app.state.slack.drain()
