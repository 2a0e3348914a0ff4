"""The name rules of FaynoSync (Go RE2 patterns, ASCII classes, anchored at both ends)."""

from __future__ import annotations

import re

# Python's `$` also matches before a final newline; fullmatch does not
# (docs/behaviour.md#name-patterns).
APP_NAME = re.compile(r"[a-zA-Z0-9\- ]+")
# The original takes any length; go-version's parse of a megabyte-long version would hold the
# event loop for a second here, so versions are bounded (docs/compatibility.md, deviation 38).
VERSION_LONGEST = 256
VERSION = re.compile(rf"[0-9.-]{{1,{VERSION_LONGEST}}}")
CHANNEL = re.compile(r"[a-zA-Z0-9]*")
PLATFORM = re.compile(r"[a-zA-Z0-9-]*")
ARCH = re.compile(r"[a-zA-Z0-9]*")


def matches(pattern: re.Pattern[str], text: str) -> bool:
    return pattern.fullmatch(text) is not None
