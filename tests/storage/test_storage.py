"""The object storage protocol on local disk and on S3 (moto), the same tests for each."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from faynosync.core import lockedfiles
from faynosync.core.lockedfiles import create_locked
from faynosync.storage import InvalidKey, ObjectNotFound, StorageError
from faynosync.storage.local import LocalStorage
from faynosync.storage.protocol import PartialWrite
from tests.support.storage import s3_client, s3_endpoint, stored_objects


async def read(storage, key, *, private=False, start=0, end=None) -> bytes:
    return b"".join(
        [chunk async for chunk in storage.get(key, private=private, start=start, end=end)]
    )


async def test_put_get_delete(storage):
    data = os.urandom(3 * 1024 * 1024 + 17)
    for private in (False, True):
        key = "public testapp-admin/nightly/universalPlatform/testapp-0.0.1.dmg"
        await storage.put(key, io.BytesIO(data), private=private)
        assert await read(storage, key, private=private) == data
        assert await read(storage, key, private=private, start=5, end=9) == data[5:10]
        assert await read(storage, key, private=private, start=len(data) - 3) == data[-3:]
        with pytest.raises(ObjectNotFound):
            await read(storage, key, private=not private)
        await storage.delete(key, private=private)
        with pytest.raises(ObjectNotFound):
            await read(storage, key, private=private)
        await storage.delete(key, private=private)  # missing: not an error


async def test_put_replaces(storage):
    await storage.put("a/b.txt", io.BytesIO(b"one"), private=False)
    await storage.put("a/b.txt", io.BytesIO(b"two!"), private=False)
    assert await read(storage, "a/b.txt") == b"two!"


async def test_empty_objects(storage):
    await storage.put("empty.bin", io.BytesIO(b""), private=True)
    assert await read(storage, "empty.bin", private=True) == b""


async def test_multipart_sized_upload(storage):
    data = os.urandom(9 * 1024 * 1024 + 1)  # over the 8 MiB multipart threshold
    await storage.put("big/file.bin", io.BytesIO(data), private=True)
    assert await read(storage, "big/file.bin", private=True) == data


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "../x", "a/../../x", "a/..", "./a", "a//b", "a/./b", "a\x00b"]
)
async def test_keys_never_leave_the_root(storage, key):
    with pytest.raises(InvalidKey):
        await storage.put(key, io.BytesIO(b"x"), private=False)
    with pytest.raises(InvalidKey):
        await read(storage, key)
    with pytest.raises(InvalidKey):
        await storage.delete(key, private=False)
    with pytest.raises(InvalidKey):
        await storage.presign(key)


class Failing(io.RawIOBase):
    """A source that breaks after some bytes, like a client that disconnects."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.left <= 0:
            raise OSError("connection reset")
        n = min(len(buffer), self.left, 1024 * 1024)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


async def test_a_failed_put_leaves_nothing(storage, storage_settings):
    with pytest.raises((StorageError, OSError)):
        await storage.put(
            "x/partial.bin", io.BufferedReader(Failing(10 * 1024 * 1024)), private=True
        )
    with pytest.raises(ObjectNotFound):
        await read(storage, "x/partial.bin", private=True)
    assert stored_objects(storage_settings) == set()
    if not isinstance(storage, LocalStorage):
        client = s3_client(s3_endpoint(storage_settings))
        bucket = storage_settings.S3_BUCKET_NAME_PRIVATE
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


class Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


async def test_puts_stream_with_bounded_memory(storage):
    size = 96 * 1024 * 1024
    tracemalloc.start()
    try:
        await storage.put("stream/big.bin", io.BufferedReader(Zeros(size)), private=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # At most a few multipart chunks in flight (S3: about 50 MiB with its copies), never the
    # whole file.
    assert peak < size * 3 // 4, peak
    first = await read(storage, "stream/big.bin", private=True, start=0, end=3)
    assert first == bytes(4)


async def test_presigned_links_work_without_credentials(storage, storage_settings):
    await storage.put("app-admin/app 1.0.dmg", io.BytesIO(b"payload"), private=True)
    url = await storage.presign("app-admin/app 1.0.dmg")
    if isinstance(storage, LocalStorage):
        parts = urlsplit(url)
        assert url.startswith("http://localhost:9000/objects/private/app-admin/app%201.0.dmg?")
        query = parse_qs(parts.query)
        storage.verify("app-admin/app 1.0.dmg", query["expires"][0], query["signature"][0])
    else:
        assert "X-Amz-Expires=900" in url
        assert storage_settings.S3_BUCKET_NAME_PRIVATE in url
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
        assert (response.status_code, response.content) == (200, b"payload")


async def test_public_links(storage, storage_settings, storage_kind):
    key = (
        "public testapp-admin/nightly/universalPlatform/universalArch/public testapp-0.0.1.137.dmg"
    )
    link = storage.public_link(key)
    if storage_kind == "local":
        assert link == (
            "http://localhost:9000/objects/public/public%20testapp-admin/nightly/"
            "universalPlatform/universalArch/public%20testapp-0.0.1.137.dmg"
        )
    elif storage_kind == "minio":
        assert link == (
            f"http://{storage_settings.S3_ENDPOINT}/{storage_settings.S3_BUCKET_NAME}/"
            "public%20testapp-admin/nightly/universalPlatform/universalArch/"
            "public%20testapp-0.0.1.137.dmg"
        )
    else:
        assert link == f"{storage_settings.S3_ENDPOINT}/{key}"


@pytest.mark.parametrize("storage_kind", ["minio", "aws"])
async def test_content_types_and_acls(storage, storage_settings, storage_kind):
    await storage.put("a/RELEASES", io.BytesIO(b"r"), private=False, content_type="text/plain")
    await storage.put("a/latest.yml", io.BytesIO(b"y"), private=True, content_type="text/yaml")
    client = s3_client(s3_endpoint(storage_settings))
    public, private = storage_settings.S3_BUCKET_NAME, storage_settings.S3_BUCKET_NAME_PRIVATE
    assert client.head_object(Bucket=public, Key="a/RELEASES")["ContentType"] == "text/plain"
    assert client.head_object(Bucket=private, Key="a/latest.yml")["ContentType"] == "text/yaml"
    grants = client.get_object_acl(Bucket=public, Key="a/RELEASES")["Grants"]
    public_read = any(
        g["Grantee"].get("URI", "").endswith("AllUsers") and g["Permission"] == "READ"
        for g in grants
    )
    # aws and digitalocean set public-read on the public bucket; MinIO sets nothing.
    assert public_read == (storage_kind == "aws")
    grants = client.get_object_acl(Bucket=private, Key="a/latest.yml")["Grants"]
    assert not any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants)


async def test_objects_lists_every_key_with_its_size_and_time(storage, monkeypatch):
    monkeypatch.setattr("faynosync.storage.local._LISTING_BATCH", 2)  # several batches
    before = time.time()
    stored = {
        (False, "app-admin/nightly/app 1.0.dmg"): b"public",
        (False, "app-admin/app-logo.png"): b"",
        (True, "app-admin/app-1.0.exe"): b"private!",
        (True, "squirrel_windows/app-admin/1.0/RELEASES"): b"r",
        (True, "top.bin"): b"t",
    }
    for (private, key), data in stored.items():
        await storage.put(key, io.BytesIO(data), private=private)
    after = time.time()
    for private in (False, True):
        listed = [obj async for obj in storage.objects(private=private)]
        assert sorted((obj.key, obj.size) for obj in listed) == sorted(
            (key, len(data)) for (p, key), data in stored.items() if p == private
        )
        # S3 keeps whole seconds.
        assert all(before - 2 <= obj.modified <= after + 2 for obj in listed)


async def test_objects_of_an_empty_bucket(storage):
    assert [obj async for obj in storage.objects(private=False)] == []
    assert [p async for p in storage.partial_writes(private=True)] == []


async def test_partial_writes_of_the_local_store(tmp_path):
    storage = LocalStorage(tmp_path, base_url="http://localhost:9000", signing_key=b"k" * 32)
    await storage.put("app-admin/app.dmg", io.BytesIO(b"object"), private=False)
    folder = tmp_path / "public" / "app-admin"
    stale_fd, stale_path = create_locked(folder, ".upload-")
    os.write(stale_fd, b"half")
    os.close(stale_fd)  # its writer is gone
    live_fd, live_path = create_locked(folder, ".upload-")
    try:
        found = [p async for p in storage.partial_writes(private=False)]
        assert [(p.key, p.size) for p in found] == [(f"app-admin/{stale_path.name}", 4)]
        objects = [obj.key async for obj in storage.objects(private=False)]
        assert objects == ["app-admin/app.dmg"]
        # A write in progress is never removed, whatever a caller asks.
        live = PartialWrite(f"app-admin/{live_path.name}", 0, 0.0)
        assert not await storage.remove_partial_write(live, private=False)
        # Objects are not partial writes.
        assert not await storage.remove_partial_write(
            PartialWrite("app-admin/app.dmg", 6, 0.0), private=False
        )
        assert await storage.remove_partial_write(found[0], private=False)
        assert not stale_path.exists() and live_path.exists()
        assert not await storage.remove_partial_write(found[0], private=False)
    finally:
        os.close(live_fd)
    assert [p.key async for p in storage.partial_writes(private=False)] == [
        f"app-admin/{live_path.name}"
    ]


async def test_the_local_store_locks_what_it_is_writing(tmp_path):
    storage = LocalStorage(tmp_path, base_url="http://localhost:9000", signing_key=b"k" * 32)
    seen: list[bool] = []

    class Watched(io.RawIOBase):
        """A source that looks at the temporary file while the store writes it."""

        def __init__(self) -> None:
            self.left = 3

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            for path in (tmp_path / "private" / "a").glob(".upload-*"):
                seen.append(lockedfiles.stale(path) is None)
            if not self.left:
                return 0
            self.left -= 1
            buffer[:1] = b"x"
            return 1

    await storage.put("a/b.bin", io.BufferedReader(Watched(), 1), private=True)
    assert seen and all(seen)
    assert [obj.key async for obj in storage.objects(private=True)] == ["a/b.bin"]
    assert [p async for p in storage.partial_writes(private=True)] == []


@pytest.mark.parametrize("storage_kind", ["minio", "aws"])
async def test_unfinished_s3_uploads_are_partial_writes(storage, storage_settings, storage_kind):
    client = s3_client(s3_endpoint(storage_settings))
    bucket = storage_settings.S3_BUCKET_NAME_PRIVATE
    upload = client.create_multipart_upload(Bucket=bucket, Key="app-admin/big.bin")
    client.upload_part(
        Bucket=bucket,
        Key="app-admin/big.bin",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"x" * 10,
    )
    found = [p async for p in storage.partial_writes(private=True)]
    assert [(p.key, p.size, p.upload_id) for p in found] == [
        ("app-admin/big.bin", 10, upload["UploadId"])
    ]
    assert found[0].modified <= time.time() + 60  # moto dates every upload 2010-11-10
    assert [p async for p in storage.partial_writes(private=False)] == []
    assert [obj async for obj in storage.objects(private=True)] == []
    assert await storage.remove_partial_write(found[0], private=True)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert not await storage.remove_partial_write(found[0], private=True)


def test_local_public_links_made_under_another_api_url():
    storage = LocalStorage(Path("/nonexistent"), base_url="http://new:9000", signing_key=b"k")
    assert storage.public_key("http://new:9000/objects/public/a%20b/c.dmg") == "a b/c.dmg"
    assert storage.public_key("http://old:8000/objects/public/a%20b/c.dmg") == "a b/c.dmg"
    assert storage.public_key("https://cdn.example/x/objects/public/a.png") == "a.png"
    assert storage.public_key("http://old:8000/objects/private/a.dmg") is None
    assert storage.public_key("http://old:8000/objects/public/") is None
    assert storage.public_key("file:///objects/public/a.png") is None
