"""Apps: create (multipart `data` + optional logo), list, update, delete, on both stores and
with logos on local disk and on S3."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator

import pytest

from faynosync.core import gojson
from faynosync.core.ids import new_id
from tests.support.api import (
    TIME,
    admin_headers,
    assert_body,
    assert_error,
    create_app,
    duplicate_text,
    running,
)
from tests.support.env import AdminEnv, SettingsFactory
from tests.support.factories import add_version
from tests.support.storage import read_object, storage_overrides, stored_objects

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


@pytest.fixture(params=["local", "minio"])
async def env(
    request: pytest.FixtureRequest, settings_factory: SettingsFactory
) -> AsyncIterator[AdminEnv]:
    settings = settings_factory(**storage_overrides(request.param, request))
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        yield AdminEnv(app, client, settings, request.param, headers)


def data_part(**data: object) -> dict:
    return {"data": (None, gojson.dumps(data))}


async def post_create(env, files=None, data=None, **kwargs):
    return await env.client.post(
        "/app/create", files=files, data=data, headers=env.headers, **kwargs
    )


def app_item(app_id, name, logo="", private=False, description="", owner="admin") -> str:
    return gojson.dumps(
        gojson.GoStruct(
            ID=app_id,
            AppName=name,
            Logo=logo,
            Private=private,
            Description=description,
            Owner=owner,
            Updated_at="T",
        )
    )


async def assert_apps(env, *items: str, headers=None) -> None:
    response = await env.client.get("/app/list", headers=headers or env.headers)
    assert response.status_code == 200
    text = re.sub(f'"Updated_at":"{TIME}"', '"Updated_at":"T"', response.text)
    expected = f'{{"apps":[{",".join(items)}]}}' if items else '{"apps":null}'
    assert text == expected


def logo_link(env, key: str) -> str:
    return env.app.state.storage.public_link(key)


# --- create -----------------------------------------------------------------------------------


async def test_create_minimal(env):
    await assert_apps(env)
    response = await post_create(env, files=data_part(app="testapp"))
    app_id = response.json()["createAppResult.Created"]
    assert_body(response, 200, f'{{"createAppResult.Created":"{app_id}"}}')
    await assert_apps(env, app_item(app_id, "testapp"))
    assert stored_objects(env.settings) == set()


async def test_create_with_everything(env):
    response = await post_create(
        env,
        files={
            **data_part(app="my app", description="An app <&>", private="true"),
            "file": ("images/logo.PNG", PNG, "image/png"),
        },
    )
    app_id = response.json()["createAppResult.Created"]
    key = "my app-admin/my app-logo.PNG"
    assert stored_objects(env.settings) == {("public", key)}
    assert read_object(env.settings, "public", key) == PNG
    await assert_apps(
        env,
        app_item(app_id, "my app", logo_link(env, key), True, "An app <&>"),
    )


async def test_create_with_an_urlencoded_form(env):
    response = await post_create(env, data={"data": '{"app":"formapp"}'})
    assert response.status_code == 200


@pytest.mark.parametrize("private", ["True", "1", "yes", ""])
async def test_only_the_string_true_makes_an_app_private(env, private):
    app_id = await create_app(env.client, env.headers, "p", private=private)
    await assert_apps(env, app_item(app_id, "p"))


async def test_app_names_are_not_validated_on_create(env):
    app_id = await create_app(env.client, env.headers, "weird_name!*")
    await assert_apps(env, app_item(app_id, "weird_name!*"))


@pytest.mark.parametrize(
    ("files", "data", "error"),
    [
        (None, None, "No JSON data provided"),
        ({"other": (None, "x")}, None, "No JSON data provided"),
        ({"data": (None, "")}, None, "No JSON data provided"),
        (
            {"data": ("data.json", b'{"app":"x"}', "application/json")},
            None,
            "No JSON data provided",
        ),
        ({"data": (None, "not json")}, None, "Invalid JSON data"),
        ({"data": (None, '{"app":"x"} trailing')}, None, "Invalid JSON data"),
        ({"data": (None, '{"app":"x","private":true}')}, None, "Invalid JSON data"),
        ({"data": (None, '["x"]')}, None, "Invalid JSON data"),
        ({"data": (None, '{"app":""}')}, None, "app is required"),
        ({"data": (None, '{"App":"x"}')}, None, "app is required"),
        ({"data": (None, "null")}, None, "app is required"),
    ],
)
async def test_create_errors(env, files, data, error):
    response = await post_create(env, files=files, data=data)
    assert_error(response, 400, error)
    await assert_apps(env)


async def test_a_json_body_is_not_a_form(env):
    response = await env.client.post(
        "/app/create", json={"data": '{"app":"x"}'}, headers=env.headers
    )
    assert_error(response, 400, "No JSON data provided")


async def test_a_data_part_without_filename_is_a_field(env):
    files = {"data": ("", b'{"app":"x"}', "application/json")}
    assert (await post_create(env, files=files)).status_code == 200


async def test_a_duplicate_writes_nothing(env):
    files = {**data_part(app="dup"), "file": ("logo.png", PNG, "image/png")}
    await post_create(env, files=files)
    files = {**data_part(app="dup"), "file": ("logo.png", b"other", "image/png")}
    assert_error(await post_create(env, files=files), 500, "app with this name already exists")
    key = "dup-admin/dup-logo.png"
    assert read_object(env.settings, "public", key) == PNG  # not overwritten
    assert stored_objects(env.settings) == {("public", key)}


# --- update -----------------------------------------------------------------------------------


async def post_update(env, headers=None, logo=None, **data):
    files = data_part(**data)
    if logo is not None:
        files["file"] = logo
    return await env.client.post("/app/update", files=files, headers=headers or env.headers)


async def test_update_replaces_the_logo_and_removes_the_old_one(env):
    files = {**data_part(app="old", description="d"), "file": ("logo.png", PNG, "image/png")}
    app_id = (await post_create(env, files=files)).json()["createAppResult.Created"]
    response = await post_update(
        env, id=app_id, app="new", logo=("icon.svg", b"<svg/>", "image/svg+xml")
    )
    assert_body(response, 200, '{"updateAppResult.Updated":true}')
    key = "new-admin/new-logo.svg"
    assert stored_objects(env.settings) == {("public", key)}
    await assert_apps(env, app_item(app_id, "new", logo_link(env, key), False, "d"))


async def test_update_without_logo_or_description_keeps_them(env):
    files = {**data_part(app="a", description="keep"), "file": ("l.png", PNG, "image/png")}
    app_id = (await post_create(env, files=files)).json()["createAppResult.Created"]
    assert (await post_update(env, id=app_id, app="b", description="")).status_code == 200
    key = "a-admin/a-logo.png"
    await assert_apps(env, app_item(app_id, "b", logo_link(env, key), False, "keep"))
    assert stored_objects(env.settings) == {("public", key)}
    assert (await post_update(env, id=app_id, app="b", description="new")).status_code == 200
    await assert_apps(env, app_item(app_id, "b", logo_link(env, key), False, "new"))


async def test_replacing_a_logo_with_the_same_key_keeps_it(env):
    files = {**data_part(app="a"), "file": ("l.png", PNG, "image/png")}
    app_id = (await post_create(env, files=files)).json()["createAppResult.Created"]
    assert (
        await post_update(env, id=app_id, app="a", logo=("x.png", b"v2", "image/png"))
    ).status_code == 200
    assert read_object(env.settings, "public", "a-admin/a-logo.png") == b"v2"


async def test_update_errors(env, backend):
    app_id = await create_app(env.client, env.headers, "one")
    await create_app(env.client, env.headers, "two")
    logo = ("l.png", PNG, "image/png")

    async def check(response, status, error):
        assert_error(response, status, error)

    r = await env.client.post("/app/update", files={"x": (None, "")}, headers=env.headers)
    await check(r, 400, "No JSON data provided")
    r = await env.client.post("/app/update", files={"data": (None, "{")}, headers=env.headers)
    await check(r, 400, "Invalid JSON data")
    await check(await post_update(env, app="x"), 400, "id is required")
    await check(await post_update(env, id=app_id), 400, "app is required")
    await check(await post_update(env, id="nope", app="x"), 400, "invalid id format")
    await check(await post_update(env, id=new_id(), app="x", logo=logo), 500, "app not found")
    await check(
        await post_update(env, id=app_id, app="two", logo=logo),
        500,
        duplicate_text(backend, env.settings, "app", "two"),
    )
    # Nothing was stored by the refused requests.
    assert stored_objects(env.settings) == set()


# --- delete -----------------------------------------------------------------------------------


async def test_delete_removes_the_app_and_its_logo(env):
    files = {**data_part(app="gone"), "file": ("l.png", PNG, "image/png")}
    app_id = (await post_create(env, files=files)).json()["createAppResult.Created"]
    response = await env.client.delete(f"/app/delete?id={app_id}", headers=env.headers)
    assert_body(response, 200, '{"deleteAppResult.DeletedCount":1}')
    await assert_apps(env)
    assert stored_objects(env.settings) == set()


async def test_delete_is_refused_while_versions_exist(env):
    files = {**data_part(app="kept"), "file": ("l.png", PNG, "image/png")}
    app_id = (await post_create(env, files=files)).json()["createAppResult.Created"]
    await add_version(env.app, app_id=app_id)
    response = await env.client.delete(f"/app/delete?id={app_id}", headers=env.headers)
    assert_error_details = (
        '{"details":"you can\'t delete this item because it is related to other items",'
        '"error":"failed to delete app"}'
    )
    assert_body(response, 500, assert_error_details)
    assert stored_objects(env.settings) == {("public", "kept-admin/kept-logo.png")}


# --- tenants ----------------------------------------------------------------------------------


async def test_two_admins_with_the_same_app_name(env):
    other = await admin_headers(env.client, "other")
    files = {**data_part(app="same"), "file": ("l.png", PNG, "image/png")}
    mine = (await post_create(env, files=files)).json()["createAppResult.Created"]
    response = await env.client.post("/app/create", files=files, headers=other)
    theirs = response.json()["createAppResult.Created"]
    assert stored_objects(env.settings) == {
        ("public", "same-admin/same-logo.png"),
        ("public", "same-other/same-logo.png"),
    }
    await assert_apps(
        env,
        app_item(theirs, "same", logo_link(env, "same-other/same-logo.png"), owner="other"),
        headers=other,
    )
    response = await post_update(env, headers=other, id=mine, app="taken", logo=files["file"])
    assert_error(response, 500, "you don't have permission to update this app")
    response = await env.client.delete(f"/app/delete?id={mine}", headers=other)
    assert response.json()["details"] == "you don't have permission to delete this app"
    await assert_apps(env, app_item(mine, "same", logo_link(env, "same-admin/same-logo.png")))
    assert len(stored_objects(env.settings)) == 2


# --- a database that refuses the write --------------------------------------------------------


async def refuse_app_writes(env) -> None:
    """From now on the database itself refuses to insert or update apps (a real store error)."""
    store = env.app.state.store
    if store.name == "SQLite":
        with sqlite3.connect(env.settings.FAYNOSYNC_DATA_DIR / "faynosync.sqlite3") as db:
            for event in ("INSERT", "UPDATE"):
                db.execute(
                    f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON apps_meta"
                    " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
        return
    database = store.database
    documents = await database["apps_meta"].find().to_list()
    await database.drop_collection("apps_meta")
    await database.create_collection("apps_meta", validator={"never": {"$exists": True}})
    if documents:
        await database["apps_meta"].insert_many(documents, bypass_document_validation=True)


async def test_a_store_error_on_create_removes_the_logo(env):
    await refuse_app_writes(env)
    files = {**data_part(app="a"), "file": ("logo.png", PNG, "image/png")}
    assert_error(await post_create(env, files=files), 500, "internal server error")
    assert stored_objects(env.settings) == set()


async def test_a_store_error_on_update_removes_the_new_logo_only(env):
    files = {**data_part(app="a"), "file": ("logo.png", PNG, "image/png")}
    app_id = (await post_create(env, files=files)).json()["createAppResult.Created"]
    await refuse_app_writes(env)
    for name, logo in (("b", "other.png"), ("a", "logo.png")):  # a new key, then the same key
        response = await post_update(env, id=app_id, app=name, logo=(logo, b"new", "image/png"))
        assert_error(response, 500, "internal server error")
        # The logo the app still shows is there (its key may have been written in place).
        assert stored_objects(env.settings) == {("public", "a-admin/a-logo.png")}
