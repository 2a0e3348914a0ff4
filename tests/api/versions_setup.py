"""A tenant ready for versions: an app, a channel, a platform and an arch."""

from __future__ import annotations

from types import SimpleNamespace

from tests.support.api import create, create_app


async def catalog(
    client, headers, *, private: bool = True, app: str = "testapp"
) -> SimpleNamespace:
    extra = {"private": "true"} if private else {}
    return SimpleNamespace(
        app=await create_app(client, headers, app, **extra),
        channel=await create(client, headers, "channel", "nightly"),
        platform=await create(client, headers, "platform", "universalPlatform"),
        arch=await create(client, headers, "arch", "universalArch"),
    )


def target(**extra: object) -> dict[str, object]:
    return {
        "app_name": "testapp",
        "version": "0.0.1.137",
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        **extra,
    }
