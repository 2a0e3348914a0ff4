"""The one machine condition a request can run into and should be told about: a full disk."""

from __future__ import annotations

import errno

# What file systems answer when no block (or no quota) is left for a write.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})

MESSAGE = "insufficient storage: the server's disk is full"


class DiskFull(Exception):
    """A write failed for want of space: answered 507 with :data:`MESSAGE`, reads go on."""


def is_full(exc: BaseException) -> bool:
    """Whether an ``OSError`` says the disk (or the quota) is full."""
    return isinstance(exc, OSError) and exc.errno in _FULL
