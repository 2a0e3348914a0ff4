"""What an upload sends: the version it names and the ``data`` JSON of ``POST /upload``, with the
keys FaynoSync's clients send (docs/behaviour.md and the spec's ``/upload``)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """The version document an upload lands in, and the platform and arch of its files."""

    app: str
    version: str
    channel: str = ""
    platform: str = ""
    arch: str = ""

    @property
    def stored_version(self) -> str:
        """The version as the server stores it: every ``-`` read as ``.``."""
        return self.version.replace("-", ".")


@dataclass(frozen=True)
class Release:
    target: Target
    publish: bool = False
    critical: bool = False
    intermediate: bool = False
    changelog: str = ""
    updater: str = ""
    signature: str = ""
    rollout: int | None = None

    def data(self) -> str:
        """The ``data`` field: FaynoSync's keys, optional ones only when set."""
        body: dict[str, object] = {
            "app_name": self.target.app,
            "version": self.target.version,
            "channel": self.target.channel,
            "publish": self.publish,
            "platform": self.target.platform,
            "arch": self.target.arch,
            "critical": self.critical,
            "intermediate": self.intermediate,
        }
        for key, value in (
            ("changelog", self.changelog),
            ("updater", self.updater),
            ("signature", self.signature),
        ):
            if value:
                body[key] = value
        if self.rollout is not None:
            body["rollout"] = self.rollout
        return json.dumps(body, ensure_ascii=False)


def extension(name: str) -> str:
    """The extension the server files an artifact under: from the last dot, "" without one."""
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""
