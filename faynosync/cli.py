"""Command line: ``faynosync serve [--host H] [--port P] [--workers N]``, ``faynosync
migrate`` and ``faynosync fsck [--delete-orphans] [--json] [--grace SECONDS]``; the client's
commands (``login``, ``upload``, ``publish``, ``apps``, ``versions``, ``check``) come from
``faynosync.client``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys

from faynosync.client import commands as client
from faynosync.config import Settings
from faynosync.fsck.check import Report, check
from faynosync.fsck.report import as_json, line, summary
from faynosync.storage import StorageError, open_storage
from faynosync.storage.staging import staging_dir
from faynosync.store import StoreError, open_store

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
DESCRIPTION = "faynosync: the update server, and a client for it (or for FaynoSync)."
EXAMPLES = f"""\
server commands (settings from the environment and ./.env):
  faynosync serve --port 9000
  faynosync migrate
  faynosync fsck --json

{client.EXAMPLES}"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faynosync",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="default: FAYNOSYNC_LOG_LEVEL")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (all interfaces)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, else 9000)")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes serving the port (default: WEB_CONCURRENCY, else 1)",
    )
    commands.add_parser(
        "migrate", help="create collections, indexes and schema (idempotent), then exit"
    )
    fsck = commands.add_parser(
        "fsck",
        help="list orphan objects, dangling links and partial writes; exit 1 if there are any",
        description="Compare the documents with the stored objects: orphans (objects no "
        "document references), dangling links (documents whose object is missing), unreadable "
        "links, and partial writes (temporary and staged files, unfinished S3 uploads). One "
        "line per finding, then a summary. Exit status: 0 clean, 1 problems found, 2 failure.",
    )
    fsck.add_argument(
        "--delete-orphans",
        action="store_true",
        help="remove orphan objects and partial writes older than the grace period",
    )
    fsck.add_argument("--json", action="store_true", help="print one JSON document instead")
    fsck.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help="younger objects may be uploads in flight: reported, never removed "
        "(default: FAYNOSYNC_ORPHAN_GRACE, else 3600)",
    )
    client.register(commands)
    return parser


async def _migrate(settings: Settings) -> None:
    store = await open_store(settings)
    try:
        await store.ping()
        await store.migrate()
    finally:
        await store.close()


async def _fsck(settings: Settings, *, remove: bool, grace: float) -> Report:
    async with contextlib.AsyncExitStack() as stack:
        store = await open_store(settings)
        stack.push_async_callback(store.close)
        await store.ping()
        await store.migrate()
        # No link is signed here: the local store's signing key is not needed.
        storage = await open_storage(settings, stack, signing_key=b"")
        return await check(
            store, storage, staging=staging_dir(settings), grace=grace, remove=remove
        )


def _run_fsck(settings: Settings, args: argparse.Namespace) -> None:
    grace = settings.FAYNOSYNC_ORPHAN_GRACE if args.grace is None else args.grace
    if grace < 0:
        sys.exit("faynosync: the grace period cannot be negative")
    try:
        report = asyncio.run(_fsck(settings, remove=args.delete_orphans, grace=grace))
    except (StoreError, StorageError) as exc:
        print(f"faynosync: fsck failed: {exc}", file=sys.stderr)
        sys.exit(2)
    if args.json:
        print(json.dumps(as_json(report), indent=2))
    else:
        for finding in report.findings:
            print(line(finding))
        print(f"faynosync fsck: {summary(report)}")
    sys.exit(0 if report.clean else 1)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if hasattr(args, "client"):
        # The client reads no server settings: a .env of the working directory is not its own.
        sys.exit(client.run(args))
    settings = Settings()
    level = args.log_level or settings.FAYNOSYNC_LOG_LEVEL.lower()
    if level not in LOG_LEVELS:
        sys.exit(f"faynosync: invalid log level {level!r}; use one of {', '.join(LOG_LEVELS)}")
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if args.command == "migrate":
        try:
            asyncio.run(_migrate(settings))
        except StoreError as exc:
            sys.exit(f"faynosync: migration failed: {exc}")
        print(f"faynosync: schema up to date ({'MongoDB' if settings.uses_mongo else 'SQLite'})")
        return
    if args.command == "fsck":
        _run_fsck(settings, args)
        return
    import uvicorn

    from faynosync.app import create_app
    from faynosync.http import server

    if args.port:
        # Links of the local store name this server: they must carry the port it listens on.
        settings = settings.model_copy(update={"PORT": args.port})
    workers = _workers(args.workers)
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=settings.PORT,
            log_level=level,
            access_log=settings.FAYNOSYNC_ACCESS_LOG,
            **server.options(),
        )
        return
    # Each worker process makes its own app from the environment: hand it the port too.
    os.environ["PORT"] = str(settings.PORT)
    os.environ["FAYNOSYNC_WORKERS"] = str(workers)
    uvicorn.run(
        "faynosync.app:create_app",
        factory=True,
        workers=workers,
        host=args.host,
        port=settings.PORT,
        log_level=level,
        access_log=settings.FAYNOSYNC_ACCESS_LOG,
        **server.options(),
    )


def _workers(given: int | None) -> int:
    """``--workers``, else ``WEB_CONCURRENCY`` (as uvicorn and gunicorn read it), else 1."""
    if given is None:
        text = os.environ.get("WEB_CONCURRENCY", "").strip() or "1"
        if not text.isdigit():
            sys.exit(f"faynosync: WEB_CONCURRENCY must be a number of processes, not {text!r}")
        given = int(text)
    if given < 1:
        sys.exit("faynosync: --workers must be at least 1")
    return given
