"""Object storage on S3 and S3-compatible servers (AWS, MinIO, DigitalOcean Spaces, Garage).

One aioboto3 client, opened in the application's lifespan. Uploads use botocore's managed
multipart transfer, reading the source in chunks. Links follow FaynoSync's rules per driver
(docs/behaviour.md#links).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

import aioboto3
from aiobotocore.config import AioConfig
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from faynosync.config import Settings
from faynosync.storage.keys import check_key
from faynosync.storage.protocol import (
    PRESIGN_SECONDS,
    ObjectNotFound,
    PartialWrite,
    StorageError,
    StorageFull,
    StoredObject,
)

MULTIPART_CHUNK = 8 * 1024 * 1024
# Memory is bounded by the parts in flight plus the queue: (2 + 1) x 8 MiB, whatever the size.
_TRANSFER = TransferConfig(
    multipart_threshold=MULTIPART_CHUNK,
    multipart_chunksize=MULTIPART_CHUNK,
    max_concurrency=2,
    max_io_queue=1,
)


# What S3-compatible servers answer when their disks are full (MinIO; RFC 4918's status name).
_FULL_CODES = frozenset({"XMinioStorageFull", "InsufficientStorage"})


def client_endpoint(settings: Settings) -> str | None:
    """The URL the S3 client talks to (S3_API_ENDPOINT wins; AWS uses its regional default)."""
    if settings.S3_API_ENDPOINT:
        return settings.S3_API_ENDPOINT
    driver = settings.STORAGE_DRIVER
    if driver == "minio":
        scheme = "https" if settings.MINIO_SECURE else "http"
        return f"{scheme}://{settings.S3_ENDPOINT}"
    if driver == "digitalocean":
        return f"https://{settings.S3_ENDPOINT}"
    return None


def _link_prefix(settings: Settings) -> str:
    """What FaynoSync's public links put before the key, per driver (docs/behaviour.md#links)."""
    driver, bucket, endpoint = (
        settings.STORAGE_DRIVER,
        settings.S3_BUCKET_NAME,
        settings.S3_ENDPOINT,
    )
    if driver == "minio":
        scheme = "https" if settings.MINIO_SECURE else "http"
        return f"{scheme}://{endpoint}/{bucket}/"
    if driver == "digitalocean":
        return f"https://{bucket}.{endpoint}/"
    return f"{endpoint}/"


def presign_endpoint(settings: Settings) -> str | None:
    """Where presigned links point. For MinIO that is S3_ENDPOINT, as FaynoSync signs them, even
    when the server itself reaches MinIO elsewhere (S3_API_ENDPOINT, e.g. inside compose)."""
    if settings.STORAGE_DRIVER == "minio":
        scheme = "https" if settings.MINIO_SECURE else "http"
        return f"{scheme}://{settings.S3_ENDPOINT}"
    return client_endpoint(settings)


def public_link(settings: Settings, key: str) -> str:
    """The public bucket's URL of ``key``: path-escaped for MinIO, as it is for the others."""
    if settings.STORAGE_DRIVER == "minio":
        key = quote(key, safe="/")
    return _link_prefix(settings) + key


def public_key(settings: Settings, link: str) -> str | None:
    """The key behind a public link, None if it is not one.

    Links made with the current settings are reversed exactly; older ones go through
    FaynoSync's parsing rules (docs/behaviour.md#keys-from-links), decoded once so that ``+`` and
    ``%`` survive.
    """
    prefix = _link_prefix(settings)
    if link.startswith(prefix) and len(link) > len(prefix):
        rest = link[len(prefix) :]
        return unquote(rest) if settings.STORAGE_DRIVER == "minio" else rest
    bare = link.split("://", 1)[-1]
    endpoint = settings.S3_ENDPOINT.split("://", 1)[-1]
    if ".digitaloceanspaces.com/" in bare:
        return unquote(bare.split(".digitaloceanspaces.com/")[1])
    if ".s3." in bare and ".amazonaws.com/" in bare:
        return unquote(bare.split(".amazonaws.com/")[1])
    if "s3.amazonaws.com/" in bare:
        path = bare.split("s3.amazonaws.com/")[1]
        return unquote(path.split("/", 1)[1]) if "/" in path else None
    with_bucket = f"{endpoint}/{settings.S3_BUCKET_NAME}/"
    if endpoint and with_bucket in bare:
        return unquote(bare.split(with_bucket)[1])
    if endpoint and bare.startswith(f"{endpoint}/"):
        return unquote(bare[len(endpoint) + 1 :])
    return None


class S3Storage:
    def __init__(self, settings: Settings, client: Any, presigner: Any = None) -> None:
        self._settings = settings
        self._client = client
        self._presigner = presigner or client
        self._acl = settings.STORAGE_DRIVER in ("aws", "digitalocean") and not (
            settings.S3_DISABLE_OBJECT_ACL
        )

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, settings: Settings) -> AsyncIterator[S3Storage]:
        path_style = settings.S3_FORCE_PATH_STYLE or settings.STORAGE_DRIVER == "minio"
        config = AioConfig(
            signature_version="s3v4",
            s3={"addressing_style": "path" if path_style else "auto"},
            request_checksum_calculation=settings.AWS_REQUEST_CHECKSUM_CALCULATION,
            response_checksum_validation=settings.AWS_RESPONSE_CHECKSUM_VALIDATION,
        )
        session = aioboto3.Session()

        def client(endpoint: str | None) -> Any:
            return session.client(
                "s3",
                endpoint_url=endpoint,
                region_name=settings.S3_REGION or "us-east-1",
                aws_access_key_id=settings.S3_ACCESS_KEY or None,
                aws_secret_access_key=settings.S3_SECRET_KEY or None,
                config=config,
            )

        async with contextlib.AsyncExitStack() as stack:
            api = await stack.enter_async_context(client(client_endpoint(settings)))
            presigner = None
            if presign_endpoint(settings) != client_endpoint(settings):
                presigner = await stack.enter_async_context(client(presign_endpoint(settings)))
            yield cls(settings, api, presigner)

    def _bucket(self, private: bool) -> str:
        return self._settings.S3_BUCKET_NAME_PRIVATE if private else self._settings.S3_BUCKET_NAME

    async def put(
        self, key: str, source: BinaryIO, *, private: bool, content_type: str | None = None
    ) -> None:
        extra: dict[str, str] = {}
        if content_type:
            extra["ContentType"] = content_type
        if self._acl and not private:
            extra["ACL"] = "public-read"
        try:
            await self._client.upload_fileobj(
                source, self._bucket(private), check_key(key), ExtraArgs=extra, Config=_TRANSFER
            )
        except ClientError as exc:
            full = exc.response.get("Error", {}).get("Code") in _FULL_CODES
            raise (StorageFull if full else StorageError)(f"cannot store {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot store {key}: {exc}") from exc

    async def put_file(
        self, key: str, path: Path, *, private: bool, content_type: str | None = None
    ) -> None:
        with path.open("rb") as handle:
            await self.put(key, handle, private=private, content_type=content_type)

    async def get(
        self, key: str, *, private: bool, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        params = {"Bucket": self._bucket(private), "Key": check_key(key)}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = await self._client.get_object(**params)
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                raise ObjectNotFound(key) from None
            raise StorageError(str(exc)) from exc
        except BotoCoreError as exc:
            raise StorageError(str(exc)) from exc
        body = response["Body"]
        try:
            async for chunk in body.iter_chunks(1024 * 1024):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str, *, private: bool) -> None:
        try:
            await self._client.delete_object(Bucket=self._bucket(private), Key=check_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot delete {key}: {exc}") from exc

    async def presign(self, key: str) -> str:
        try:
            url: str = await self._presigner.generate_presigned_url(
                "get_object",
                Params={"Bucket": self._bucket(True), "Key": check_key(key)},
                ExpiresIn=PRESIGN_SECONDS,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(str(exc)) from exc
        return url

    def public_link(self, key: str) -> str:
        return public_link(self._settings, check_key(key))

    def public_key(self, link: str) -> str | None:
        return public_key(self._settings, link)

    async def objects(self, *, private: bool) -> AsyncIterator[StoredObject]:
        bucket = self._bucket(private)
        try:
            async for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    modified = item["LastModified"].timestamp()
                    yield StoredObject(item["Key"], int(item["Size"]), modified)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot list {bucket}: {exc}") from exc

    async def partial_writes(self, *, private: bool) -> AsyncIterator[PartialWrite]:
        bucket = self._bucket(private)
        try:
            async for page in self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=bucket
            ):
                for upload in page.get("Uploads", []):
                    key, upload_id = upload["Key"], upload["UploadId"]
                    size = await self._uploaded_size(bucket, key, upload_id)
                    if size is not None:
                        began = upload["Initiated"].timestamp()
                        yield PartialWrite(key, size, began, upload_id)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot list the uploads of {bucket}: {exc}") from exc

    async def _uploaded_size(self, bucket: str, key: str, upload_id: str) -> int | None:
        """The bytes of an unfinished multipart upload's parts; None once it is finished."""
        size = 0
        try:
            async for page in self._client.get_paginator("list_parts").paginate(
                Bucket=bucket, Key=key, UploadId=upload_id
            ):
                size += sum(int(part["Size"]) for part in page.get("Parts", []))
        except ClientError as exc:
            if _error_code(exc) == "NoSuchUpload":
                return None
            raise
        return size

    async def remove_partial_write(self, partial: PartialWrite, *, private: bool) -> bool:
        try:
            await self._client.abort_multipart_upload(
                Bucket=self._bucket(private), Key=partial.key, UploadId=partial.upload_id
            )
        except ClientError as exc:
            if _error_code(exc) == "NoSuchUpload":
                return False
            raise StorageError(f"cannot abort the upload of {partial.key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot abort the upload of {partial.key}: {exc}") from exc
        return True


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class UnsupportedStorage:
    """What an unknown STORAGE_DRIVER gets: the server starts, every storage call fails."""

    def __init__(self, driver: str) -> None:
        self._message = f"unknown storage driver: {driver}"

    def _fail(self) -> StorageError:
        return StorageError(self._message)

    async def put(
        self, key: str, source: BinaryIO, *, private: bool, content_type: str | None = None
    ) -> None:
        raise self._fail()

    async def put_file(
        self, key: str, path: Path, *, private: bool, content_type: str | None = None
    ) -> None:
        raise self._fail()

    async def get(
        self, key: str, *, private: bool, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        raise self._fail()
        yield b""  # pragma: no cover - makes this an async generator like the others

    async def delete(self, key: str, *, private: bool) -> None:
        raise self._fail()

    async def presign(self, key: str) -> str:
        raise self._fail()

    def public_link(self, key: str) -> str:
        return ""

    def public_key(self, link: str) -> str | None:
        return None

    async def objects(self, *, private: bool) -> AsyncIterator[StoredObject]:
        raise self._fail()
        yield  # pragma: no cover - makes this an async generator like the others

    async def partial_writes(self, *, private: bool) -> AsyncIterator[PartialWrite]:
        raise self._fail()
        yield  # pragma: no cover - makes this an async generator like the others

    async def remove_partial_write(self, partial: PartialWrite, *, private: bool) -> bool:
        raise self._fail()
