"""Request bodies of the catalog routes and the items the lists show.

See docs/behaviour.md#catalog-writes and docs/behaviour.md#lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.core.gojson import GoStruct, required
from faynosync.core.gotime import format_utc
from faynosync.store.models import Kind, Meta, Updater


@dataclass
class ChannelCreate:
    channel: str = required(default="")


@dataclass
class ChannelUpdate:
    id: str = required(default="")
    channel: str = required(default="")


@dataclass
class PlatformCreate:
    platform: str = required(default="")
    updaters: list[Updater] | None = None


@dataclass
class PlatformUpdate:
    id: str = required(default="")
    platform: str = required(default="")
    updaters: list[Updater] | None = required(default=None)


@dataclass
class ArchCreate:
    arch: str = required(default="")


@dataclass
class ArchUpdate:
    id: str = required(default="")
    arch: str = required(default="")


def updaters_public(updaters: list[Updater] | None) -> list[GoStruct] | None:
    if updaters is None:
        return None
    return [GoStruct(type=u.type, default=u.default) for u in updaters]


def meta_public(meta: Meta, *, app_flags: bool = False) -> GoStruct:
    """A list item: struct fields in FaynoSync's order, ``Updated_at`` in UTC; an app's
    ``Tuf``, ``Reports`` and ``CdnEdge`` after ``Private`` with ``app_flags`` (API level 2.1)."""
    item = GoStruct(ID=meta.id)
    if meta.kind is Kind.APP:
        item.update(AppName=meta.name, Logo=meta.logo, Private=meta.private)
        if app_flags:
            item.update(Tuf=meta.tuf, Reports=meta.reports, CdnEdge=meta.cdn_edge)
        item["Description"] = meta.description
    elif meta.kind is Kind.CHANNEL:
        item["ChannelName"] = meta.name
    elif meta.kind is Kind.PLATFORM:
        item.update(PlatformName=meta.name, Updaters=updaters_public(meta.updaters))
    else:
        item["ArchID"] = meta.name
    item.update(Owner=meta.owner, Updated_at=format_utc(meta.updated_at))
    return item


def list_body(
    key: str, metas: list[Meta], *, app_flags: bool = False
) -> dict[str, list[GoStruct] | None]:
    return {key: [meta_public(m, app_flags=app_flags) for m in metas] or None}
