"""The ``data`` JSON of /upload, /apps/update and /artifact/delete, and /search's items."""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.core.gojson import GoStruct
from faynosync.core.gotime import format_utc
from faynosync.store.models import Version


@dataclass
class VersionData:
    """One Go struct serves the three routes; each reads the keys it needs (types strict)."""

    id: str = ""
    app_name: str = ""
    version: str = ""
    channel: str = ""
    platform: str = ""
    arch: str = ""
    publish: bool = False
    critical: bool = False
    intermediate: bool = False
    changelog: str = ""
    updater: str = ""
    signature: str = ""
    artifacts_to_delete: list[str] | None = None


def version_item(version: Version, app_name: str, names: dict[str, str]) -> GoStruct:
    """A /search (and ``GET /``) item; ``names`` maps channel/platform/arch ids to names."""
    return GoStruct(
        ID=version.id,
        AppName=app_name,
        Version=version.version,
        Channel=names.get(version.channel_id, ""),
        Published=version.published,
        Critical=version.critical,
        Intermediate=version.required_intermediate,
        Artifacts=[
            GoStruct(
                link=a.link,
                platform=names.get(a.platform, ""),
                arch=names.get(a.arch, ""),
                package=a.package,
            )
            for a in version.artifacts
        ],
        Changelog=[
            GoStruct(Version=c.version, Changes=c.changes, Date=c.date) for c in version.changelog
        ],
        Updated_at=format_utc(version.updated_at),
    )
