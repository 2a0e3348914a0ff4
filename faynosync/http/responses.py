"""Responses as Gin and Go's net/http write them (docs/behaviour.md#responses)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from faynosync.core import gojson

JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

_STATUS_TEXT = {
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
}


class GoJSONResponse(Response):
    """JSON encoded as Go's ``encoding/json`` does (map keys sorted, HTML-safe escapes)."""

    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return gojson.dumpb(content)


def no_content() -> Response:
    """Gin's 204: the JSON content type, no body."""
    return Response(status_code=204, headers={"content-type": JSON_TYPE})


def not_found() -> Response:
    """Gin's answer for an unknown route once the token passed."""
    return Response(b"404 page not found", status_code=404, media_type=TEXT_TYPE)


_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def go_clean(path: str) -> str:
    """Go's ``path.Clean``."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(segment)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def _hex_escape_non_ascii(text: str) -> str:
    return "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def redirect_location(request_path: str, url: str) -> str:
    """The ``Location`` Go's ``http.Redirect`` sends: relative targets resolved, path cleaned."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return _hex_escape_non_ascii(url)
    old_path = request_path or "/"
    if not url.startswith("/"):
        url = old_path[: old_path.rfind("/") + 1] + url
    path, sep, query = url.partition("?")
    trailing = path.endswith("/")
    path = go_clean(path)
    if trailing and not path.endswith("/"):
        path += "/"
    return _hex_escape_non_ascii(path + sep + query)


def go_redirect(method: str, request_path: str, url: str, status: int = 302) -> Response:
    """A redirect as Go writes it: for GET a small HTML body, for HEAD only the type."""
    location = redirect_location(request_path, url)
    headers = {"location": location}
    body = b""
    if method in ("GET", "HEAD"):
        headers["content-type"] = HTML_TYPE
    if method == "GET":
        text = _STATUS_TEXT.get(status, "")
        body = f'<a href="{location.translate(_HTML_ESCAPES)}">{text}</a>.\n\n'.encode()
    return Response(body, status_code=status, headers=headers)
