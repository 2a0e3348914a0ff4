"""Hostile values on every route that reads a body: no crash, the route's own 4xx, nothing stored.

A value is hostile when it once reached a Python limit the Go original does not have: a JSON
number past Python's int conversion limit (4,300 digits), a lone UTF-16 surrogate (Go reads it as
U+FFFD), a multipart boundary longer than the parser takes, too many parts or fields.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from faynosync.core import gojson
from faynosync.http.inputs import MAX_PARTS
from tests.support.api import (
    API_KEY,
    admin_headers,
    assert_body,
    assert_error,
    create_app,
    login,
    upload,
)
from tests.support.factories import catalog, target

HUGE = "1" + "0" * 5000
ID = "653a5e4f1c9d440000a1b2c3"

# Every route that decodes JSON: (method, path, how the JSON travels, a body template where
# {v} is replaced by the hostile value, the route's answer to a body it cannot bind).
JSON_ROUTES = [
    ("POST", "/signup", "json", '{"username":{v},"password":"p","api_key":"k"}', "plain"),
    ("POST", "/login", "json", '{"username":{v},"password":"p"}', "plain"),
    ("POST", "/admin/update", "json", '{"id":{v},"username":"admin"}', "Invalid request body"),
    ("POST", "/channel/create", "json", '{"channel":{v}}', "Invalid request body"),
    ("POST", "/channel/update", "json", f'{{"id":"{ID}","channel":{{v}}}}', "Invalid request body"),
    ("POST", "/platform/create", "json", '{"platform":{v}}', "Invalid request body"),
    (
        "POST",
        "/platform/update",
        "json",
        '{"id":{v},"platform":"p","updaters":[{"type":"manual","default":true}]}',
        "Invalid request body",
    ),
    ("POST", "/arch/create", "json", '{"arch":{v}}', "Invalid request body"),
    ("POST", "/arch/update", "json", f'{{"id":"{ID}","arch":{{v}}}}', "Invalid request body"),
    ("POST", "/user/create", "json", '{"username":{v},"password":"p"}', "Invalid request body"),
    ("POST", "/user/update", "json", f'{{"id":"{ID}","username":{{v}}}}', "Invalid request body"),
    ("DELETE", "/user/delete", "json", '{"id":{v}}', "Invalid request body"),
    ("POST", "/upload", "data", '{"app_name":{v},"version":"1.0"}', "Invalid JSON data"),
    ("POST", "/apps/update", "data", '{"id":{v},"app_name":"testapp"}', "Invalid JSON data"),
    ("POST", "/artifact/delete", "data", '{"id":"x","artifacts_to_delete":[{v}]}', None),
    ("POST", "/app/create", "data", '{"app":{v}}', "Invalid JSON data"),
    ("POST", "/app/update", "data", f'{{"id":"{ID}","app":{{v}}}}', "Invalid JSON data"),
]
ROUTE_IDS = [f"{method} {path}" for method, path, *_ in JSON_ROUTES]


@pytest.fixture
def no_crash(caplog):
    """Fails the test if any request ended in the catch-all's 500."""
    caplog.set_level(logging.ERROR, logger="faynosync")
    yield
    crashes = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert not crashes, crashes[0].getMessage()


async def send(client, headers, method, path, carrier, body, files=()):
    if carrier == "json":
        return await client.request(method, path, content=body.encode(), headers=headers)
    parts = [("data", (None, body)), *files]
    return await client.request(method, path, files=parts, headers=headers)


def assert_not_a_crash(response):
    assert response.status_code != 500 or response.json() != {"error": "internal server error"}
    assert response.status_code < 500 or response.status_code == 500, response.text


@pytest.mark.parametrize(
    ("method", "path", "carrier", "template", "error"), JSON_ROUTES, ids=ROUTE_IDS
)
async def test_numbers_past_pythons_int_limit_are_type_errors(
    client, no_crash, method, path, carrier, template, error
):
    headers = await admin_headers(client)
    response = await send(client, headers, method, path, carrier, template.replace("{v}", HUGE))
    if error == "plain":
        assert_body(
            response,
            400,
            '{"error":"invalid request body"}',
            content_type=response.headers["content-type"],
        )
    elif error is not None:
        assert_error(response, 400, error)
    else:  # artifacts_to_delete holds strings: a number there is a type error too
        assert_error(response, 400, "Invalid JSON data")
    # The connection is still good for the next request.
    assert (await client.get("/health")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "carrier", "template", "error"), JSON_ROUTES, ids=ROUTE_IDS
)
async def test_numbers_past_pythons_int_limit_under_unknown_keys_are_skipped(
    client, no_crash, method, path, carrier, template, error
):
    headers = await admin_headers(client)
    body = template.replace("{v}", '"x"')
    hostile = await send(client, headers, method, path, carrier, body[:-1] + f',"junk":{HUGE}}}')
    assert_not_a_crash(hostile)
    unbindable = {"plain": "invalid request body", None: "Invalid JSON data"}.get(error, error)
    if path in ("/app/create", "/app/update"):
        # A string map binds every key, the unknown ones too: a number is a type error in Go.
        assert hostile.json() == {"error": unbindable}
    else:
        # Decoded: whatever the route answers, it is not its answer to an undecodable body.
        assert hostile.json() != {"error": unbindable}


@pytest.mark.parametrize(
    ("method", "path", "carrier", "template", "error"), JSON_ROUTES, ids=ROUTE_IDS
)
async def test_lone_surrogates_never_crash(
    client, no_crash, method, path, carrier, template, error
):
    headers = await admin_headers(client)
    await catalog(client, headers)
    for value in ('"\\ud800"', '"a\\udfffb"', '"\\ud800\\ud800"'):
        body = template.replace("{v}", value)
        files = [("file", ("a.dmg", b"x", "application/octet-stream"))]
        assert_not_a_crash(await send(client, headers, method, path, carrier, body, files))
        assert_not_a_crash(await send(client, headers, method, path, carrier, body))


async def test_lone_surrogates_are_read_as_replacement_characters(client, no_crash):
    body = '{"username":"adm\\ud800in","password":"pass\\udc00","api_key":"KEY"}'
    body = body.replace("KEY", API_KEY)
    response = await client.post("/signup", content=body.encode())
    assert_body(response, 200, '{"result":"Successfully created admin user."}')
    # The same name and password as Go stores them: U+FFFD in place of each lone surrogate.
    assert await login(client, "adm\ufffdin", "pass\ufffd")
    response = await client.post(
        "/login", content=b'{"username":"adm\\udbffin","password":"pass\\ud800"}'
    )
    assert response.status_code == 200, response.text


async def test_a_version_named_with_lone_surrogates_is_refused_cleanly(client, no_crash):
    headers = await admin_headers(client)
    await catalog(client, headers)
    data = gojson.dumps(target()).replace('"nightly"', '"night\\ud800ly"')
    response = await client.post(
        "/upload",
        files=[("data", (None, data)), ("file", ("a.dmg", b"x", "application/octet-stream"))],
        headers=headers,
    )
    assert_error(response, 400, "invalid channel parameter")


# --- multipart limits -------------------------------------------------------------------------


async def test_a_boundary_longer_than_the_parser_takes(client, no_crash):
    headers = await admin_headers(client)
    boundary = "b" * 300
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n{{}}\r\n'
        f"--{boundary}--\r\n"
    )
    for path in ("/upload", "/apps/update", "/artifact/delete", "/app/create", "/app/update"):
        response = await client.post(
            path,
            content=body.encode(),
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_error(response, 400, "multipart boundary longer than 256 bytes")


async def test_too_many_parts(env):
    fields = [(f"f{i}", (None, "x")) for i in range(MAX_PARTS)]
    response = await env.client.post(
        "/upload", files=[("data", (None, gojson.dumps(target()))), *fields], headers=env.headers
    )
    assert_error(response, 413, "multipart: message too large")
    assert list((env.settings.FAYNOSYNC_DATA_DIR / "tmp").iterdir()) == []


async def test_too_many_file_parts_leave_nothing_staged(env):
    files = [("file", (f"{i}.bin", b"x", "application/octet-stream")) for i in range(MAX_PARTS)]
    response = await env.client.post(
        "/upload", files=[("data", (None, gojson.dumps(target()))), *files], headers=env.headers
    )
    assert_error(response, 413, "multipart: message too large")
    assert list((env.settings.FAYNOSYNC_DATA_DIR / "tmp").iterdir()) == []


async def test_form_fields_are_bounded_in_total(env):
    big = "x" * (1024 * 1024 - 100)
    fields = [(f"f{i}", (None, big)) for i in range(8)]
    response = await env.client.post(
        "/upload", files=[("data", (None, gojson.dumps(target()))), *fields], headers=env.headers
    )
    assert_error(response, 413, "multipart: message too large")


@pytest.mark.parametrize(
    "header",
    ["X-Junk: " + "j" * (70 * 1024), "\r\n".join(f"X-Junk-{i}: j" for i in range(100))],
)
async def test_huge_part_headers_make_the_body_unreadable(env, header):
    boundary = "xyz"
    body = (
        f'--{boundary}\r\n{header}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'
        f"{gojson.dumps(target())}\r\n--{boundary}--\r\n"
    )
    response = await env.client.post(
        "/upload",
        content=body.encode(),
        headers={**env.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_error(response, 400, "No JSON data provided")


# --- file names -------------------------------------------------------------------------------


CONTROL = "invalid object key: file names cannot hold control characters"
TOO_LONG = "invalid object key: a file or folder name is longer than 255 bytes"
HOSTILE_NAMES = [
    ("a\x00b.exe", CONTROL),
    ("a\nb.exe", CONTROL),
    ("\x7f.exe", CONTROL),
    ("a" * 300 + ".exe", TOO_LONG),
    ("é" * 128 + ".exe", TOO_LONG),  # 256 bytes in UTF-8
]


@pytest.mark.parametrize(
    ("updater", "companion"),
    [("electron-builder", ("latest.yml", b"v")), ("squirrel_windows", ("RELEASES", b"r"))],
)
@pytest.mark.parametrize(("filename", "error"), HOSTILE_NAMES)
async def test_file_names_no_store_can_keep_are_refused(
    env, no_crash, updater, companion, filename, error
):
    """These layouts keep the file name in the object key. The names travel RFC 2231-encoded:
    a header cannot carry a raw line break."""
    response = await upload_raw(
        env, target(updater=updater), [(companion[0], companion[1]), (filename, b"x")]
    )
    assert_error(response, 400, error)
    assert await env.store.versions.find(env.ids.app, "0.0.1.137", "admin") is None
    assert list((env.settings.FAYNOSYNC_DATA_DIR / "tmp").iterdir()) == []


async def upload_raw(env, data, files):
    """A multipart upload written by hand, file names as ``filename*=UTF-8''…``."""
    boundary = "hostile-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'.encode()
        + gojson.dumpb(data)
        + b"\r\n"
    ]
    for name, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f"filename*=UTF-8''{quote(name, safe='')}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return await env.client.post(
        "/upload",
        content=body,
        headers={**env.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


@pytest.mark.parametrize(("filename", "error"), HOSTILE_NAMES)
async def test_the_default_layout_keeps_only_the_extension(env, no_crash, filename, error):
    response = await upload_raw(env, target(), [(filename, b"x")])
    assert response.status_code == 200, response.text


async def test_an_app_name_too_long_for_a_key_is_refused(env, no_crash):
    name = "a" * 250
    await create_app(env.client, env.headers, name)
    response = await upload(env.client, env.headers, target(app_name=name), ("a.dmg", b"x"))
    assert_error(response, 400, TOO_LONG)


async def test_a_key_longer_than_s3_takes_is_refused(env, no_crash):
    name = "/".join(["d" * 200] * 6) + ".exe"
    files = [("RELEASES", b"r"), (name, b"x")]
    response = await upload(env.client, env.headers, target(updater="squirrel_windows"), *files)
    # The base name counts (Go's filepath.Base), so only the last segment reaches the key.
    assert response.status_code == 200, response.text


async def test_rfc_2231_file_names_are_read(env):
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'
        f"{gojson.dumps(target(updater='squirrel_windows'))}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"; '
        f"filename*=UTF-8''%E2%82%AC%20app.nupkg\r\n\r\nnupkg\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="RELEASES"\r\n\r\n'
        f"r\r\n--{boundary}--\r\n"
    )
    response = await env.client.post(
        "/upload",
        content=body.encode(),
        headers={**env.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    version = await env.store.versions.get(response.json()["uploadResult.Uploaded"])
    assert [a.package for a in version.artifacts] == [".nupkg", ""]
    assert "%E2%82%AC%20app.nupkg" in version.artifacts[0].link


# --- long versions ----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [257, 60_000])  # httpx sends no longer query
async def test_versions_longer_than_256_characters_are_refused(env, no_crash, length):
    version = ("1." * length)[:length].rstrip(".") + "1"
    params = {**target(version=version), "owner": "admin"}
    assert_error(
        await env.client.get("/checkVersion", params=params), 400, "invalid version parameter"
    )
    response = await upload(env.client, env.headers, target(version=version), ("a.dmg", b"x"))
    assert_error(response, 400, "invalid version parameter")


async def test_a_version_of_256_characters_is_a_version(env, no_crash):
    data = target(version="2.0", publish=True)
    response = await upload(env.client, env.headers, data, ("a.dmg", b"x"))
    assert response.status_code == 200, response.text
    version = "1" + ".0" * 127 + "1"  # 256 characters
    assert len(version) == 256
    params = {**target(version=version), "owner": "admin"}
    response = await env.client.get("/checkVersion", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["update_available"] is True
