"""Test data: documents written straight into the store, and tenants set up over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from faynosync.core import gojson, gotime
from faynosync.core.ids import ZERO_ID, new_id
from faynosync.core.security import hash_password
from faynosync.store import Store
from faynosync.store.models import Admin, Artifact, ChangelogEntry, Permissions, TeamUser, Version
from tests.support.api import admin_headers, create, create_app, upload

WHEN = datetime(2024, 8, 3, 11, 46, 42, 361000, tzinfo=UTC)

# --- straight into the store ------------------------------------------------------------------


def store_of(target: FastAPI | Store) -> Store:
    """The store itself, or a running app's."""
    if isinstance(target, FastAPI):
        store: Store = target.state.store
        return store
    return target


def admin(username: str = "admin", password: str = "$2a$10$hash") -> Admin:
    """An admin document (not stored)."""
    return Admin(id=new_id(), username=username, password=password, updated_at=WHEN)


async def add_admin(
    target: FastAPI | Store, username: str = "admin", password: str = "pw"
) -> Admin:
    """An admin with this password, written into the (app's) store."""
    seeded = admin(username, hash_password(password))
    await store_of(target).admins.insert(seeded)
    return seeded


async def add_team_user(
    target: FastAPI | Store,
    username: str = "teamuser1",
    password: str = "tpass",
    owner: str = "admin",
    **perms: Any,
) -> TeamUser:
    """A team user of ``owner`` with these permissions, written into the (app's) store."""
    user = TeamUser(
        id=new_id(),
        username=username,
        password=hash_password(password),
        owner=owner,
        permissions=Permissions(**perms),
        updated_at=gotime.now(),
    )
    await store_of(target).team_users.insert(user)
    return user


async def add_version(
    target: FastAPI | Store,
    *,
    app_id: str = ZERO_ID,
    channel: str = ZERO_ID,
    platform: str = ZERO_ID,
    arch: str = ZERO_ID,
) -> None:
    """A published version 1.0.0 of admin's with one artifact, written into the (app's) store."""
    version = Version(
        id=new_id(),
        app_id=app_id,
        version="1.0.0",
        channel_id=channel,
        published=True,
        critical=False,
        required_intermediate=False,
        artifacts=[Artifact(link="l", platform=platform, arch=arch, package=".dmg")],
        changelog=[ChangelogEntry(version="1.0.0", changes="", date="2024-01-01")],
        updated_at=gotime.now(),
        owner="admin",
    )
    await store_of(target).versions.insert(version)


# --- over HTTP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """The ids of a tenant ready for versions."""

    app: str
    channel: str
    platform: str
    arch: str


async def catalog(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    private: bool = True,
    app: str = "testapp",
) -> Catalog:
    """A tenant ready for versions: an app, a channel, a platform and an arch."""
    extra = {"private": "true"} if private else {}
    return Catalog(
        app=await create_app(client, headers, app, **extra),
        channel=await create(client, headers, "channel", "nightly"),
        platform=await create(client, headers, "platform", "universalPlatform"),
        arch=await create(client, headers, "arch", "universalArch"),
    )


def target(**extra: object) -> dict[str, object]:
    """The upload data of testapp 0.0.1.137 on the catalog's channel, platform and arch."""
    return {
        "app_name": "testapp",
        "version": "0.0.1.137",
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        **extra,
    }


PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
PRIVATE_KEY = "testapp-admin/nightly/universalPlatform/universalArch/testapp-0.0.1.137.dmg"
PUBLIC_KEY = "pubapp-other/nightly/universalPlatform/universalArch/pubapp-0.0.1.137.dmg"
LOGO_KEY = "pubapp-other/pubapp-logo.png"


async def tenants(client: httpx.AsyncClient) -> None:
    """admin: a private app with a version; other: a public app with a logo and a version."""
    admin = await admin_headers(client)
    await catalog(client, admin, private=True)
    response = await upload(client, admin, target(), ("app.dmg", b"private build"))
    assert response.status_code == 200, response.text
    other = await admin_headers(client, "other")
    response = await client.post(
        "/app/create",
        files={
            "data": (None, gojson.dumps({"app": "pubapp"})),
            "file": ("logo.png", PNG, "image/png"),
        },
        headers=other,
    )
    assert response.status_code == 200, response.text
    for kind, name in (("channel", "nightly"), ("platform", "universalPlatform")):
        await create(client, other, kind, name)
    await create(client, other, "arch", "universalArch")
    response = await upload(client, other, target(app_name="pubapp"), ("pub.dmg", b"public"))
    assert response.status_code == 200, response.text
