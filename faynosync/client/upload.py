"""One ``POST /upload`` of a release's files, sent again after a dropped connection or a server
error, never twice: before each new attempt the server is asked what it already holds
(``remote.holdings``), and only what is missing is sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from faynosync.client import remote
from faynosync.client.multipart import FileChanged, FilePart, MultipartBody
from faynosync.client.progress import Progress
from faynosync.client.release import Release
from faynosync.client.transport import (
    ClientError,
    Connection,
    ServerError,
    Unreachable,
    decoded,
)

# FaynoSync answers these refusals with a 500: sending again cannot change them.
DELIBERATE_500S = (
    "not found in apps_meta collection",
    "permission",
    "no results found",
    "already exists",
)


@dataclass(frozen=True)
class Retries:
    attempts: int = 5
    """Attempts after the first."""
    delay: float = 1.0
    """Seconds before the first retry, doubled for each next one, up to ``max_delay``."""
    max_delay: float = 30.0

    def wait(self, attempt: int) -> float:
        return float(min(self.delay * 2 ** (attempt - 1), self.max_delay))


class Outcome(Enum):
    UPLOADED = "uploaded"
    ALREADY_THERE = "already there"


ProgressFactory = Callable[[int], Progress]
Say = Callable[[str], None]


def send(
    connection: Connection, release: Release, files: list[FilePart], progress: Progress
) -> str:
    """One attempt; the id of the version the files landed in."""
    body = MultipartBody([("data", release.data())], files)
    headers = {"Content-Type": body.content_type, "Content-Length": str(body.length)}
    chunks = body.chunks(lambda _part, count: progress.advance(count))
    try:
        response = connection.request("POST", "/upload", content=chunks, headers=headers)
    except FileChanged as exc:
        raise ClientError(str(exc)) from None
    except Unreachable:
        progress.abandon()
        raise
    answer = decoded(response)
    progress.finish()
    return str(answer.get("uploadResult.Uploaded", "")) if isinstance(answer, dict) else ""


def _deliberate(error: ClientError | None) -> bool:
    return (
        isinstance(error, ServerError)
        and error.status == 500
        and any(text in error.message for text in DELIBERATE_500S)
    )


def _settle(found: remote.Holdings, sent: list[FilePart], error: ClientError | None) -> None:
    """Stop when the server holds other bytes, cannot show its own, or refused on purpose."""
    if found.different:
        lines = [f"  {part.name}: {why}" for part, why in found.different]
        raise ClientError(
            "the server already holds other files for this version:\n" + "\n".join(lines)
        )
    if found.unverifiable:
        lines = [f"  {part.name}: {why}" for part, why in found.unverifiable]
        raise ClientError(
            "the server holds files for this version that could not be compared with yours "
            "(a token that may download them can):\n" + "\n".join(lines)
        )
    if found.missing and len(found.missing) == len(sent) and _deliberate(error):
        assert error is not None
        raise error


def upload(
    connection: Connection,
    release: Release,
    files: list[FilePart],
    *,
    retries: Retries,
    progress: ProgressFactory,
    say: Say,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Upload ``files`` as one request; ``ALREADY_THERE`` when an earlier attempt (or an
    earlier run) landed the same bytes."""
    pending: list[FilePart] = files
    error: ClientError | None = None
    for attempt in range(retries.attempts + 1):
        if attempt and not _deliberate(error):
            wait = retries.wait(attempt)
            say(f"attempt {attempt} failed ({error}); trying again in {wait:g} s")
            sleep(wait)
        if error is not None:
            try:
                found = remote.holdings(connection, release.target, pending)
            except (Unreachable, ServerError) as exc:
                if isinstance(exc, ServerError) and not exc.retriable:
                    raise
                error = exc
                continue
            _settle(found, pending, error)
            if not found.missing:
                return Outcome.ALREADY_THERE
            pending = found.missing
        try:
            send(connection, release, pending, progress(sum(p.size for p in pending)))
            return Outcome.UPLOADED
        except ServerError as exc:
            if not exc.retriable:
                raise
            error = exc
        except Unreachable as exc:
            error = exc
    raise ClientError(f"gave up after {retries.attempts + 1} attempts: {error}")
