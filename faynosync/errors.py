"""The one error type of the API, and input errors turned into it.

Raised anywhere below the routers; ``faynosync.http.errors`` renders it as FaynoSync's
``{"error": ...}`` body.
"""

from __future__ import annotations

from faynosync.core.ids import InvalidId, parse_id


class APIError(Exception):
    """An answer other than success: status code, ``error`` text and optional ``details``."""

    def __init__(
        self, status_code: int, error: str, *, details: str | None = None, plain: bool = False
    ) -> None:
        super().__init__(error)
        self.status_code = status_code
        self.error = error
        self.details = details
        # Gin's BindJSON commits its 400 before the JSON renderer sets the content type.
        self.plain = plain


def id_param(text: str) -> str:
    """An id a request names; a malformed one is a 400 carrying Go's parse error."""
    try:
        return parse_id(text)
    except InvalidId as exc:
        raise APIError(400, str(exc)) from None
