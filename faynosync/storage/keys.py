"""Object keys and the links that carry them.

See docs/behaviour.md#object-keys and docs/behaviour.md#links.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus, unquote, unquote_plus

from faynosync.storage.protocol import InvalidKey, ObjectStorage


def check_key(key: str) -> str:
    """Return ``key`` if it stays inside the storage root, else raise :class:`InvalidKey`.

    Refused: empty keys, absolute paths, NUL, and ``.``, ``..`` or empty path segments.
    """
    if not key or key.startswith("/") or "\x00" in key:
        raise InvalidKey(f"invalid object key: {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid object key: {key!r}")
    return key


# A file name on every common file system; S3's limit for a whole key.
MAX_SEGMENT_BYTES = 255
MAX_KEY_BYTES = 1024
_CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F))


def check_new_key(key: str) -> str:
    """:func:`check_key`, plus what every backend can store and every link can carry.

    Keys that exist already are read and deleted through :func:`check_key` alone.
    """
    if not _CONTROL.isdisjoint(key):
        raise InvalidKey("invalid object key: file names cannot hold control characters")
    check_key(key)
    if len(key.encode(errors="replace")) > MAX_KEY_BYTES:
        raise InvalidKey(f"invalid object key: longer than {MAX_KEY_BYTES} bytes")
    if any(len(part.encode(errors="replace")) > MAX_SEGMENT_BYTES for part in key.split("/")):
        raise InvalidKey(
            f"invalid object key: a file or folder name is longer than {MAX_SEGMENT_BYTES} bytes"
        )
    return key


def path_escape(text: str) -> str:
    """Go's ``url.PathEscape``: ``/`` becomes ``%2F``; ``$&+:=@`` stay as they are."""
    return quote(text, safe="$&+:=@")


def query_escape(text: str) -> str:
    """Go's ``url.QueryEscape``: only letters, digits and ``-_.~`` stay; a space is ``+``."""
    return quote_plus(text, safe="")


def private_link(api_url: str, key: str, *, query_escaped: bool = False) -> str:
    """The link FaynoSync stores for an artifact of a private app: the key path-escaped
    (v1.4.6) or, with ``query_escaped``, query-escaped (v2.1)."""
    escape = query_escape if query_escaped else path_escape
    return f"{api_url}/download?key={escape(key)}"


def private_link_keys(link: str) -> list[str]:
    """The keys a private link may name, whatever API_URL was when it was made: read as
    ``PathEscape`` wrote it (decoded once, so that ``+`` and ``%`` in keys survive) and, when
    that reads otherwise, as ``QueryEscape`` did (``+`` a space)."""
    _, found, escaped = link.partition("/download?key=")
    if not found or not escaped:
        return []
    keys = [unquote(escaped)]
    plus = unquote_plus(escaped)
    if plus != keys[0]:
        keys.append(plus)
    return keys


def key_from_private_link(link: str, *, query_escaped: bool = False) -> str | None:
    """The key of a private link, read as this server writes links (``query_escaped``: the
    API level 2.1's way) when the link is ambiguous."""
    keys = private_link_keys(link)
    if not keys:
        return None
    return keys[-1] if query_escaped else keys[0]


def object_key(
    storage: ObjectStorage, link: str, *, private: bool, query_escaped: bool = False
) -> str | None:
    """The key an artifact's link names in the private or the public bucket, None if it names
    none (the bucket is the app's privacy now)."""
    if private:
        return key_from_private_link(link, query_escaped=query_escaped)
    return storage.public_key(link)


def extension(filename: str) -> str:
    """From the last dot on, case kept (``app.tar.gz`` -> ``.gz``, ``LICENSE`` -> "")."""
    dot = filename.rfind(".")
    return filename[dot:] if dot >= 0 else ""


def content_type_for(filename: str) -> str | None:
    """The Content-Type FaynoSync sets on upload: ``RELEASES`` and YAML files only."""
    name = filename.rsplit("/", 1)[-1]
    if name.lower() == "releases":
        return "text/plain"
    if name.lower().endswith((".yml", ".yaml")):
        return "text/yaml"
    return None
