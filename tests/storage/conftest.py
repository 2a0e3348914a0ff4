"""Storage fixtures: local disk, and S3 served by moto's server mode (started once per run)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import boto3
import pytest

from faynosync.config import Settings
from faynosync.storage import ObjectStorage, open_storage
from tests.support.services import moto_server

S3_KEYS = {"S3_ACCESS_KEY": "test-access", "S3_SECRET_KEY": "test-secret"}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """``host:port`` of a moto S3 server for this test run (its own process)."""
    with moto_server() as endpoint:
        yield endpoint


def make_buckets(endpoint: str) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:12]
    public, private = f"public-{suffix}", f"private-{suffix}"
    client = s3_client(endpoint)
    for bucket in (public, private):
        client.create_bucket(Bucket=bucket)
    return public, private


def s3_client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["S3_ACCESS_KEY"],
        aws_secret_access_key=S3_KEYS["S3_SECRET_KEY"],
    )


STORAGE_KINDS = ["local", "minio", "aws"]


@pytest.fixture(params=STORAGE_KINDS)
def storage_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage_settings(storage_kind: str, tmp_path, moto_endpoint) -> Settings:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "FAYNOSYNC_DATA_DIR": tmp_path / "data",
        "API_URL": "http://localhost:9000",
    }
    if storage_kind != "local":
        public, private = make_buckets(moto_endpoint)
        values |= S3_KEYS | {"S3_BUCKET_NAME": public, "S3_BUCKET_NAME_PRIVATE": private}
        if storage_kind == "minio":
            values |= {"STORAGE_DRIVER": "minio", "S3_ENDPOINT": moto_endpoint}
        else:
            values |= {
                "STORAGE_DRIVER": "aws",
                "S3_REGION": "us-east-1",
                "S3_ENDPOINT": f"https://{public}.s3.amazonaws.com",
                "S3_API_ENDPOINT": f"http://{moto_endpoint}",
                "S3_FORCE_PATH_STYLE": "true",
            }
    return Settings(_env_file=None, **values)


@pytest.fixture
async def storage(storage_settings: Settings) -> AsyncIterator[ObjectStorage]:
    async with contextlib.AsyncExitStack() as stack:
        yield await open_storage(storage_settings, stack, signing_key=b"k" * 32)
