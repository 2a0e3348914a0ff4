"""Object keys and the links that carry them.

See docs/behaviour.md#object-keys and docs/behaviour.md#links.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

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


def private_link(api_url: str, key: str) -> str:
    """The link FaynoSync stores for an artifact of a private app."""
    return f"{api_url}/download?key={path_escape(key)}"


def key_from_private_link(link: str) -> str | None:
    """The key of a private link, whatever API_URL was when it was made (decoded once, so
    that ``+`` and ``%`` in keys survive)."""
    _, found, escaped = link.partition("/download?key=")
    return unquote(escaped) if found and escaped else None


def object_key(storage: ObjectStorage, link: str, *, private: bool) -> str | None:
    """The key an artifact's link names in the private or the public bucket, None if it names
    none (the bucket is the app's privacy now)."""
    return key_from_private_link(link) if private else storage.public_key(link)


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
