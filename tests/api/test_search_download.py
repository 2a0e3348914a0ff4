"""GET /search, the dormant GET / and GET /download in both of its modes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from faynosync.core.security import create_token
from faynosync.storage.keys import private_link
from faynosync.store.models import AppPermissions
from tests.support.api import (
    API_URL,
    JWT_SECRET,
    admin_headers,
    assert_body,
    assert_error,
    bearer,
    create,
    create_app,
    login,
    running,
    upload,
)
from tests.support.factories import add_team_user, catalog, target

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z"
DATE = r"\d{4}-\d\d-\d\d"
KEY = "testapp-admin/nightly/universalPlatform/universalArch/testapp-{}"


async def uploaded(env, version: str, *files, **data) -> str:
    response = await upload(env.client, env.headers, target(version=version, **data), *files)
    assert response.status_code == 200, response.text
    return str(response.json()["uploadResult.Uploaded"])


def normalised(text: str) -> str:
    return re.sub(
        f'"Date":"{DATE}"', '"Date":"D"', re.sub(f'"Updated_at":"{TIME}"', '"Updated_at":"T"', text)
    )


async def search(env, headers=None, **params):
    return await env.client.get("/search", params=params, headers=headers or env.headers)


# --- /search ----------------------------------------------------------------------------------


async def test_search_golden_body(env):
    version_id = await uploaded(env, "0.0.5.137", ("a.dmg", b"x"), ("LICENSE", b""), publish=False)
    response = await search(env, app_name="testapp")
    dmg = private_link(API_URL, KEY.format("0.0.5.137.dmg"))
    bare = private_link(API_URL, KEY.format("0.0.5.137"))
    assert response.status_code == 200
    assert normalised(response.text) == (
        f'{{"items":[{{"ID":"{version_id}","AppName":"testapp","Version":"0.0.5.137",'
        '"Channel":"nightly","Published":false,"Critical":false,"Intermediate":false,'
        f'"Artifacts":[{{"link":"{dmg}","platform":"universalPlatform","arch":"universalArch",'
        f'"package":".dmg"}},{{"link":"{bare}","platform":"universalPlatform",'
        '"arch":"universalArch","package":""}],'
        '"Changelog":[{"Version":"0.0.5.137","Changes":"","Date":"D"}],"Updated_at":"T"}],'
        '"total":1,"page":1,"limit":9}'
    )


async def test_search_orders_filters_and_pages(env):
    for version, flags in [
        ("1.0.0", {"publish": True}),
        ("1.0.0.0", {"publish": True, "critical": True}),
        ("1.10", {}),
        ("1.9.9", {"publish": True}),
        ("2", {"critical": True}),
    ]:
        await uploaded(env, version, ("a.dmg", b"x"), **flags)

    async def versions(**params) -> tuple[list[str], int, int, int]:
        body = (await search(env, app_name="testapp", **params)).json()
        return (
            [i["Version"] for i in body["items"] or []],
            body["total"],
            body["page"],
            body["limit"],
        )

    assert await versions() == (["2", "1.10", "1.9.9", "1.0.0.0", "1.0.0"], 5, 1, 9)
    assert await versions(published="true") == (["1.9.9", "1.0.0.0", "1.0.0"], 3, 1, 9)
    assert await versions(published="F", critical="1") == (["2"], 1, 1, 9)
    assert await versions(published="yes") == (["2", "1.10", "1.9.9", "1.0.0.0", "1.0.0"], 5, 1, 9)
    assert await versions(page="2", limit="2") == (["1.9.9", "1.0.0.0"], 5, 2, 2)
    assert await versions(page="9", limit="2") == ([], 5, 9, 2)
    assert await versions(page="0", limit="-1") == (
        ["2", "1.10", "1.9.9", "1.0.0.0", "1.0.0"],
        5,
        1,
        9,
    )
    assert await versions(page="2.0", limit=" 2") == (
        ["2", "1.10", "1.9.9", "1.0.0.0", "1.0.0"],
        5,
        1,
        9,
    )
    assert await versions(page="+2", limit="+3") == (["1.0.0.0", "1.0.0"], 5, 2, 3)
    assert (await versions(page="9" * 5000))[2] == 1  # too long for Go: the default
    assert await versions(
        channel="nightly", platform="universalPlatform", arch="universalArch"
    ) == (
        ["2", "1.10", "1.9.9", "1.0.0.0", "1.0.0"],
        5,
        1,
        9,
    )
    body = (await search(env, app_name="testapp", page="9")).text
    assert body == '{"items":null,"total":5,"page":9,"limit":9}'


@pytest.mark.parametrize(
    ("page", "limit"),
    [
        ("4611686018427387904", "9"),
        ("9223372036854775807", "9223372036854775807"),
        ("9223372036854775807", "1"),
        ("2", "9223372036854775807"),
    ],
)
async def test_pages_past_any_offset_a_database_takes(env, page, limit):
    await uploaded(env, "1.0.0", ("a.dmg", b"x"))
    response = await search(env, app_name="testapp", page=page, limit=limit)
    assert_body(response, 200, f'{{"items":null,"total":1,"page":{page},"limit":{limit}}}')
    response = await search(env, app_name="testapp", page="1", limit=limit)
    assert [item["Version"] for item in response.json()["items"]] == ["1.0.0"]


async def test_platform_and_arch_filters_need_one_artifact(env):
    await create(env.client, env.headers, "platform", "linux")
    await create(env.client, env.headers, "arch", "arm64")
    await uploaded(env, "1.0", ("a.deb", b"x"), platform="linux")
    await uploaded(env, "2.0", ("a.dmg", b"x"), arch="arm64")
    body = (await search(env, app_name="testapp", platform="linux", arch="arm64")).json()
    assert body["items"] is None and body["total"] == 0
    body = (await search(env, app_name="testapp", platform="linux")).json()
    assert [i["Version"] for i in body["items"]] == ["1.0"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"app_name": "nope"}, "app_name not found in apps_meta collection"),
        ({}, "app_name not found in apps_meta collection"),
        ({"app_name": "testapp", "channel": "stable"}, "channel not found in apps_meta collection"),
        ({"app_name": "testapp", "platform": "x"}, "platform not found in apps_meta collection"),
        ({"app_name": "testapp", "arch": "x"}, "arch not found in apps_meta collection"),
        (
            {"app_name": "testapp", "channel": "x", "platform": "x", "arch": "x"},
            "channel not found in apps_meta collection",
        ),
    ],
)
async def test_search_errors(env, params, error):
    assert_error(await search(env, **params), 500, error)


async def test_an_unorderable_version_fails_the_search(env):
    await uploaded(env, "1..2", ("a.dmg", b"x"))
    response = await search(env, app_name="testapp")
    assert_error(
        response,
        500,
        "(ConversionFailure) Failed to parse number '' in $convert with no onError value: "
        "No digits",
    )


async def test_search_for_team_users(env):
    await uploaded(env, "1.0", ("a.dmg", b"x"))
    await add_team_user(env.app, "reader", "pw")
    headers = bearer(await login(env.client, "reader", "pw"))
    assert_error(
        await search(env, headers, app_name="testapp"),
        500,
        "you don't have permission to access any apps",
    )
    other_app = await create_app(env.client, env.headers, "other")
    user = await env.store.team_users.get_by_username("reader")
    user.permissions.apps.allowed = [other_app]
    await env.store.team_users.set_permissions(user.id, user.permissions)
    assert_error(
        await search(env, headers, app_name="testapp"),
        500,
        "you don't have permission to access this app",
    )
    user.permissions.apps.allowed = [env.ids.app]
    await env.store.team_users.set_permissions(user.id, user.permissions)
    body = (await search(env, headers, app_name="testapp")).json()
    assert [i["Version"] for i in body["items"]] == ["1.0"]


async def test_tenants_search_only_their_own(env):
    await uploaded(env, "1.0", ("a.dmg", b"x"))
    other = await admin_headers(env.client, "other")
    assert_error(
        await search(env, other, app_name="testapp"),
        500,
        "app_name not found in apps_meta collection",
    )
    await create_app(env.client, other, "testapp")
    assert_body(
        await search(env, other, app_name="testapp"),
        200,
        '{"items":null,"total":0,"page":1,"limit":9}',
    )


# --- GET / ------------------------------------------------------------------------------------


async def test_get_all_versions_of_the_caller(env):
    assert_body(
        await env.client.get("/", headers=admin_headers_for(env, "nobody")), 200, '{"apps":null}'
    )
    await uploaded(env, "1.0", ("a.dmg", b"x"))
    await create_app(env.client, env.headers, "second")
    await upload(env.client, env.headers, target(app_name="second", version="3.0"), ("a.exe", b"x"))
    body = (await env.client.get("/", headers=env.headers)).json()
    assert [(i["AppName"], i["Version"]) for i in body["apps"]] == [
        ("second", "3.0"),
        ("testapp", "1.0"),
    ]
    body = (await env.client.get("/?limit=1", headers=env.headers)).json()
    assert len(body["apps"]) == 1
    body = (await env.client.get("/?limit=9223372036854775807", headers=env.headers)).json()
    assert len(body["apps"]) == 2
    assert_error(await env.client.get("/"), 401, "missing authorization header")


def admin_headers_for(env, username: str) -> dict[str, str]:
    return bearer(create_token(username, JWT_SECRET))


# --- /download --------------------------------------------------------------------------------


async def fetch(env, url: str) -> bytes:
    """Follow a presigned link: local links are served by the app, S3 ones by moto."""
    parts = urlsplit(url)
    if env.kind == "local":
        response = await env.client.get(f"{parts.path}?{parts.query}")
    else:
        async with httpx.AsyncClient() as http:
            response = await http.get(url)
    assert response.status_code == 200, response.text
    return response.content


async def test_download_with_a_token(env):
    await uploaded(env, "0.0.1.137", ("a.dmg", b"payload"))
    key = KEY.format("0.0.1.137.dmg")
    response = await env.client.get("/download", params={"key": key}, headers=env.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert list(response.json()) == ["download_url"]
    url = response.json()["download_url"]
    assert "&" in url and "\\u0026" in response.text and "&" not in response.text
    assert await fetch(env, url) == b"payload"


async def test_download_refusals(env):
    await uploaded(env, "0.0.1.137", ("a.dmg", b"payload"))
    key = KEY.format("0.0.1.137.dmg")
    assert_error(
        await env.client.get("/download", params={"key": key}), 401, "missing authorization header"
    )
    assert_error(
        await env.client.get("/download", params={"key": ""}, headers=env.headers),
        400,
        "Failed to generate pre-signed URL",
    )
    assert_error(
        await env.client.get("/download", params={"key": "../secret.key"}, headers=env.headers),
        400,
        "Failed to generate pre-signed URL",
    )
    # Deviation 6: only keys of the caller's tenant.
    other = await admin_headers(env.client, "other")
    for headers, candidate in [(other, key), (env.headers, "testapp-admin/none.dmg")]:
        response = await env.client.get("/download", params={"key": candidate}, headers=headers)
        assert_error(response, 404, "artifact not found")
    await add_team_user(env.app, "nodl", "pw")
    headers = bearer(await login(env.client, "nodl", "pw"))
    response = await env.client.get("/download", params={"key": key}, headers=headers)
    assert_error(response, 403, "Permission denied")
    await add_team_user(env.app, "dl", "pw", apps=AppPermissions(download=True))
    headers = bearer(await login(env.client, "dl", "pw"))
    response = await env.client.get("/download", params={"key": key}, headers=headers)
    assert_error(response, 403, "Permission denied")
    user = await env.store.team_users.get_by_username("dl")
    user.permissions.apps.allowed = [env.ids.app]
    await env.store.team_users.set_permissions(user.id, user.permissions)
    response = await env.client.get("/download", params={"key": key}, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize(("flag", "redirect"), [("true", True), ("True", False), ("1", False)])
async def test_download_without_a_token(settings_factory, flag, redirect):
    async with running(settings_factory(ENABLE_PRIVATE_APP_DOWNLOADING=flag)) as (_, client):
        headers = await admin_headers(client)
        await catalog(client, headers)
        await upload(client, headers, target(), ("a.dmg", b"payload"))
        key = KEY.format("0.0.1.137.dmg")
        response = await client.get("/download", params={"key": key})
        if redirect:
            assert response.status_code == 302
            location = response.headers["location"]
            assert location.startswith("http://localhost:9000/objects/private/")
            assert response.text == f'<a href="{location.replace("&", "&amp;")}">Found</a>.\n\n'
        else:
            assert response.status_code == 200
            location = response.json()["download_url"]
        parts = urlsplit(location)
        served = await client.get(f"{parts.path}?{parts.query}")
        assert served.content == b"payload"
