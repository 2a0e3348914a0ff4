"""sqlite3's errors as the store's: a UNIQUE violation, a full disk, any other failure."""

from __future__ import annotations

import sqlite3

from faynosync.core import disk
from faynosync.store.protocol import translate_errors


def is_duplicate(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


def _is_full(exc: Exception) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or disk.is_full(exc)


translated = translate_errors(
    duplicate=lambda exc: str(exc) if is_duplicate(exc) else None,
    driver_errors=(sqlite3.Error, ValueError, OSError),
    full=_is_full,
)
