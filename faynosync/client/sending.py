"""``faynosync upload FILE...`` and ``faynosync publish DIR``: the checks of the local input,
then the upload (``upload.upload``), then what the server made of ``--rollout``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from faynosync.client import config, layouts, remote
from faynosync.client.multipart import FilePart
from faynosync.client.progress import Progress
from faynosync.client.release import Release, Target, extension
from faynosync.client.transport import ClientError, Connection
from faynosync.client.upload import Outcome, Retries, upload


def _files(paths: list[str]) -> list[FilePart]:
    parts: list[FilePart] = []
    seen: dict[str, str] = {}
    for name in paths:
        path = Path(name)
        if path.is_dir():
            raise ClientError(
                f"{name} is a directory (to publish a build folder: faynosync publish)"
            )
        if not path.is_file():
            raise ClientError(f"{name}: no such file")
        part = FilePart.of(path)
        ext = extension(part.name)
        if ext in seen:
            raise ClientError(
                f"{seen[ext]} and {part.name} share the extension {ext or '(none)'!r}: a version "
                "holds one file per extension for a platform and arch"
            )
        seen[ext] = part.name
        parts.append(part)
    return parts


def changelog(value: str) -> str:
    """``--changelog TEXT``, or ``@FILE`` for the text of a file."""
    if not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text()
    except OSError as exc:
        raise ClientError(f"--changelog {value}: {exc.strerror or exc}") from None


def _release(args: argparse.Namespace, version: str, **fields: str) -> Release:
    if not version:
        raise ClientError("give --version")
    target = Target(args.app, version, args.channel, args.platform, args.arch)
    return Release(
        target=target,
        publish=args.publish,
        critical=args.critical,
        intermediate=args.intermediate,
        changelog=changelog(args.changelog),
        rollout=args.rollout,
        **fields,
    )


def _retries(args: argparse.Namespace) -> Retries:
    return Retries(attempts=args.retries, delay=args.retry_delay)


def _say(text: str) -> None:
    print(f"faynosync: {text}", file=sys.stderr, flush=True)


def _send(
    connection: Connection, release: Release, files: list[FilePart], args: argparse.Namespace
) -> Outcome:
    terminal = sys.stderr.isatty()

    def progress(total: int) -> Progress:
        return Progress(total, out=sys.stderr, terminal=terminal, interval=args.progress_interval)

    return upload(connection, release, files, retries=_retries(args), progress=progress, say=_say)


def _check_rollout_first(connection: Connection, release: Release) -> bool | None:
    if release.rollout is None:
        return None
    supported = remote.has_rollouts(connection, release.target)
    if supported is False:
        raise ClientError(
            f"--rollout {release.rollout}: this server keeps no staged rollouts (its versions "
            "of the app carry no RolloutPercent; FaynoSync 1.6.4 and later do). Nothing was "
            "uploaded; upload without --rollout to offer the version to every client"
        )
    return supported


def _check_rollout_after(connection: Connection, release: Release) -> int:
    item = remote.search_version(connection, release.target) or {}
    if "RolloutPercent" in item:
        return 0
    _say(
        f"the server ignored --rollout {release.rollout}: it keeps no staged rollouts, so the "
        "version is offered to every client it matches"
    )
    return 1


def _report(outcome: Outcome, release: Release, count: int) -> None:
    target = release.target
    where = "/".join(p for p in (target.channel, target.platform, target.arch) if p)
    name = f"{target.app} {target.stored_version}" + (f" ({where})" if where else "")
    if outcome is Outcome.ALREADY_THERE:
        print(f"already there: {name} holds these {count} file(s) with the same bytes")
    else:
        print(f"uploaded {count} file(s) to {name}")


def upload_command(args: argparse.Namespace) -> int:
    files = _files(args.files)
    release = _release(args, args.version, updater=args.updater, signature=args.signature)
    with Connection(config.load(), timeout=args.timeout) as connection:
        known = _check_rollout_first(connection, release)
        outcome = _send(connection, release, files, args)
        _report(outcome, release, len(files))
        if release.rollout is not None and known is None and outcome is Outcome.UPLOADED:
            return _check_rollout_after(connection, release)
    return 0


def _explain(found: layouts.Detected, folder: Path) -> None:
    print(f"{folder}: {found.tool} output, version {found.version or '(unknown)'}")
    for step in found.steps:
        signed = " (signed)" if step.signature else ""
        for path in step.files:
            print(f"  {path.relative_to(folder)}{signed}")
    for note in found.notes:
        print(f"  note: {note}")


def _offers_velopack(connection: Connection, platform: str) -> None:
    body = connection.get_json("/platform/list")
    for item in body.get("platforms") or []:
        if item.get("PlatformName") == platform:
            types = [u.get("type") for u in item.get("Updaters") or []]
            if "velopack" in types:
                return
            raise ClientError(
                f"Velopack output, but the server's platform {platform!r} does not offer the "
                f"velopack updater (it offers: {', '.join(map(str, types)) or 'none'})"
            )
    raise ClientError(f"Velopack output, but the server has no platform {platform!r}")


def publish_command(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise ClientError(f"{args.folder}: not a directory")
    found = layouts.detect(folder)
    if found is None:
        raise ClientError(f"{folder}: nothing to publish: expected {layouts.EXPECTED}")
    _explain(found, folder)
    version = args.version or found.version
    if args.version and found.version and args.version != found.version:
        found.problems.append(f"--version {args.version}, but the build says {found.version}")
    if found.problems:
        lines = "\n".join(f"  {problem}" for problem in found.problems)
        raise ClientError(f"{folder}: {found.tool} output is incomplete:\n{lines}")
    releases = [
        _release(args, version, updater=found.updater, signature=step.signature)
        for step in found.steps
    ]
    if args.dry_run:
        return 0
    with Connection(config.load(), timeout=args.timeout) as connection:
        if found.updater == "velopack":
            _offers_velopack(connection, args.platform)
        known = _check_rollout_first(connection, releases[0])
        outcomes = []
        for release, step in zip(releases, found.steps, strict=True):
            outcome = _send(connection, release, [FilePart.of(p) for p in step.files], args)
            _report(outcome, release, len(step.files))
            outcomes.append(outcome)
        if releases[0].rollout is not None and known is None and Outcome.UPLOADED in outcomes:
            return _check_rollout_after(connection, releases[0])
    return 0
