"""Storage settings for tests (local disk or S3 on moto) and a look at what is stored."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from faynosync.config import Settings

S3_KEYS = {"S3_ACCESS_KEY": "test-access", "S3_SECRET_KEY": "test-secret"}


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["S3_ACCESS_KEY"],
        aws_secret_access_key=S3_KEYS["S3_SECRET_KEY"],
    )


def make_buckets(endpoint: str) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:12]
    public, private = f"public-{suffix}", f"private-{suffix}"
    client = s3_client(endpoint)
    for bucket in (public, private):
        client.create_bucket(Bucket=bucket)
    return public, private


def storage_overrides(kind: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for ``kind`` (local, minio, aws); S3 kinds get fresh buckets on moto."""
    if kind == "local":
        return {}
    endpoint = request.getfixturevalue("moto_endpoint")
    public, private = make_buckets(endpoint)
    values: dict[str, Any] = S3_KEYS | {"S3_BUCKET_NAME": public, "S3_BUCKET_NAME_PRIVATE": private}
    if kind == "minio":
        return values | {"STORAGE_DRIVER": "minio", "S3_ENDPOINT": endpoint}
    return values | {
        "STORAGE_DRIVER": "aws",
        "S3_REGION": "us-east-1",
        "S3_ENDPOINT": f"https://{public}.s3.amazonaws.com",
        "S3_API_ENDPOINT": f"http://{endpoint}",
        "S3_FORCE_PATH_STYLE": "true",
    }


def s3_endpoint(settings: Settings) -> str:
    return settings.S3_API_ENDPOINT.removeprefix("http://") or settings.S3_ENDPOINT


def stored_objects(settings: Settings) -> set[tuple[str, str]]:
    """Every object in both buckets as (``public``|``private``, key)."""
    if not settings.STORAGE_DRIVER:
        root = Path(settings.FAYNOSYNC_DATA_DIR) / "objects"
        return {
            (path.relative_to(root).parts[0], "/".join(path.relative_to(root).parts[1:]))
            for path in root.rglob("*")
            if path.is_file()
        }
    client = s3_client(s3_endpoint(settings))
    found = set()
    for name, bucket in (
        ("public", settings.S3_BUCKET_NAME),
        ("private", settings.S3_BUCKET_NAME_PRIVATE),
    ):
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            found.add((name, item["Key"]))
    return found


def read_object(settings: Settings, bucket: str, key: str) -> bytes:
    if not settings.STORAGE_DRIVER:
        return (Path(settings.FAYNOSYNC_DATA_DIR) / "objects" / bucket / key).read_bytes()
    name = settings.S3_BUCKET_NAME if bucket == "public" else settings.S3_BUCKET_NAME_PRIVATE
    body: bytes = s3_client(s3_endpoint(settings)).get_object(Bucket=name, Key=key)["Body"].read()
    return body
