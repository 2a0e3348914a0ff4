"""Go's ``mime.ParseMediaType``, for the ``Content-Disposition`` of multipart parts.

Go's ``mime/multipart`` reads a part's name and file name through it: quoted strings with
backslash escapes (a backslash before an ordinary character is kept, as Internet Explorer sends
``C:\\dir\\file``), RFC 2231 parameters (``filename*=UTF-8''%E2%82%AC.dmg`` and continuations
``filename*0``, ``filename*1*``) which win over the plain ones, and any syntax error making the
part nameless.
"""

from __future__ import annotations

import re

_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


class MediaTypeError(ValueError):
    """The header is not a media type with parameters."""


def _is_token_char(char: str) -> bool:
    return " " < char < "\x7f" and char not in _TSPECIALS


def _token(text: str) -> tuple[str, str]:
    end = 0
    while end < len(text) and _is_token_char(text[end]):
        end += 1
    return text[:end], text[end:]


def _value(text: str) -> tuple[str, str]:
    """A token or a quoted string, and the rest; ("", text) when there is neither."""
    if not text.startswith('"'):
        return _token(text)
    out: list[str] = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), text[i + 1 :]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _TSPECIALS:
            out.append(text[i + 1])
            i += 2
            continue
        if char in "\r\n":
            return "", text
        out.append(char)
        i += 1
    return "", text  # no closing quote


def _parameter(text: str) -> tuple[str, str, str]:
    """``; name=value`` at the start of ``text``: (name, value, rest), or ("", "", text)."""
    rest = text.lstrip()
    if not rest.startswith(";"):
        return "", "", text
    name, rest = _token(rest[1:].lstrip())
    if not name:
        return "", "", text
    rest = rest.lstrip()
    if not rest.startswith("="):
        return "", "", text
    rest = rest[1:].lstrip()
    value, after = _value(rest)
    if not value and after == rest:
        return "", "", text
    return name.lower(), value, after


def _unescape_percent(text: str) -> str | None:
    """Percent-decoding as Go's ``percentHexUnescape`` (bytes read as UTF-8); None if bogus."""
    if text.count("%") != len(_PERCENT.findall(text)):
        return None
    raw = _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), text)
    return raw.encode("latin-1", errors="replace").decode("utf-8", errors="replace")


def _decode_2231(value: str) -> str | None:
    """``charset'language'percent-encoded`` for UTF-8 and US-ASCII; None otherwise."""
    parts = value.split("'", 2)
    if len(parts) != 3 or parts[0].lower() not in ("utf-8", "us-ascii"):
        return None
    return _unescape_percent(parts[2])


def parse_media_type(header: str) -> tuple[str, dict[str, str]]:
    """The lower-cased media type and its parameters (names lower-cased).

    Raises :class:`MediaTypeError` where Go's parser returns an error.
    """
    base = header.split(";", 1)[0]
    media_type = base.lower().strip()
    kind, rest = _token(media_type)
    if not kind:
        raise MediaTypeError("mime: no media type")
    if rest:
        subtype, rest = _token(rest[1:]) if rest.startswith("/") else ("", rest)
        if not subtype or rest:
            raise MediaTypeError("mime: invalid media type")
    params: dict[str, str] = {}
    starred: dict[str, dict[str, str]] = {}
    text = header[len(base) :]
    while text:
        text = text.lstrip()
        if not text:
            break
        name, value, rest = _parameter(text)
        if not name:
            if rest.strip() == ";":
                break  # a trailing semicolon
            raise MediaTypeError("mime: invalid media parameter")
        target = starred.setdefault(name.split("*", 1)[0], {}) if "*" in name else params
        if target.get(name, value) != value:
            raise MediaTypeError("mime: duplicate parameter name")
        target[name] = value
        text = rest
    for name, pieces in starred.items():
        params.update(_stitched(name, pieces))
    return media_type, params


def _stitched(name: str, pieces: dict[str, str]) -> dict[str, str]:
    """An RFC 2231 parameter from its pieces: ``name*`` alone, or ``name*0``, ``name*1*``, …"""
    if f"{name}*" in pieces:
        decoded = _decode_2231(pieces[f"{name}*"])
        return {name: decoded} if decoded is not None else {}
    out: list[str] = []
    number = 0
    while True:
        if f"{name}*{number}" in pieces:
            out.append(pieces[f"{name}*{number}"])
        elif f"{name}*{number}*" in pieces:
            encoded = pieces[f"{name}*{number}*"]
            decoded = _decode_2231(encoded) if number == 0 else _unescape_percent(encoded)
            out.append(decoded or "")
        else:
            break
        number += 1
    return {name: "".join(out)} if number else {}
