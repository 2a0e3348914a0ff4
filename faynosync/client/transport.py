"""HTTP to the server: one ``httpx.Client`` with the token, and the server's answers turned into
values or into errors that carry the server's own ``error`` text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from faynosync.client.config import Credentials

# A large upload is stored (and hashed) by the server before it answers: wait for that.
DEFAULT_TIMEOUT = 600.0
# Answers that may succeed when sent again (a file being stored by another request is 409).
RETRIABLE_STATUSES = frozenset({408, 409, 425, 429})


class ClientError(Exception):
    """A failure to report in one line, without a traceback."""


class Unreachable(ClientError):
    """The request got no answer: connection refused or dropped, timeout."""


class ServerError(ClientError):
    """The server answered with an error status; ``message`` is its ``error`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"the server answered {status}: {message}")
        self.status = status
        self.message = message

    @property
    def retriable(self) -> bool:
        return self.status >= 500 or self.status in RETRIABLE_STATUSES


def error_text(response: httpx.Response) -> str:
    """The ``error`` of an error answer (the first of Go's doubled bodies), else its text."""
    text = response.text.strip()
    try:
        body, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    if not text:
        return "(no body)"
    return text if len(text) <= 200 else text[:200] + "..."


def decoded(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a successful answer; a ``ServerError`` for an error or a body that is
    not a JSON object (a proxy's page, say)."""
    if response.status_code >= 400:
        raise ServerError(response.status_code, error_text(response))
    try:
        body = json.loads(response.content)
    except ValueError:
        raise ServerError(response.status_code, f"not JSON: {error_text(response)}") from None
    if not isinstance(body, dict):
        raise ServerError(response.status_code, f"not a JSON object: {error_text(response)}")
    return body


class Connection:
    """The configured server, with the token on every request to it."""

    def __init__(self, credentials: Credentials, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = credentials.url
        headers = {"User-Agent": "faynosync-cli"}
        if credentials.token:
            headers["Authorization"] = f"Bearer {credentials.token}"
        self.http = httpx.Client(
            base_url=credentials.url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_own(self, url: str) -> bool:
        """Whether ``url`` is on this server (the token goes only there)."""
        own, other = urlsplit(self.url), urlsplit(url)
        return (own.scheme, own.netloc) == (other.scheme, other.netloc)

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **options)
        except httpx.TransportError as exc:
            raise Unreachable(f"{self.url} did not answer: {describe(exc)}") from None

    def public(self, method: str, path: str, **options: Any) -> httpx.Response:
        """A request without the token (what any app may ask)."""
        request = self.http.build_request(method, path, **options)
        request.headers.pop("Authorization", None)
        try:
            return self.http.send(request)
        except httpx.TransportError as exc:
            raise Unreachable(f"{self.url} did not answer: {describe(exc)}") from None

    def get_json(self, path: str, **options: Any) -> Any:
        return decoded(self.request("GET", path, **options))

    @contextmanager
    def stream(self, method: str, url: str, **options: Any) -> Iterator[httpx.Response]:
        """A streamed answer; the token is sent only when ``url`` is on this server."""
        client = self.http if self.is_own(url) or "://" not in url else None
        try:
            if client is None:
                with (
                    httpx.Client(timeout=self.http.timeout, follow_redirects=True) as foreign,
                    foreign.stream(method, url, **options) as response,
                ):
                    yield response
            else:
                with client.stream(method, url, **options) as response:
                    yield response
        except httpx.TransportError as exc:
            raise Unreachable(f"{url} did not answer: {describe(exc)}") from None


def describe(exc: httpx.TransportError) -> str:
    """A transport error in words (httpx's message may be empty)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
