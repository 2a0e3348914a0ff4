"""A consistency report told three ways: lines for a terminal, JSON, and a log summary."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from faynosync.fsck.check import Finding, Problem, Report, check
from faynosync.storage.protocol import ObjectStorage
from faynosync.store import Store

log = logging.getLogger(__name__)

# How many keys the start-up log names; `faynosync fsck` lists them all.
LOGGED_KEYS = 5

_NOUNS = {
    Problem.ORPHAN: ("orphan", "orphans"),
    Problem.DANGLING: ("dangling link", "dangling links"),
    Problem.UNREADABLE: ("unreadable link", "unreadable links"),
    Problem.PARTIAL: ("partial write", "partial writes"),
}


def _count(number: int, problem: Problem) -> str:
    one, many = _NOUNS[problem]
    return f"{number} {one if number == 1 else many}"


def _age(seconds: float) -> str:
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{int(seconds // length)} {unit}"
    return f"{max(int(seconds), 0)} s"


def line(finding: Finding, *, now: float | None = None) -> str:
    """One finding: what, where, which key, then its size and age or the document holding it."""
    now = time.time() if now is None else now
    text = f"{finding.problem} {finding.where} {finding.key}"
    details = []
    if finding.size is not None:
        details.append(f"{finding.size} bytes")
    if finding.modified is not None:
        details.append(f"{_age(now - finding.modified)} old")
    if finding.holder:
        details.append(f"in {finding.holder}")
    if details:
        text += f" ({', '.join(details)})"
    if finding.young:
        text += ": young, kept"
    elif finding.removed:
        text += ": removed"
    return text


def summary(report: Report) -> str:
    """``N objects, M links checked; 2 orphans (1 young), ...; removed ...`` or ``...; clean``."""
    text = f"{report.objects} objects, {report.links} links checked"
    if not report.findings:
        return f"{text}; clean"
    parts = []
    for problem in Problem:
        found = [f for f in report.findings if f.problem is problem]
        if found:
            young = sum(f.young for f in found)
            parts.append(_count(len(found), problem) + (f" ({young} young)" if young else ""))
    text += "; " + ", ".join(parts)
    removed = [
        _count(number, problem)
        for problem in Problem
        if (number := sum(f.removed for f in report.findings if f.problem is problem))
    ]
    if removed:
        text += "; removed " + ", ".join(removed)
    if report.orphans_kept:
        text += f"; orphans kept: {report.orphans_kept}"
    return text


def as_json(report: Report) -> dict[str, Any]:
    return {
        "clean": report.clean,
        "objects": report.objects,
        "links": report.links,
        "grace": report.grace,
        "findings": [
            {
                "problem": str(f.problem),
                "where": f.where,
                "key": f.key,
                "size": f.size,
                "modified": f.modified,
                "holder": f.holder or None,
                "young": f.young,
                "removed": f.removed,
                **({"upload_id": f.upload_id} if f.upload_id else {}),
            }
            for f in report.findings
        ],
        "orphans_kept": report.orphans_kept or None,
    }


async def log_report(
    store: Store, storage: ObjectStorage, *, staging: Path | None, grace: float
) -> Report | None:
    """Check, change nothing, and log a summary with the first few keys; never raises (a
    failure is logged): meant to run in the background of a start."""
    try:
        report = await check(store, storage, staging=staging, grace=grace)
    except Exception:
        log.exception("consistency check failed")
        return None
    if report.clean:
        log.info("consistency check: %s", summary(report))
        return report
    problems = report.problems
    shown = ", ".join(f"{f.problem} {f.where} {f.key}" for f in problems[:LOGGED_KEYS])
    more = f" and {len(problems) - LOGGED_KEYS} more" if len(problems) > LOGGED_KEYS else ""
    log.warning(
        "consistency check: %s: %s%s (`faynosync fsck` lists them; "
        "`faynosync fsck --delete-orphans` removes orphans and partial writes)",
        summary(report),
        shown,
        more,
    )
    return report
