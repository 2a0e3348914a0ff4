"""The read-only commands' answers as tables for a reader (``--json`` prints the server's own)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, the last one left ragged."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def apps(body: dict[str, Any]) -> str:
    items = body.get("apps") or []
    if not items:
        return "no apps"
    rows = [
        [
            str(app.get("AppName", "")),
            "private" if app.get("Private") else "public",
            str(app.get("ID", "")),
            str(app.get("Updated_at", "")),
            str(app.get("Description", "")),
        ]
        for app in items
    ]
    return table(["APP", "ACCESS", "ID", "UPDATED", "DESCRIPTION"], rows)


def _artifacts(item: dict[str, Any]) -> str:
    shown = []
    for artifact in item.get("Artifacts") or []:
        where = "/".join(p for p in (artifact.get("platform"), artifact.get("arch")) if p)
        shown.append(f"{where} {artifact.get('package') or '(no ext)'}".strip())
    return ", ".join(shown)


def versions(body: dict[str, Any]) -> str:
    items = body.get("items") or []
    total = body.get("total", 0)
    if not items:
        return f"no versions on this page ({total} in all)"
    rows = [
        [
            str(item.get("Version", "")),
            str(item.get("Channel", "")),
            _yes(item.get("Published")),
            _yes(item.get("Critical")),
            _yes(item.get("Intermediate")),
            str(item.get("Updated_at", "")),
            _artifacts(item),
        ]
        for item in items
    ]
    headers = ["VERSION", "CHANNEL", "PUBLISHED", "CRITICAL", "INTERMEDIATE", "UPDATED"]
    shown = (
        f"{len(items)} of {total} versions (page {body.get('page')}, {body.get('limit')} a page)"
    )
    return table([*headers, "ARTIFACTS"], rows) + f"\n{shown}"


def check(body: dict[str, Any]) -> str:
    """A ``/checkVersion`` JSON answer: the verdict first, then every key."""
    if "update_available" in body:
        verdict = "update available" if body["update_available"] else "no update"
    else:
        verdict = "answer"
    if body.get("is_intermediate_required"):
        verdict += " (a required intermediate version)"
    if body.get("possible_rollback"):
        verdict += " (the client is ahead of the latest version: a rollback is possible)"
    rows = [[key, _shown(value)] for key, value in sorted(body.items())]
    return verdict + "\n" + table(["KEY", "VALUE"], rows)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, str):
        return value.replace("\n", "\\n")
    return str(value)
