"""Slack messages after uploads: posted in the background, never failing one.

See docs/behaviour.md#slack-messages.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from faynosync.catalog.references import name_of
from faynosync.config import Settings
from faynosync.store import Store
from faynosync.store.models import Kind, Version

log = logging.getLogger(__name__)

TIMEOUT = 10.0


async def message_blocks(store: Store, version: Version) -> list[dict[str, object]]:
    """The Block Kit message FaynoSync posts for a version (names resolved)."""

    def text(value: str) -> dict[str, str]:
        return {"type": "mrkdwn", "text": value}

    def header(value: str) -> dict[str, object]:
        return {"type": "header", "text": {"type": "plain_text", "text": value}}

    app = await name_of(store, Kind.APP, version.app_id)
    channel = await name_of(store, Kind.CHANNEL, version.channel_id)
    blocks: list[dict[str, object]] = [
        header("New version of application is uploaded"),
        {
            "type": "section",
            "fields": [
                text(f":package: *App name:*\n{app}"),
                text(f":bubbles: *Channel name:*\n{channel}"),
                text(f":vs: *Version:*\n{version.version}"),
                text(f":loudspeaker: *Published:*\n{str(version.published).lower()}"),
                text(f":warning: *Critical:*\n{str(version.critical).lower()}"),
            ],
        },
        {"type": "divider"},
        header(":link: Artifacts:"),
    ]
    seen: set[tuple[str, str]] = set()
    for artifact in version.artifacts:
        if (artifact.link, artifact.package) in seen:
            continue
        seen.add((artifact.link, artifact.package))
        platform = await name_of(store, Kind.PLATFORM, artifact.platform)
        arch = await name_of(store, Kind.ARCH, artifact.arch)
        button = {"type": "plain_text", "text": artifact.package.lstrip(".") or "no-ext"}
        blocks.append(
            {
                "type": "section",
                "text": text(f"*Download for {platform} (architecture: {arch}):*"),
                "accessory": {"type": "button", "text": button, "url": artifact.link},
            }
        )
    changes = [entry.changes for entry in version.changelog if entry.changes]
    if changes:
        blocks += [
            {"type": "divider"},
            header(":memo: Changelog:"),
            {"type": "section", "text": text("```- " + "\n- ".join(changes) + "```")},
        ]
    return blocks


class SlackNotifier:
    """Posts with the bot token to ``chat.postMessage``; tasks are awaited on shutdown."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store
        self._client = httpx.AsyncClient(base_url=settings.SLACK_API_URL, timeout=TIMEOUT)
        self._tasks: set[asyncio.Task[None]] = set()

    def version_uploaded(self, version_id: str) -> None:
        task = asyncio.create_task(self._post(version_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, version_id: str) -> None:
        try:
            async with asyncio.timeout(TIMEOUT):
                version = await self._store.versions.get(version_id)
                if version is None:
                    return
                token = self._settings.SLACK_BOT_TOKEN
                response = await self._client.post(
                    "/chat.postMessage",
                    headers={"Authorization": f"Bearer {token}"} if token else {},
                    json={
                        "channel": self._settings.SLACK_CHANNEL,
                        "text": "New version of application is uploaded",
                        "blocks": await message_blocks(self._store, version),
                    },
                )
                if response.status_code != 200 or not response.json().get("ok", False):
                    log.warning("slack answered %s: %s", response.status_code, response.text[:200])
        except Exception:
            log.exception("slack notification for version %s failed", version_id)

    async def drain(self) -> None:
        """Wait for the messages under way (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
        await self._client.aclose()
