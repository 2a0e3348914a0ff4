"""Command line: ``faynosync serve [--host H] [--port P]`` and ``faynosync migrate``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from faynosync.config import Settings
from faynosync.store import StoreError, open_store

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faynosync", description=__doc__)
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="default: FAYNOSYNC_LOG_LEVEL")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (all interfaces)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, else 9000)")
    commands.add_parser(
        "migrate", help="create collections, indexes and schema (idempotent), then exit"
    )
    return parser


async def _migrate(settings: Settings) -> None:
    store = await open_store(settings)
    try:
        await store.ping()
        await store.migrate()
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
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
    import uvicorn

    from faynosync.app import create_app
    from faynosync.http import server

    if args.port:
        # Links of the local store name this server: they must carry the port it listens on.
        settings = settings.model_copy(update={"PORT": args.port})
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=settings.PORT,
        log_level=level,
        **server.options(),
    )
