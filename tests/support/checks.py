"""The integration tests' tenant and the spec's update-check scenarios, for the check routes."""

from __future__ import annotations

import httpx

from faynosync.storage.keys import private_link
from tests.support.api import API_URL, admin_headers, create, create_app, upload

PRIVATE = "testapp-admin/nightly/universalPlatform/universalArch/testapp-{}"


def link(version: str, ext: str = "") -> str:
    return private_link(API_URL, PRIVATE.format(version) + ext)


async def publish(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    version: str,
    *files: tuple[str, bytes],
    **data: object,
) -> str:
    """Upload ``version`` of testapp (published unless ``publish=False``); its id."""
    body = {
        "app_name": "testapp",
        "version": version,
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        "publish": True,
        **data,
    }
    response = await upload(client, headers, body, *files)
    assert response.status_code == 200, response.text
    return str(response.json()["uploadResult.Uploaded"])


FILES = (("LICENSE", b"l"), ("app.dmg", b"d"), ("app.pkg", b"p"))


async def set_up_tenant(client: httpx.AsyncClient) -> dict[str, str]:
    """The integration tests' app: private, nightly, two published versions."""
    headers = await admin_headers(client)
    await create_app(client, headers, "testapp", private="true")
    await create(client, headers, "channel", "nightly")
    await create(client, headers, "platform", "universalPlatform")
    await create(client, headers, "arch", "universalArch")
    await publish(client, headers, "0.0.1.137", *FILES)
    await publish(client, headers, "0.0.2.137", *FILES, critical=True, changelog="### Changelog")
    return headers


async def check(
    client: httpx.AsyncClient, version: str, *, device: str | None = None, **params: str | None
) -> httpx.Response:
    """GET /checkVersion for testapp on the tenant's catalog; None leaves a parameter out;
    ``device`` is sent as ``X-Device-ID``."""
    query: dict[str, str | None] = {
        "app_name": "testapp",
        "version": version,
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        "owner": "admin",
        **params,
    }
    return await client.get(
        "/checkVersion",
        params={k: v for k, v in query.items() if v is not None},
        headers={"X-Device-ID": device} if device else {},
    )


def urls(version: str) -> dict[str, str]:
    return {
        "update_url": link(version),
        "update_url_dmg": link(version, ".dmg"),
        "update_url_pkg": link(version, ".pkg"),
    }


async def latest(client: httpx.AsyncClient, **params: str | None) -> httpx.Response:
    """GET /apps/latest for testapp; None leaves a parameter out."""
    query: dict[str, str | None] = {
        "app_name": "testapp",
        "channel": "nightly",
        "owner": "admin",
        **params,
    }
    return await client.get(
        "/apps/latest", params={k: v for k, v in query.items() if v is not None}
    )


# The spec's intermediate example (nightly, secondPlatform and secondArch): versions and flags.
INTERMEDIATES: list[tuple[str, dict[str, bool]]] = [
    ("0.0.6.135", {"intermediate": True}),
    ("0.0.7.137", {"intermediate": True}),
    ("0.0.8.136", {}),
    ("0.0.9.137", {"intermediate": True, "critical": True}),
    ("0.0.10.138", {}),
]
SECOND = {"platform": "secondPlatform", "arch": "secondArch"}


def second(version: str) -> str:
    key = f"testapp-admin/nightly/secondPlatform/secondArch/testapp-{version}.dmg"
    return private_link(API_URL, key)


# The spec's intermediate example: the answer to each client version.
INTERMEDIATE_ANSWERS: list[tuple[str, dict[str, object]]] = [
    (
        "0.0.6.135",
        {
            "critical": False,
            "is_intermediate_required": True,
            "update_available": True,
            "update_url_dmg": second("0.0.7.137"),
        },
    ),
    (
        "0.0.7.137",
        {
            "critical": True,
            "is_intermediate_required": True,
            "update_available": True,
            "update_url_dmg": second("0.0.9.137"),
        },
    ),
    (
        "0.0.8.136",
        {
            "critical": True,
            "is_intermediate_required": True,
            "update_available": True,
            "update_url_dmg": second("0.0.9.137"),
        },
    ),
    (
        "0.0.9.137",
        {"critical": False, "update_available": True, "update_url_dmg": second("0.0.10.138")},
    ),
    (
        "0.0.10.138",
        {
            "critical": False,
            "possible_rollback": False,
            "update_available": False,
            "update_url_dmg": second("0.0.10.138"),
        },
    ),
]
