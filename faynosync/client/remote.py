"""What the server already holds of a release: its version found through ``/search``, and each
artifact compared with a local file by size and sha256, streamed back through its link."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from faynosync.client.multipart import CHUNK, FilePart
from faynosync.client.release import Target, extension
from faynosync.client.transport import Connection, ServerError, decoded, error_text

PAGE = 100
# /search's answer (a 500) when the app, channel, platform or arch does not exist.
NOT_FOUND = "not found in apps_meta collection"


@dataclass
class Holdings:
    """Each local file: on the server with the same bytes, with others, or not there."""

    same: list[FilePart] = field(default_factory=list)
    different: list[tuple[FilePart, str]] = field(default_factory=list)
    missing: list[FilePart] = field(default_factory=list)
    unverifiable: list[tuple[FilePart, str]] = field(default_factory=list)


def search_version(connection: Connection, target: Target) -> dict[str, Any] | None:
    """The ``/search`` item of the target's version with an artifact of its platform and arch,
    or None (also when the app, platform or arch does not exist yet)."""
    page = 1
    while True:
        params = {"app_name": target.app, "limit": str(PAGE), "page": str(page)}
        params.update(
            {k: v for k, v in (("platform", target.platform), ("arch", target.arch)) if v}
        )
        try:
            answer = connection.get_json("/search", params=params)
        except ServerError as exc:
            if exc.status == 500 and NOT_FOUND in exc.message:
                return None
            raise
        items = answer.get("items") or []
        for item in items:
            if item.get("Version") == target.stored_version:
                return dict(item)
        if not items or page * PAGE >= int(answer.get("total") or 0):
            return None
        page += 1


def holdings(connection: Connection, target: Target, files: list[FilePart]) -> Holdings:
    """Compare ``files`` with the artifacts the server holds for the target."""
    found = Holdings()
    item = search_version(connection, target)
    artifacts = [
        artifact
        for artifact in (item or {}).get("Artifacts") or []
        if artifact.get("platform") == target.platform and artifact.get("arch") == target.arch
    ]
    for part in files:
        link = _matching_link(artifacts, part.name)
        if link is None:
            found.missing.append(part)
            continue
        try:
            remote_size, remote_hash = fingerprint(connection, link)
        except ServerError as exc:
            found.unverifiable.append((part, f"{link} answered {exc.status}: {exc.message}"))
            continue
        if remote_size != part.size:
            found.different.append((part, f"{remote_size} bytes there, {part.size} here"))
        elif remote_hash != file_sha256(part.path):
            found.different.append((part, "same size, another sha256"))
        else:
            found.same.append(part)
    return found


def _matching_link(artifacts: list[dict[str, Any]], name: str) -> str | None:
    """The link of the artifact that stands for the file ``name``: the one of its extension
    (one per extension, platform and arch), by its file name when several share it."""
    candidates = [a for a in artifacts if a.get("package") == extension(name) and a.get("link")]
    named = [a for a in candidates if link_name(str(a["link"])) == name]
    chosen = named or (candidates if len(candidates) == 1 else [])
    return str(chosen[0]["link"]) if chosen else None


def link_name(link: str) -> str:
    """The last segment of the key a link names (``/download?key=`` links included)."""
    parts = urlsplit(link)
    keys = parse_qs(parts.query).get("key") if parts.path.endswith("/download") else None
    key = keys[0] if keys else unquote(parts.path)
    return key.rsplit("/", 1)[-1]


def _download_url(connection: Connection, link: str) -> str:
    """Where the bytes of ``link`` are: a private ``/download?key=`` link is asked on the
    configured server (with the token) for its short-lived link."""
    parts = urlsplit(link)
    if not (parts.path.endswith("/download") and "key" in parse_qs(parts.query)):
        return link
    response = connection.request(
        "GET", "/download", params={"key": parse_qs(parts.query)["key"][0]}
    )
    if response.is_redirect:
        return str(response.next_request.url) if response.next_request else ""
    url = decoded(response).get("download_url")
    if not isinstance(url, str) or not url:
        raise ServerError(response.status_code, "no download_url in the answer")
    return url


def fingerprint(connection: Connection, link: str) -> tuple[int, str]:
    """Size and sha256 of what ``link`` serves, streamed."""
    url = _download_url(connection, link)
    digest, total = hashlib.sha256(), 0
    with connection.stream("GET", url) as response:
        if response.status_code >= 400:
            response.read()
            raise ServerError(response.status_code, error_text(response))
        for chunk in response.iter_bytes(CHUNK):
            digest.update(chunk)
            total += len(chunk)
    return total, digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def has_rollouts(connection: Connection, target: Target) -> bool | None:
    """Whether the server keeps rollouts: faynosync does (its ``/openapi.json`` names it, at
    both API levels), FaynoSync from v1.6.4 on says so in its ``/search`` items
    (``RolloutPercent``); None when neither tells (no version of the app yet)."""
    if _is_faynosync(connection):
        return True
    try:
        answer = connection.get_json(
            "/search", params={"app_name": target.app, "limit": "1", "page": "1"}
        )
    except ServerError:
        return None
    items = answer.get("items") or []
    return ("RolloutPercent" in items[0]) if items else None


def _is_faynosync(connection: Connection) -> bool:
    try:
        document = connection.get_json("/openapi.json")
    except ServerError:
        return False
    info = document.get("info")
    return isinstance(info, dict) and info.get("title") == "faynosync"
