"""Sparkle appcasts (API level 2.1): what an upload's ``appcast*.xml`` says of its archives, and
the appcast a channel's published versions make (docs/behaviour.md#sparkle-appcasts).

Pure: bytes and records in, records and bytes out. The uploaded appcast is untrusted XML, read
with a parser that expands no entity, loads no DTD and reaches no network; a document with a
DOCTYPE, not in UTF-8, over :data:`MAX_BYTES` or with more than :data:`MAX_ITEMS` items is
refused. Each item is kept verbatim (``raw_item``): unknown elements and namespaces, signatures
and deltas come back byte for byte in the appcast made from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from faynosync.errors import APIError
from faynosync.updaters.notes import notes_html

SPARKLE_NS = "http://www.andymatuschak.org/xml-namespaces/sparkle"
MAX_BYTES = 8 << 20
"""An appcast larger than this is refused (generate_appcast's are a few KiB per release)."""
MAX_ITEMS = 1000
"""An appcast with more items than this is refused."""

APPCAST_COUNT = (
    "sparkle updater requires exactly one appcast*.xml feed file. "
    "Please include a single appcast.*.xml in your upload"
)
NO_ARCHIVE = (
    "sparkle updater requires at least one full archive (.zip/.dmg/.tar.*/.aar). "
    "Please include a full package in your upload"
)
EMPTY = "sparkle appcast is empty"
INVALID = "invalid sparkle appcast: "
NO_ITEMS = "sparkle appcast has no items with enclosures"
UNMATCHED = (
    "sparkle appcast has no matching <enclosure> for uploaded file(s): {}. "
    "Regenerate the appcast so it includes an item/enclosure for every uploaded archive and "
    "delta before uploading"
)

_S = f"{{{SPARKLE_NS}}}"
_NO_DTD = "DOCTYPE and entity declarations are not allowed"
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_SPACE = re.compile(rb"\s*")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def is_appcast(filename: str) -> bool:
    name = filename.lower()
    return name.startswith("appcast") and name.endswith(".xml")


def is_archive(filename: str) -> bool:
    """A full archive: ``.zip``, ``.dmg``, ``.aar``, ``.tar`` or ``.tar.*``."""
    name = filename.lower()
    return name.endswith((".zip", ".dmg", ".aar", ".tar")) or ".tar." in name


def is_delta(filename: str) -> bool:
    return filename.lower().endswith(".delta")


def check_files(filenames: list[str]) -> None:
    """An upload's files: one appcast, at least one full archive (docs: sparkle-appcasts)."""
    if sum(1 for name in filenames if is_appcast(name)) != 1:
        raise APIError(400, APPCAST_COUNT)
    if not any(is_archive(name) for name in filenames):
        raise APIError(400, NO_ARCHIVE)


def managed_name(channel: str) -> str:
    """The name an uploaded appcast is stored under, which the made appcast replaces."""
    return f"appcast.{channel}.xml" if channel else "appcast.xml"


# --- reading an uploaded appcast --------------------------------------------------------------


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        strip_cdata=False,
        collect_ids=False,
    )


def _refuse(reason: str) -> APIError:
    return APIError(400, INVALID + reason)


def check_size(size: int) -> None:
    """An appcast over :data:`MAX_BYTES` is refused (before it is read)."""
    if size > MAX_BYTES:
        raise _refuse(f"larger than {MAX_BYTES >> 20} MiB")


def parse(data: bytes) -> Any:
    """The root element of an untrusted appcast, or a 400 naming what is wrong with it."""
    if not data.strip():
        raise APIError(400, EMPTY)
    check_size(len(data))
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("not UTF-8 text") from None
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise _refuse("not UTF-8 text")
    if _has_doctype(body):
        # Refused before parsing: no DTD, internal or external, is ever read.
        raise _refuse(_NO_DTD)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise _refuse(str(exc.msg or exc)) from None
    if root.getroottree().docinfo.doctype:  # pragma: no cover (the scan above refuses first)
        raise _refuse(_NO_DTD)
    return root


def _has_doctype(body: bytes) -> bool:
    """Whether the prolog (before the first element) declares a document type."""
    at = 0
    while True:
        at = _SPACE.match(body, at).end()  # type: ignore[union-attr]
        for opener, closer in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if body.startswith(opener, at):
                end = body.find(closer, at + len(opener))
                if end < 0:
                    return False
                at = end + len(closer)
                break
        else:
            return body.startswith(b"<!DOCTYPE", at)


def _basename(url: str) -> str:
    """The file an enclosure URL names: its path's last segment, percent-decoded."""
    try:
        path = urlsplit(url).path
    except ValueError:
        path = url
    return unquote(path.rsplit("/", 1)[-1])


def _items(root: Any) -> list[Any]:
    items = [item for item in root.iter("item") if _full_enclosure(item) is not None]
    if len(items) > MAX_ITEMS:
        raise _refuse(f"more than {MAX_ITEMS} items")
    return items


def _full_enclosure(item: Any) -> Any:
    for enclosure in item.iterchildren("enclosure"):
        if enclosure.get("url"):
            return enclosure
    return None


def _sparkle_version(item: Any, enclosure: Any) -> str:
    element = item.find(f"{_S}version")
    if element is not None and element.text:
        return str(element.text).strip()
    return str(enclosure.get(f"{_S}version", "")).strip()


def read(data: bytes, filenames: Iterable[str]) -> dict[str, dict[str, str]]:
    """The ``sparkle`` block of each uploaded archive and delta, by file name, from the
    appcast's items; a 400 when an uploaded archive or delta has no enclosure."""
    root = parse(data)
    items = _items(root)
    if not items:
        raise APIError(400, NO_ITEMS)
    blocks: dict[str, dict[str, str]] = {}
    for item in items:
        full = _full_enclosure(item)
        name = _basename(str(full.get("url")))
        blocks[name] = {
            "file_name": name,
            "kind": "full",
            "sparkle_version": _sparkle_version(item, full),
            "raw_item": etree.tostring(item, encoding="unicode", with_tail=False),
        }
        for deltas in item.iterchildren(f"{_S}deltas"):
            for enclosure in deltas.iterchildren("enclosure"):
                url = enclosure.get("url")
                if url:
                    delta = _basename(str(url))
                    blocks.setdefault(delta, {"file_name": delta, "kind": "delta"})
    unmatched = [
        name
        for name in filenames
        if (is_archive(name) or is_delta(name)) and not is_appcast(name) and name not in blocks
    ]
    if unmatched:
        raise APIError(400, UNMATCHED.format(", ".join(unmatched)))
    return blocks


# --- the appcast of a channel -----------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """One version as its appcast item needs it."""

    version: str
    sparkle_version: str
    raw_item: str
    published: bool
    critical: bool
    notes: str
    """The version's changelog text (Markdown)."""
    updated_at: datetime
    links: Mapping[str, str] = field(default_factory=dict)
    """The link stored for each of the version's archives and deltas, by file name."""


def order_key(version: str) -> tuple[int, ...]:
    """Sparkle's version order as v2.1 sorts it: dot-separated integers, anything else 0."""
    parts = []
    for part in version.split("."):
        try:
            parts.append(int(part))
        except ValueError:
            parts.append(0)
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _wrapped(raw_item: str) -> Any:
    """A stored item as an element (its namespace declarations are inside it; a bare
    ``sparkle:`` prefix is bound too, for items stored without one)."""
    wrapper = etree.fromstring(
        f'<wrapper xmlns:sparkle="{SPARKLE_NS}">{raw_item}</wrapper>'.encode(), _parser()
    )
    items = list(wrapper.iterchildren("item"))
    return items[0] if len(items) == 1 else None


def _set_critical(item: Any, critical: bool) -> None:
    """A critical version's item keeps its ``criticalUpdate`` (or gets an empty one); another
    version's loses it."""
    found = item.findall(f"{_S}criticalUpdate")
    if critical and not found:
        etree.SubElement(item, f"{_S}criticalUpdate")
    if not critical:
        for element in found:
            item.remove(element)


def _item(release: Release) -> Any:
    item = _wrapped(release.raw_item)
    if item is None:
        return None
    for enclosure in item.iter("enclosure"):
        link = release.links.get(_basename(str(enclosure.get("url", ""))))
        if link:
            enclosure.set("url", link)
    _set_critical(item, release.critical)
    html = notes_html(release.notes)
    if html:
        for element in item.findall("description"):
            item.remove(element)
        etree.SubElement(item, "description").text = etree.CDATA(html)
    date = format_datetime(release.updated_at.astimezone())
    pub_date = item.find("pubDate")
    if pub_date is None:
        pub_date = etree.SubElement(item, "pubDate")
    pub_date.text = date
    for element in item.findall(f"{_S}channel"):
        item.remove(element)
    return item


def build(app: str, releases: Iterable[Release]) -> bytes:
    """The appcast of one channel, platform and arch: an item per published release with a
    stored item, the highest version first."""
    root = etree.Element("rss", nsmap={"sparkle": SPARKLE_NS})
    root.set("version", "2.0")
    channel = etree.SubElement(root, "channel")
    etree.SubElement(channel, "title").text = app
    published = [r for r in releases if r.published and r.raw_item]
    published.sort(key=lambda r: order_key(r.sparkle_version or r.version), reverse=True)
    for release in published:
        try:
            item = _item(release)
        except etree.XMLSyntaxError:
            item = None
        if item is not None:
            channel.append(item)
    etree.indent(root, space="    ")
    return _XML_DECLARATION + bytes(etree.tostring(root, encoding="UTF-8")) + b"\n"
