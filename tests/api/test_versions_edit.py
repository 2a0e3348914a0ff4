"""POST /apps/update, DELETE /apps/delete and POST /artifact/delete."""

from __future__ import annotations

import pytest

from faynosync.core.ids import new_id
from faynosync.storage.keys import private_link
from faynosync.store.models import AppPermissions
from tests.support.api import (
    API_URL,
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    data_files,
    login,
    upload,
)
from tests.support.factories import add_team_user, catalog, target
from tests.support.storage import stored_objects

KEY = "testapp-admin/nightly/universalPlatform/universalArch/testapp-0.0.1.137"


async def uploaded(env, *files, **data) -> str:
    response = await upload(env.client, env.headers, target(**data), *files)
    assert response.status_code == 200, response.text
    return str(response.json()["uploadResult.Uploaded"])


async def edit(env, data, *files, headers=None, **fields):
    return await env.client.post(
        "/apps/update", files=data_files(data, *files, **fields), headers=headers or env.headers
    )


# --- /apps/update -----------------------------------------------------------------------------


async def test_update_sets_every_flag_and_omitted_ones_become_false(env):
    version_id = await uploaded(
        env, ("a.dmg", b"d"), publish=True, critical=True, intermediate=True
    )
    response = await edit(env, target(id=version_id, publish=True))
    assert_body(response, 200, '{"updatedResult.Updated":true}')
    version = await env.store.versions.get(version_id)
    assert (version.published, version.critical, version.required_intermediate) == (
        True,
        False,
        False,
    )
    await edit(env, target(id=version_id, critical=True), intermediate="true")
    version = await env.store.versions.get(version_id)
    assert (version.published, version.critical, version.required_intermediate) == (
        False,
        True,
        True,
    )


async def test_update_replaces_the_changelog_and_adds_files(env):
    version_id = await uploaded(env, ("a.dmg", b"d"), changelog="old")
    response = await edit(
        env, target(id=version_id, changelog="new", version="0.0.1-137"), ("a.pkg", b"p")
    )
    assert response.status_code == 200
    version = await env.store.versions.get(version_id)
    assert [(c.version, c.changes) for c in version.changelog] == [("0.0.1.137", "new")]
    assert [a.package for a in version.artifacts] == [".dmg", ".pkg"]
    assert ("private", f"{KEY}.pkg") in stored_objects(env.settings)
    # An empty changelog leaves it; the same file again is not a second artifact.
    await edit(env, target(id=version_id), ("b.pkg", b"p2"))
    version = await env.store.versions.get(version_id)
    assert [c.changes for c in version.changelog] == ["new"]
    assert [a.package for a in version.artifacts] == [".dmg", ".pkg"]


@pytest.mark.parametrize(
    ("data", "files", "status", "error"),
    [
        ({"id": ""}, [], 400, "the provided hex string is not a valid ObjectID"),
        ({"id": "z" * 24}, [], 400, "encoding/hex: invalid byte: U+007A 'z'"),
        ({"platform": "bad name"}, [("a.exe", b"x")], 400, "invalid platform parameter"),
        (
            {"platform": ""},
            [("a.exe", b"x")],
            400,
            "you have a created platforms, setting platform is required",
        ),
        (
            {"platform": "linux"},
            [("a.exe", b"x")],
            400,
            "wrong name of platform. Platform does not exist",
        ),
        ({"arch": "x86_64"}, [("a.exe", b"x")], 400, "invalid arch parameter"),
        ({"arch": "arm"}, [("a.exe", b"x")], 400, "wrong name of arch. Arch does not exist"),
        (
            {"updater": "electron-builder"},
            [],
            400,
            "electron-builder updater requires a YML/YAML file for update functionality."
            " Please include a .yml or .yaml file in your upload",
        ),
        ({"app_name": "other"}, [], 500, "app_name not found in apps_meta collection"),
        ({"channel": "stable"}, [], 500, "channel_name not found in apps_meta collection"),
        ({"platform": "linux"}, [], 500, "platform_name not found in apps_meta collection"),
        ({"arch": "arm"}, [], 500, "arch_id not found in apps_meta collection"),
        ({"version": "9.9.9"}, [], 500, "app with this parameters doesn't exist"),
        ({"channel": ""}, [], 500, "updating the channel is not allowed"),
    ],
)
async def test_update_errors(env, data, files, status, error):
    version_id = await uploaded(env, ("a.dmg", b"d"), publish=True)
    body = {**target(id=version_id), **data}
    before = await env.store.versions.get(version_id)
    response = await edit(env, body, *files)
    assert_error(response, status, error)
    assert await env.store.versions.get(version_id) == before
    assert stored_objects(env.settings) == {("private", f"{KEY}.dmg")}


async def test_update_of_another_tenants_version(env):
    version_id = await uploaded(env, ("a.dmg", b"d"))
    other = await admin_headers(env.client, "other")
    response = await edit(env, target(id=version_id), headers=other)
    assert_error(response, 500, "app_name not found in apps_meta collection")
    await catalog(env.client, other)
    response = await edit(env, target(id=version_id, publish=True), headers=other)
    assert_error(response, 500, "app with this parameters doesn't exist")


async def test_update_of_another_tenants_version_with_files(env):
    """The original looks platform and arch up in any tenant, then the app in the caller's:
    another admin, with or without a catalog of its own, is told the app is not found."""
    version_id = await uploaded(env, ("a.dmg", b"d"))
    other = await admin_headers(env.client, "other")
    response = await edit(env, target(id=version_id), ("b.dmg", b"x"), headers=other)
    assert_error(response, 500, "app_name not found in apps_meta collection")
    await catalog(env.client, other, app="otherapp")
    response = await edit(env, target(id=version_id), ("b.dmg", b"x"), headers=other)
    assert_error(response, 500, "app_name not found in apps_meta collection")
    assert [a.package for a in (await env.store.versions.get(version_id)).artifacts] == [".dmg"]


async def test_team_users_edit_only_allowed_apps(env):
    version_id = await uploaded(env, ("a.dmg", b"d"))
    await add_team_user(env.app, "editor", "pw", apps=AppPermissions(edit=True))
    headers = bearer(await login(env.client, "editor", "pw"))
    response = await edit(env, target(id=version_id), headers=headers)
    assert_error(response, 500, "you don't have access to this app")


# --- /apps/delete -----------------------------------------------------------------------------


async def test_delete_a_version_and_its_objects(env):
    version_id = await uploaded(env, ("a.dmg", b"d"), ("LICENSE", b"l"))
    keep = await uploaded(env, ("a.dmg", b"d"), version="0.0.2")
    response = await env.client.delete(f"/apps/delete?id={version_id}", headers=env.headers)
    assert_body(response, 200, '{"deleteSpecificAppResult.DeletedCount":1}')
    assert await env.store.versions.get(version_id) is None
    key2 = "testapp-admin/nightly/universalPlatform/universalArch/testapp-0.0.2.dmg"
    assert stored_objects(env.settings) == {("private", key2)}
    await env.client.delete(f"/apps/delete?id={keep}", headers=env.headers)
    assert stored_objects(env.settings) == set()
    # With no version left the app can go, and nothing at all remains in storage.
    response = await env.client.delete(f"/app/delete?id={env.ids.app}", headers=env.headers)
    assert response.status_code == 200


async def test_delete_errors(env):
    version_id = await uploaded(env, ("a.dmg", b"d"))
    assert_error(
        await env.client.delete("/apps/delete?id=1", headers=env.headers),
        400,
        "the provided hex string is not a valid ObjectID",
    )
    unknown = new_id()
    assert_body(
        await env.client.delete(f"/apps/delete?id={unknown}", headers=env.headers),
        500,
        f'{{"details":"no app found with ID ObjectID(\\"{unknown}\\")",'
        '"error":"failed to delete specific version of app"}',
    )
    other = await admin_headers(env.client, "other")
    forbidden = (
        '{"details":"you don\'t have permission to delete this item",'
        '"error":"failed to delete specific version of app"}'
    )
    response = await env.client.delete(f"/apps/delete?id={version_id}", headers=other)
    assert_body(response, 500, forbidden)
    assert await env.store.versions.get(version_id) is not None
    assert stored_objects(env.settings) == {("private", f"{KEY}.dmg")}


async def test_team_users_with_delete_on_the_app_delete_its_versions(env):
    """Deviation 3: the original refuses every team user."""
    version_id = await uploaded(env, ("a.dmg", b"d"))
    await add_team_user(env.app, "deleter", "pw", apps=AppPermissions(delete=True))
    headers = bearer(await login(env.client, "deleter", "pw"))
    response = await env.client.delete(f"/apps/delete?id={version_id}", headers=headers)
    assert response.json()["details"] == "you don't have permission to delete this item"
    user = await env.store.team_users.get_by_username("deleter")
    user.permissions.apps.allowed = [env.ids.app]
    await env.store.team_users.set_permissions(user.id, user.permissions)
    response = await env.client.delete(f"/apps/delete?id={version_id}", headers=headers)
    assert_body(response, 200, '{"deleteSpecificAppResult.DeletedCount":1}')
    assert stored_objects(env.settings) == set()


# --- /artifact/delete -------------------------------------------------------------------------


async def delete_artifacts(env, version_id, indexes, **extra):
    data = {
        "id": version_id,
        "app_name": "testapp",
        "version": "0.0.1.137",
        "artifacts_to_delete": indexes,
        **extra,
    }
    return await env.client.post("/artifact/delete", files=data_files(data), headers=env.headers)


async def test_indexes_apply_one_after_the_other(env):
    version_id = await uploaded(env, ("a.dmg", b"1"), ("a.pkg", b"2"), ("a.zip", b"3"))
    response = await delete_artifacts(env, version_id, ["0", "1"])
    assert_body(response, 200, '{"deleteSpecificArtifactResult":true}')
    version = await env.store.versions.get(version_id)
    assert [a.package for a in version.artifacts] == [".pkg"]
    assert stored_objects(env.settings) == {("private", f"{KEY}.pkg")}
    response = await delete_artifacts(env, version_id, ["+0"])
    assert response.json() == {"deleteSpecificArtifactResult": True}
    version = await env.store.versions.get(version_id)
    assert version.artifacts == []  # the version stays, empty
    assert stored_objects(env.settings) == set()


@pytest.mark.parametrize(
    "indexes",
    [["3"], ["x"], [" 1"], ["-1"], ["0", "2"], ["1.0"], ["99999999999999999999"], ["9" * 5000]],
)
async def test_bad_indexes_change_nothing(env, indexes):
    version_id = await uploaded(env, ("a.dmg", b"1"), ("a.pkg", b"2"), ("a.zip", b"3"))
    response = await delete_artifacts(env, version_id, indexes)
    assert_body(response, 200, '{"deleteSpecificArtifactResult":false}')
    assert len((await env.store.versions.get(version_id)).artifacts) == 3
    assert len(stored_objects(env.settings)) == 3


@pytest.mark.parametrize(
    "extra", [{"app_name": "nope"}, {"version": "1.0"}, {"id": "0123456789abcdef01234567"}]
)
async def test_nothing_matched_is_a_success_that_deletes_nothing(env, extra):
    version_id = await uploaded(env, ("a.dmg", b"1"))
    response = await delete_artifacts(env, version_id, ["0"], **extra)
    assert_body(response, 200, '{"deleteSpecificArtifactResult":true}')
    assert len((await env.store.versions.get(version_id)).artifacts) == 1


async def test_artifact_delete_errors(env):
    response = await env.client.post(
        "/artifact/delete", files={"x": (None, "")}, headers=env.headers
    )
    assert_error(response, 400, "No JSON data provided")
    response = await env.client.post(
        "/artifact/delete",
        files={"data": (None, '{"artifacts_to_delete":[0]}')},
        headers=env.headers,
    )
    assert_error(response, 400, "Invalid JSON data")
    response = await delete_artifacts(env, "123", ["0"])
    assert_error(response, 400, "the provided hex string is not a valid ObjectID")


async def test_another_tenant_cannot_delete_artifacts(env):
    version_id = await uploaded(env, ("a.dmg", b"1"))
    other = await admin_headers(env.client, "other")
    data = {
        "id": version_id,
        "app_name": "testapp",
        "version": "0.0.1.137",
        "artifacts_to_delete": ["0"],
    }
    response = await env.client.post("/artifact/delete", files=data_files(data), headers=other)
    assert_body(response, 200, '{"deleteSpecificArtifactResult":true}')
    assert len((await env.store.versions.get(version_id)).artifacts) == 1
    artifact = (await env.store.versions.get(version_id)).artifacts[0]
    assert artifact.link == private_link(API_URL, f"{KEY}.dmg")
