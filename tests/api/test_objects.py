"""The local store's files: public links, signed private links, HTTP Range, refusals."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest

from tests.support.api import assert_error

DATA = bytes(range(256)) * 40


@pytest.fixture
async def stored(app):
    storage = app.state.storage
    await storage.put("app-admin/nightly/app-1.0.0.dmg", io.BytesIO(DATA), private=False)
    await storage.put("app-admin/app-1.0.0.exe", io.BytesIO(DATA), private=True)
    await storage.put("app-admin/RELEASES", io.BytesIO(b"SHA1 app.nupkg 1"), private=False)
    return storage


def local_path(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def test_public_objects_are_served(client, stored):
    link = stored.public_link("app-admin/nightly/app-1.0.0.dmg")
    assert link == "http://localhost:9000/objects/public/app-admin/nightly/app-1.0.0.dmg"
    response = await client.get(local_path(link))
    assert (response.status_code, response.content) == (200, DATA)
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"]
    response = await client.get(local_path(stored.public_link("app-admin/RELEASES")))
    assert response.headers["content-type"].startswith("text/plain")


async def test_ranges(client, stored):
    path = local_path(stored.public_link("app-admin/nightly/app-1.0.0.dmg"))
    response = await client.get(path, headers={"Range": "bytes=10-19"})
    assert (response.status_code, response.content) == (206, DATA[10:20])
    assert response.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
    response = await client.get(path, headers={"Range": "bytes=-5"})
    assert (response.status_code, response.content) == (206, DATA[-5:])
    response = await client.get(path, headers={"Range": f"bytes={len(DATA)}-"})
    assert response.status_code == 416
    etag = (await client.get(path)).headers["etag"]
    response = await client.get(path, headers={"Range": "bytes=0-3", "If-Range": etag})
    assert (response.status_code, response.content) == (206, DATA[:4])
    response = await client.get(path, headers={"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert (response.status_code, response.content) == (200, DATA)


async def test_private_objects_need_a_valid_signed_link(client, stored):
    key = "app-admin/app-1.0.0.exe"
    link = await stored.presign(key)
    response = await client.get(local_path(link), headers={"Range": "bytes=0-9"})
    assert (response.status_code, response.content) == (206, DATA[:10])
    assert_error(await client.get(f"/objects/private/{key}"), 403, "invalid signature")
    tampered = local_path(link)[:-1] + ("0" if link[-1] != "0" else "1")
    assert_error(await client.get(tampered), 403, "invalid signature")
    other = local_path(link).replace("app-1.0.0.exe", "RELEASES")
    assert_error(await client.get(other), 403, "invalid signature")


async def test_expired_links_are_refused(client, stored, monkeypatch):
    link = await stored.presign("app-admin/app-1.0.0.exe")
    import time

    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert_error(await client.get(local_path(link)), 403, "link expired")


@pytest.mark.parametrize(
    "path",
    [
        "/objects/public/app-admin/%2e%2e/%2e%2e/secret.key",
        "/objects/public/..%2F..%2Fsecret.key",
        "/objects/public/%2Fetc%2Fpasswd",
        "/objects/public/a//b",
    ],
)
async def test_traversal_is_refused(client, stored, path):
    assert_error(await client.get(path), 400, "invalid object key")


async def test_missing_objects(client, stored):
    assert_error(await client.get("/objects/public/app-admin/none.dmg"), 404, "object not found")
    # A private object is not served from the public bucket.
    response = await client.get("/objects/public/app-admin/app-1.0.0.exe")
    assert_error(response, 404, "object not found")


async def test_head_gives_the_size_without_the_body(client, stored):
    path = local_path(stored.public_link("app-admin/nightly/app-1.0.0.dmg"))
    response = await client.head(path)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(DATA))
    assert response.content == b""


@pytest.mark.parametrize(
    "expires",
    ["%C2%B2", "%D9%A3", "1" * 5000, "-1", "+1", " 1", "1.5", "", "99999999999999999999"],
)
async def test_malformed_expiry_is_an_invalid_signature(client, stored, expires):
    key = "app-admin/app-1.0.0.exe"
    signature = local_path(await stored.presign(key)).rsplit("signature=", 1)[1]
    response = await client.get(f"/objects/private/{key}?expires={expires}&signature={signature}")
    assert_error(response, 403, "invalid signature")


async def test_a_non_ascii_signature_is_an_invalid_signature(client, stored):
    key = "app-admin/app-1.0.0.exe"
    response = await client.get(f"/objects/private/{key}?expires=99999999999&signature=%C3%A9")
    assert_error(response, 403, "invalid signature")


@pytest.mark.parametrize("path", ["/objects/public/a%00b", "/objects/private/a%00b?expires=1"])
async def test_nul_in_a_key_is_refused(client, stored, path):
    assert_error(await client.get(path), 400, "invalid object key")
