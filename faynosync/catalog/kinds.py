"""What differs between apps, channels, platforms and archs: names, labels and messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from faynosync.access.permissions import Resource
from faynosync.core import names
from faynosync.store.models import Kind


@dataclass(frozen=True)
class KindRules:
    kind: Kind
    label: str  # in messages: "channel not found"
    title: str  # in result keys: "createChannelResult.Created"
    resource: Resource  # permission matrix and `allowed` list
    name_pattern: re.Pattern[str] | None  # None: any non-empty name (apps)
    invalid_name: str
    list_key: str

    @property
    def created_key(self) -> str:
        return f"create{self.title}Result.Created"

    @property
    def updated_key(self) -> str:
        return f"update{self.title}Result.Updated"

    @property
    def deleted_key(self) -> str:
        return f"delete{self.title}Result.DeletedCount"

    @property
    def duplicate(self) -> str:
        return f"{self.label} with this name already exists"


APP = KindRules(Kind.APP, "app", "App", Resource.APPS, None, "", "apps")
CHANNEL = KindRules(
    Kind.CHANNEL,
    "channel",
    "Channel",
    Resource.CHANNELS,
    names.CHANNEL,
    "invalid channel name",
    "channels",
)
PLATFORM = KindRules(
    Kind.PLATFORM,
    "platform",
    "Platform",
    Resource.PLATFORMS,
    names.PLATFORM,
    "invalid platform name",
    "platforms",
)
ARCH = KindRules(
    Kind.ARCH, "arch", "Arch", Resource.ARCHS, names.ARCH, "invalid architecture name", "archs"
)
