"""Links as FaynoSync stores them (spec section 5.3) and the Content-Type rule (5.1)."""

import pytest

from faynosync.storage.keys import content_type_for, path_escape, private_link
from faynosync.storage.s3 import client_endpoint, public_link
from tests.support.api import make_settings


def test_private_links_path_escape_the_key():
    key = "testapp-admin/nightly/universalPlatform/universalArch/testapp-0.0.2.137.dmg"
    assert private_link("http://localhost:9000", key) == (
        "http://localhost:9000/download?key=testapp-admin%2Fnightly%2FuniversalPlatform"
        "%2FuniversalArch%2Ftestapp-0.0.2.137.dmg"
    )
    assert private_link("", "a b/c") == "/download?key=a%20b%2Fc"


def test_path_escape_is_gos():
    assert path_escape("a b/c;d,e?f$&+:=@~-_.g%h#i") == "a%20b%2Fc%3Bd%2Ce%3Ff$&+:=@~-_.g%25h%23i"
    assert path_escape("ü") == "%C3%BC"


@pytest.mark.parametrize(
    ("driver", "extra", "link"),
    [
        ("minio", {"S3_ENDPOINT": "minio:9010"}, "http://minio:9010/pub/a%20b/c.dmg"),
        (
            "minio",
            {"S3_ENDPOINT": "minio:9010", "MINIO_SECURE": "true"},
            "https://minio:9010/pub/a%20b/c.dmg",
        ),
        (
            "aws",
            {"S3_ENDPOINT": "https://pub.s3.amazonaws.com"},
            "https://pub.s3.amazonaws.com/a b/c.dmg",
        ),
        (
            "digitalocean",
            {"S3_ENDPOINT": "nyc3.digitaloceanspaces.com"},
            "https://pub.nyc3.digitaloceanspaces.com/a b/c.dmg",
        ),
    ],
)
def test_public_links_per_driver(driver, extra, link):
    settings = make_settings(STORAGE_DRIVER=driver, S3_BUCKET_NAME="pub", **extra)
    assert public_link(settings, "a b/c.dmg") == link


@pytest.mark.parametrize(
    ("extra", "endpoint"),
    [
        ({"STORAGE_DRIVER": "minio", "S3_ENDPOINT": "minio:9010"}, "http://minio:9010"),
        ({"STORAGE_DRIVER": "digitalocean", "S3_ENDPOINT": "fra1.x.com"}, "https://fra1.x.com"),
        ({"STORAGE_DRIVER": "aws", "S3_ENDPOINT": "https://b.s3.amazonaws.com"}, None),
        ({"STORAGE_DRIVER": "aws", "S3_API_ENDPOINT": "http://garage:3900"}, "http://garage:3900"),
    ],
)
def test_client_endpoints(extra, endpoint):
    assert client_endpoint(make_settings(**extra)) == endpoint


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("RELEASES", "text/plain"),
        ("releases", "text/plain"),
        ("dir/RELEASES", "text/plain"),
        ("latest.yml", "text/yaml"),
        ("latest-mac.YAML", "text/yaml"),
        ("RELEASES.txt", None),
        ("app.dmg", None),
    ],
)
def test_content_types(name, content_type):
    assert content_type_for(name) == content_type


def test_minio_links_are_signed_for_the_public_endpoint():
    from faynosync.storage.s3 import presign_endpoint

    settings = make_settings(
        STORAGE_DRIVER="minio",
        S3_ENDPOINT="localhost:9010",
        S3_API_ENDPOINT="http://s3:9010",
    )
    assert (client_endpoint(settings), presign_endpoint(settings)) == (
        "http://s3:9010",
        "http://localhost:9010",
    )
    aws = make_settings(STORAGE_DRIVER="aws", S3_API_ENDPOINT="http://garage:3900")
    assert presign_endpoint(aws) == client_endpoint(aws)
