"""Channels, platforms and archs: golden bodies of create, list, update and delete."""

from __future__ import annotations

import re
from typing import Any

import pytest

from faynosync.core.ids import new_id
from tests.support.api import (
    TIME,
    admin_headers,
    assert_body,
    assert_error,
    create,
    create_app,
    duplicate_text,
)
from tests.support.factories import add_version

KINDS = ["channel", "platform", "arch"]
LIST_KEYS = {"channel": "channels", "platform": "platforms", "arch": "archs"}
TITLES = {"channel": "Channel", "platform": "Platform", "arch": "Arch"}
INVALID_NAMES = {
    "channel": "invalid channel name",
    "platform": "invalid platform name",
    "arch": "invalid architecture name",
}
MANUAL = '[{"type":"manual","default":true}]'


def item(kind: str, meta_id: str, name: str, owner: str = "admin", updaters: str = MANUAL) -> str:
    if kind == "channel":
        return f'{{"ID":"{meta_id}","ChannelName":"{name}","Owner":"{owner}","Updated_at":"T"}}'
    if kind == "platform":
        return (
            f'{{"ID":"{meta_id}","PlatformName":"{name}","Updaters":{updaters},'
            f'"Owner":"{owner}","Updated_at":"T"}}'
        )
    return f'{{"ID":"{meta_id}","ArchID":"{name}","Owner":"{owner}","Updated_at":"T"}}'


def assert_list(response, body: str) -> None:
    """Exact body with each Updated_at replaced by T after checking its format."""
    assert response.status_code == 200
    assert re.sub(f'"Updated_at":"{TIME}"', '"Updated_at":"T"', response.text) == body


@pytest.fixture
async def headers(client):
    return await admin_headers(client)


# --- create and list --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_create_and_list(client, headers, kind):
    assert_body(
        await client.get(f"/{kind}/list", headers=headers), 200, f'{{"{LIST_KEYS[kind]}":null}}'
    )
    response = await client.post(f"/{kind}/create", json={kind: "nightly"}, headers=headers)
    meta_id = response.json()[f"create{TITLES[kind]}Result.Created"]
    assert_body(response, 200, f'{{"create{TITLES[kind]}Result.Created":"{meta_id}"}}')
    second = await create(client, headers, kind, "stable2")
    assert_list(
        await client.get(f"/{kind}/list", headers=headers),
        f'{{"{LIST_KEYS[kind]}":[{item(kind, meta_id, "nightly")},'
        f"{item(kind, second, 'stable2')}]}}",
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["nightly *", "a_b", "nightly\n", "ünï", "a.b", " a"])
async def test_invalid_names(client, headers, kind, name):
    response = await client.post(f"/{kind}/create", json={kind: name}, headers=headers)
    assert_error(response, 400, INVALID_NAMES[kind])


async def test_hyphens_are_for_platforms_only(client, headers):
    assert await create(client, headers, "platform", "win-64")
    for kind in ("channel", "arch"):
        response = await client.post(f"/{kind}/create", json={kind: "win-64"}, headers=headers)
        assert_error(response, 400, INVALID_NAMES[kind])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "body", [b"", b"{}", b"[]", b"null", b"{KIND: 1}", b'{KIND: ""}', b"{KIND:", b'{"KIND": ["x"]}']
)
async def test_create_with_a_bad_body(client, headers, kind, body):
    body = body.replace(b"KIND", f'"{kind}"'.encode()).replace(b'""{', b'"{').replace(b'"""', b'"')
    response = await client.post(f"/{kind}/create", content=body, headers=headers)
    assert_error(response, 400, "Invalid request body")


@pytest.mark.parametrize("kind", KINDS)
async def test_duplicates_within_a_tenant(client, headers, kind):
    await create(client, headers, kind, "nightly")
    response = await client.post(f"/{kind}/create", json={kind: "nightly"}, headers=headers)
    assert_error(response, 500, f"{kind} with this name already exists")
    response = await client.post(f"/{kind}/create", json={kind: "Nightly"}, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("kind", KINDS)
async def test_names_are_read_case_insensitively_with_trailing_bytes(client, headers, kind):
    body = f'{{"{kind.upper()}":"nightly","other":1}} trailing'.encode()
    response = await client.post(f"/{kind}/create", content=body, headers=headers)
    assert response.status_code == 200


# --- platforms' updaters ----------------------------------------------------------------------


async def test_platform_updaters_are_stored_in_order(client, headers):
    updaters = [{"type": "manual", "default": False}, {"type": "squirrel_windows", "default": True}]
    platform_id = await create(client, headers, "platform", "windows", updaters=updaters)
    empty_id = await create(client, headers, "platform", "linux", updaters=[])
    assert_list(
        await client.get("/platform/list", headers=headers),
        '{"platforms":['
        + item(
            "platform",
            platform_id,
            "windows",
            updaters='[{"type":"manual","default":false},{"type":"squirrel_windows","default":true}]',
        )
        + ","
        + item("platform", empty_id, "linux")
        + "]}",
    )


UPDATER_ERRORS = [
    (
        [{"type": "manual", "default": True}, {"type": "squirrel", "default": False}],
        "invalid updater type: squirrel. Valid types are: "
        "[manual squirrel_darwin squirrel_windows sparkle electron-builder tauri]",
    ),
    (
        [{"type": "tauri", "default": True}, {"type": "tauri", "default": False}],
        "duplicate updater type: tauri",
    ),
    (
        [{"type": "tauri", "default": True}, {"type": "nope"}, {"type": "tauri"}],
        "invalid updater type: nope. Valid types are: "
        "[manual squirrel_darwin squirrel_windows sparkle electron-builder tauri]",
    ),
    ([{"type": "manual"}, {"type": "sparkle"}], "exactly one updater must be set as default"),
    (
        [{"type": "manual", "default": True}, {"type": "electron-builder", "default": True}],
        "only one updater can be set as default",
    ),
    (
        [{"type": "", "default": True}],
        "invalid updater type: . Valid types are: "
        "[manual squirrel_darwin squirrel_windows sparkle electron-builder tauri]",
    ),
]


@pytest.mark.parametrize(("updaters", "error"), UPDATER_ERRORS)
async def test_invalid_updaters_on_create(client, headers, updaters, error):
    response = await client.post(
        "/platform/create", json={"platform": "p", "updaters": updaters}, headers=headers
    )
    assert_error(response, 400, error)
    assert_body(await client.get("/platform/list", headers=headers), 200, '{"platforms":null}')


@pytest.mark.parametrize(
    ("updaters", "error"), [*UPDATER_ERRORS, ([], "at least one updater is required")]
)
async def test_invalid_updaters_on_update(client, headers, updaters, error):
    platform_id = await create(client, headers, "platform", "p")
    body = {"id": platform_id, "platform": "q", "updaters": updaters}
    assert_error(await client.post("/platform/update", json=body, headers=headers), 400, error)


async def test_updater_types_are_strict(client, headers):
    body = {"platform": "p", "updaters": [{"type": "manual", "default": "true"}]}
    response = await client.post("/platform/create", json=body, headers=headers)
    assert_error(response, 400, "Invalid request body")


async def test_platform_update(client, headers):
    platform_id = await create(client, headers, "platform", "macos")
    updaters = [{"type": "tauri", "default": True}, {"type": "sparkle", "default": False}]
    body = {"id": platform_id, "platform": "mac-os", "updaters": updaters}
    response = await client.post("/platform/update", json=body, headers=headers)
    assert_body(response, 200, '{"updatePlatformResult.Updated":true}')
    assert_list(
        await client.get("/platform/list", headers=headers),
        '{"platforms":['
        + item(
            "platform",
            platform_id,
            "mac-os",
            updaters='[{"type":"tauri","default":true},{"type":"sparkle","default":false}]',
        )
        + "]}",
    )


async def test_platform_update_checks_in_order(client, headers):
    # name, then updaters, then id
    body: dict[str, Any] = {"id": "bad", "platform": "a b", "updaters": []}
    assert_error(
        await client.post("/platform/update", json=body, headers=headers),
        400,
        "invalid platform name",
    )
    body = {"id": "bad", "platform": "ok", "updaters": []}
    assert_error(
        await client.post("/platform/update", json=body, headers=headers),
        400,
        "at least one updater is required",
    )
    body = {"id": "bad", "platform": "ok", "updaters": [{"type": "manual", "default": True}]}
    assert_error(
        await client.post("/platform/update", json=body, headers=headers), 400, "invalid id format"
    )
    for missing in ({"id": "x", "platform": "ok"}, {"id": "x", "platform": "ok", "updaters": None}):
        response = await client.post("/platform/update", json=missing, headers=headers)
        assert_error(response, 400, "Invalid request body")


# --- update -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["channel", "arch"])
async def test_rename(client, headers, kind):
    meta_id = await create(client, headers, kind, "old")
    body = {"id": meta_id, kind: "new"}
    response = await client.post(f"/{kind}/update", json=body, headers=headers)
    assert_body(response, 200, f'{{"update{TITLES[kind]}Result.Updated":true}}')
    assert_list(
        await client.get(f"/{kind}/list", headers=headers),
        f'{{"{LIST_KEYS[kind]}":[{item(kind, meta_id, "new")}]}}',
    )


def update_body(kind: str, meta_id: str, name: str) -> dict:
    body: dict = {"id": meta_id, kind: name}
    if kind == "platform":
        body["updaters"] = [{"type": "manual", "default": True}]
    return body


@pytest.mark.parametrize("kind", KINDS)
async def test_update_errors(client, headers, kind, backend, settings):
    meta_id = await create(client, headers, kind, "one")
    await create(client, headers, kind, "two")
    url = f"/{kind}/update"

    async def post(body):
        return await client.post(url, json=body, headers=headers)

    assert_error(await post({kind: "x"}), 400, "Invalid request body")
    assert_error(await post({"id": meta_id}), 400, "Invalid request body")
    assert_error(await post(update_body(kind, "bad id", "a*b")), 400, INVALID_NAMES[kind])
    assert_error(await post(update_body(kind, "bad id", "ok")), 400, "invalid id format")
    assert_error(await post(update_body(kind, new_id(), "ok")), 500, f"{kind} not found")
    assert_error(
        await post(update_body(kind, meta_id, "two")),
        500,
        duplicate_text(backend, settings, kind, "two"),
    )


async def test_an_id_of_another_kind_is_not_found(client, headers):
    arch_id = await create(client, headers, "arch", "amd64")
    response = await client.post(
        "/channel/update", json={"id": arch_id, "channel": "x"}, headers=headers
    )
    assert_error(response, 500, "channel not found")
    response = await client.delete(f"/channel/delete?id={arch_id}", headers=headers)
    assert_body(
        response,
        500,
        f'{{"details":"no document found with ID ObjectID(\\"{arch_id}\\")",'
        '"error":"failed to delete channel"}',
    )
    assert_list(
        await client.get("/arch/list", headers=headers),
        f'{{"archs":[{item("arch", arch_id, "amd64")}]}}',
    )


# --- delete -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_delete(client, headers, kind):
    meta_id = await create(client, headers, kind, "gone")
    response = await client.delete(f"/{kind}/delete?id={meta_id}", headers=headers)
    assert_body(response, 200, f'{{"delete{TITLES[kind]}Result.DeletedCount":1}}')
    assert_body(
        await client.get(f"/{kind}/list", headers=headers), 200, f'{{"{LIST_KEYS[kind]}":null}}'
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_delete_errors(client, headers, kind):
    url = f"/{kind}/delete"
    for query, error in [
        ("", "the provided hex string is not a valid ObjectID"),
        ("?id=abc", "the provided hex string is not a valid ObjectID"),
        ("?id=" + "z" * 24, "encoding/hex: invalid byte: U+007A 'z'"),
    ]:
        assert_error(await client.delete(url + query, headers=headers), 400, error)
    unknown = new_id()
    assert_body(
        await client.delete(f"{url}?id={unknown}", headers=headers),
        500,
        f'{{"details":"no document found with ID ObjectID(\\"{unknown}\\")",'
        f'"error":"failed to delete {kind}"}}',
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_first_query_value_wins(client, headers, kind):
    meta_id = await create(client, headers, kind, "first")
    response = await client.delete(f"/{kind}/delete?id={meta_id}&id=bad", headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("kind", [*KINDS, "app"])
async def test_delete_is_refused_while_a_version_uses_it(app, client, headers, kind):
    meta_id = await (
        create_app(client, headers, "thing")
        if kind == "app"
        else create(client, headers, kind, "thing")
    )
    field = {"app": "app_id", "channel": "channel", "platform": "platform", "arch": "arch"}[kind]
    await add_version(app, **{field: meta_id})
    response = await client.delete(f"/{kind}/delete?id={meta_id}", headers=headers)
    assert_body(
        response,
        500,
        '{"details":"you can\'t delete this item because it is related to other items",'
        f'"error":"failed to delete {kind}"}}',
    )


# --- tenants ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_tenants_do_not_see_or_touch_each_other(client, headers, kind):
    other = await admin_headers(client, "other")
    mine = await create(client, headers, kind, "nightly")
    theirs = await create(client, other, kind, "nightly")  # the same name in another tenant
    assert_list(
        await client.get(f"/{kind}/list", headers=other),
        f'{{"{LIST_KEYS[kind]}":[{item(kind, theirs, "nightly", owner="other")}]}}',
    )
    response = await client.post(
        f"/{kind}/update", json=update_body(kind, mine, "x"), headers=other
    )
    assert_error(response, 500, f"you don't have permission to update this {kind}")
    response = await client.delete(f"/{kind}/delete?id={mine}", headers=other)
    assert_body(
        response,
        500,
        f'{{"details":"you don\'t have permission to delete this {kind}",'
        f'"error":"failed to delete {kind}"}}',
    )
    assert_list(
        await client.get(f"/{kind}/list", headers=headers),
        f'{{"{LIST_KEYS[kind]}":[{item(kind, mine, "nightly")}]}}',
    )


async def test_a_token_of_nobody_lists_nothing(client):
    from faynosync.core.security import create_token
    from tests.support.api import JWT_SECRET, bearer

    for kind in KINDS:
        response = await client.get(
            f"/{kind}/list", headers=bearer(create_token("ghost", JWT_SECRET))
        )
        assert_body(response, 200, f'{{"{LIST_KEYS[kind]}":null}}')


@pytest.mark.parametrize("kind", KINDS)
async def test_guards_run_before_the_body(client, kind):
    for method, path in [
        ("POST", f"/{kind}/create"),
        ("POST", f"/{kind}/update"),
        ("DELETE", f"/{kind}/delete"),
    ]:
        response = await client.request(method, path, content=b"garbage")
        assert_error(response, 401, "missing authorization header")
    assert_error(await client.get(f"/{kind}/list"), 401, "missing authorization header")
