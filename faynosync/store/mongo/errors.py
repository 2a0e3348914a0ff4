"""PyMongo's errors as the store's, worded as FaynoSync's Go driver words them."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

from faynosync.store.protocol import translate_errors
from faynosync.store.rules import write_errors


def _duplicate_message(exc: Exception) -> str | None:
    if not isinstance(exc, DuplicateKeyError):
        return None
    errmsg = (exc.details or {}).get("errmsg") or str(exc)
    return write_errors(errmsg)


def describe(exc: Exception) -> str:
    """The Go driver's text for a command error: ``(CodeName) message``."""
    if isinstance(exc, OperationFailure) and exc.details:
        message = str(exc.details.get("errmsg", exc))
        name = exc.details.get("codeName")
        return f"({name}) {message}" if name else message
    return str(exc)


def _is_full(exc: Exception) -> bool:
    # OutOfDiskSpace: the server could not write (WiredTiger returns ENOSPC to it).
    return isinstance(exc, OperationFailure) and exc.code == 14031


translated = translate_errors(
    duplicate=_duplicate_message, driver_errors=(PyMongoError,), describe=describe, full=_is_full
)
