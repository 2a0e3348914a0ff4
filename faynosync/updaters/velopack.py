"""Velopack (docs/behaviour.md#velopack): what an upload must hold, the ``velopack`` block its
packages get from the ``releases.{channel}.json`` that ``vpk`` wrote, and the feed built from
the versions of one channel, platform and arch.

Pure: no store, no storage. The feed follows FaynoSync v2.1's builder: Velopack's own version
order, deltas only over a published full release, notes rendered from Markdown to sanitised
HTML, and JSON written without HTML escapes.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from faynosync.core import gojson
from faynosync.core.gojson import GoStruct
from faynosync.core.versioning import GoVersion, MalformedVersion, parse
from faynosync.errors import APIError
from faynosync.updaters.notes import notes_html

NO_FULL = (
    "velopack updater requires at least one *-full.nupkg package. "
    "Please include a full package in your upload"
)
NOT_ONE_FEED = (
    "velopack updater requires exactly one releases.{channel}.json feed file. "
    "Please include a single releases.*.json in your upload"
)
EMPTY_FEED = "velopack releases feed is empty"
BAD_FEED = "invalid velopack releases feed: "
NO_ASSETS = "velopack releases feed has no Full or Delta assets"
PACKAGE_NOT_FOUND = "velopack package not found"
BAD_PATH = "invalid velopack feed path"
WRONG_ID = "feed id does not match app"

MAX_FEED_BYTES = 16 << 20
"""A feed ``vpk`` writes lists a few assets per release: a larger one is refused, unread."""


def too_large() -> str:
    return f"{BAD_FEED}larger than {MAX_FEED_BYTES >> 20} MiB"


EMPTY = b'{"Assets":[]}'
CONTENT_TYPE = "application/json"
REPEATABLE_PACKAGES = frozenset({".nupkg"})
"""A Velopack release holds a full and a delta package: both ``.nupkg``."""

_FEED_NAME = re.compile(r"releases\.[^/]*\.json", re.DOTALL)
_CHANNEL_FEED = re.compile(r"releases\.([a-zA-Z0-9]+)\.json")
_PACKAGE_TYPES = ("Full", "Delta")
_UNSAFE = re.compile("[\u2028\u2029\ud800-\udfff]")


def _go_escape(found: re.Match[str]) -> str:
    char = found.group()
    return f"\\u{ord(char):04x}" if char in "\u2028\u2029" else "\ufffd"


def is_feed_name(filename: str) -> bool:
    """``releases.{channel}.json`` in any case (Go's ``filepath.Match`` of the lower-cased name)."""
    return _FEED_NAME.fullmatch(filename.lower()) is not None


def feed_channel(path: str) -> str | None:
    """The channel of a feed path ``releases.{channel}.json``; None for any other path."""
    found = _CHANNEL_FEED.fullmatch(path)
    return found.group(1) if found else None


def feed_name(channel: str) -> str:
    return f"releases.{channel}.json"


def base_key(*, app: str, owner: str, platform: str, arch: str) -> str:
    """``velopack/{owner}/{app}[/{platform}][/{arch}]``: one folder for every version."""
    return "/".join(["velopack", owner, app, *(s for s in (platform, arch) if s)])


def object_key(
    *, app: str, owner: str, version: str, platform: str, arch: str, filename: str
) -> str:
    """Packages and the feed under their own name; installers under ``installers/`` with the
    version, platform and arch in their name."""
    base = base_key(app=app, owner=owner, platform=platform, arch=arch)
    if not is_installer(filename):
        return f"{base}/{filename}"
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    suffix = "".join(f"-{s}" for s in (version, platform, arch) if s)
    return f"{base}/installers/{stem}{suffix}{dot}{ext}"


def is_installer(filename: str) -> bool:
    return not filename.lower().endswith(".nupkg") and not is_feed_name(filename)


def latest_installer_key(installer_key: str, filename: str) -> str | None:
    """Where an installer stored under ``…/installers/`` is copied as the latest one:
    ``…/{filename}``."""
    folder, found, _ = installer_key.rpartition("/installers/")
    return f"{folder}/{filename}" if found else None


def latest_installer_copies(keys: set[str]) -> set[str]:
    """Of these keys, the latest-installer copies: ``{folder}/{stem}{ext}`` beside an
    ``{folder}/installers/{stem}-…{ext}``."""
    installers: dict[str, list[str]] = {}
    for key in keys:
        folder, found, name = key.rpartition("/installers/")
        if found and key.startswith("velopack/") and "/" not in name:
            installers.setdefault(folder, []).append(name)
    copies = set()
    for key in keys:
        folder, _, name = key.rpartition("/")
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        prefix, suffix = f"{stem}-", f"{dot}{ext}"
        if any(
            n.startswith(prefix) and n.endswith(suffix) and len(n) > len(prefix) + len(suffix)
            for n in installers.get(folder, ())
        ):
            copies.add(key)
    return copies


def feed_key(*, app: str, owner: str, channel: str, platform: str, arch: str) -> str:
    """Where a channel's feed is written (the key its uploads store their feed under)."""
    return f"{base_key(app=app, owner=owner, platform=platform, arch=arch)}/{feed_name(channel)}"


_FEED_KEY = re.compile(r"velopack/[^/]+/[^/]+/[^/]+/[^/]+/releases\.[a-zA-Z0-9]+\.json")


def is_feed_key(key: str) -> bool:
    """A feed file the server writes: it stays when no version is left (an empty feed)."""
    return _FEED_KEY.fullmatch(key) is not None


def check_files(updater: str, filenames: list[str]) -> None:
    """An upload for ``velopack…`` holds a full package and exactly one feed."""
    if not updater.startswith("velopack"):
        return
    names = [name.lower() for name in filenames]
    if not any(name.endswith("-full.nupkg") for name in names):
        raise APIError(400, NO_FULL)
    if sum(1 for name in filenames if is_feed_name(name)) != 1:
        raise APIError(400, NOT_ONE_FEED)


# --- the feed vpk writes, and the blocks of the packages ----------------------------------------


@dataclass
class _Asset:
    PackageId: str = ""
    Version: str = ""
    Type: str = ""
    FileName: str = ""
    SHA1: str = ""
    SHA256: str = ""
    Size: int = 0
    NotesMarkdown: str = ""
    NotesHtml: str = ""


@dataclass
class _Feed:
    Assets: list[_Asset] | None = None


@dataclass(frozen=True)
class Block:
    """The ``velopack`` block of a package's artifact: its asset in the feed, as written."""

    type: str
    file_name: str
    sha1: str
    sha256: str
    size: int

    def document(self) -> GoStruct:
        """As FaynoSync stores it (``type, file_name, sha1, sha256, size``)."""
        return GoStruct(
            type=self.type,
            file_name=self.file_name,
            sha1=self.sha1,
            sha256=self.sha256,
            size=self.size,
        )

    @classmethod
    def of(cls, value: Any) -> Block | None:
        """The block stored on an artifact (None when there is none or it is not one)."""
        if not isinstance(value, dict):
            return None
        size = value.get("size", 0)
        texts = [value.get(k, "") for k in ("type", "file_name", "sha1", "sha256")]
        if not all(isinstance(t, str) for t in texts) or not isinstance(size, int):
            return None
        kind, file_name, sha1, sha256 = texts
        return cls(type=kind, file_name=file_name, sha1=sha1, sha256=sha256, size=int(size))


def parse_feed(raw: bytes) -> dict[str, Block]:
    """The Full and Delta assets of an uploaded feed by file name (the last one wins), or a 400
    with FaynoSync v2.1's message."""
    if len(raw) > MAX_FEED_BYTES:
        raise APIError(400, too_large())
    if not raw.strip():
        raise APIError(400, EMPTY_FEED)
    try:
        feed = gojson.bind(gojson.whole_document(raw), _Feed)
    except gojson.DecodeError as exc:
        raise APIError(400, f"{BAD_FEED}{exc}") from None
    blocks = {
        asset.FileName: Block(
            type=asset.Type,
            file_name=asset.FileName,
            sha1=asset.SHA1,
            sha256=asset.SHA256,
            size=asset.Size,
        )
        for asset in feed.Assets or []
        if asset.Type in _PACKAGE_TYPES and asset.FileName
    }
    if not blocks:
        raise APIError(400, NO_ASSETS)
    return blocks


# --- the feed served ----------------------------------------------------------------------------


def compare(a: str, b: str) -> int:
    """Velopack's order as FaynoSync compares: dot-separated integers, a missing or
    non-numeric part counting as 0."""
    left, right = a.split("."), b.split(".")
    for i in range(max(len(left), len(right))):
        x = _number(left[i]) if i < len(left) else 0
        y = _number(right[i]) if i < len(right) else 0
        if x != y:
            return -1 if x < y else 1
    return 0


def _number(part: str) -> int:
    # Go's strconv.Atoi: an optional sign and ASCII digits, within 64 bits.
    if re.fullmatch(r"[+-]?[0-9]+", part) is None:
        return 0
    value = int(part)
    return value if -(2**63) <= value < 2**63 else 0


@dataclass
class Release:
    """One version of the feed's channel, platform and arch."""

    version: str
    published: bool
    notes: str = ""
    required_intermediate: bool = False
    full: Block | None = None
    delta: Block | None = None

    def add(self, block: Block) -> None:
        if block.type == "Full":
            self.full = block
        elif block.type == "Delta":
            self.delta = block


def _sorted(releases: list[Release]) -> list[Release]:
    """Highest version first; equal versions keep their order (a stable sort)."""

    def higher_first(x: Release, y: Release) -> int:
        return compare(y.version, x.version)

    return sorted(releases, key=functools.cmp_to_key(higher_first))


def build(releases: list[Release], package_id: str) -> bytes:
    """The ``releases.{channel}.json`` of these releases: ``{"Assets":[...]}``, compact, with
    ``<``, ``>`` and ``&`` as they are, no trailing newline."""
    ordered = _sorted(releases)
    assets: list[dict[str, Any]] = []
    for index, release in enumerate(ordered):
        if not release.published:
            continue
        if release.full is not None:
            assets.append(_asset(package_id, release, release.full, release.notes))
        if release.delta is not None and _delta_applies(ordered, index):
            assets.append(_asset(package_id, release, release.delta, None))
    text = json.dumps({"Assets": assets}, ensure_ascii=False, separators=(",", ":"))
    # Go writes invalid UTF-8 as U+FFFD and always escapes U+2028 and U+2029.
    return _UNSAFE.sub(_go_escape, text).encode("utf-8")


def _delta_applies(ordered: list[Release], index: int) -> bool:
    """A delta goes from the next lower version: only if that one is published with a full
    package (a delta over a hole would leave clients stuck)."""
    version = ordered[index].version
    for lower in ordered[index + 1 :]:
        if compare(lower.version, version) < 0:
            return lower.published and lower.full is not None
    return False


def _asset(package_id: str, release: Release, block: Block, notes: str | None) -> dict[str, Any]:
    return {
        "PackageId": package_id,
        "Version": release.version,
        "Type": block.type,
        "FileName": block.file_name,
        "SHA1": block.sha1,
        "SHA256": block.sha256,
        "Size": block.size,
        "NotesMarkdown": notes or "",
        "NotesHTML": notes_html(notes or ""),
    }


def required_step(releases: list[Release], local: str) -> str | None:
    """The version a client at ``local`` must install first, as /checkVersion finds it: the
    lowest published required intermediate build above ``local`` up to the latest published
    version (go-version order). None when there is none or a version cannot be parsed."""
    try:
        requested = parse(local)
        published = [(parse(r.version), r) for r in releases if r.published]
    except MalformedVersion:
        return None
    if not published:
        return None
    latest = max((p for p, _ in published), key=_GoKey)
    best: tuple[GoVersion, Release] | None = None
    for parsed, release in published:
        if not release.required_intermediate:
            continue
        fits = requested.compare(parsed) < 0 <= latest.compare(parsed)
        if fits and (best is None or parsed.compare(best[0]) < 0):
            best = (parsed, release)
    return best[1].version if best else None


class _GoKey:
    def __init__(self, version: GoVersion) -> None:
        self.version = version

    def __lt__(self, other: _GoKey) -> bool:
        return self.version.compare(other.version) < 0


def capped(releases: list[Release], step: str | None) -> list[Release]:
    """The releases a client must see: none above its required step."""
    if step is None:
        return releases
    return [r for r in releases if compare(r.version, step) <= 0]
