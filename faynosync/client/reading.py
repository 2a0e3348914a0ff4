"""The read-only commands an admin scripts with: ``apps``, ``versions APP`` and
``check APP VERSION`` (what an app at that version is told by ``/checkVersion``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from faynosync.client import config, tables
from faynosync.client.transport import ClientError, Connection, decoded


def _print(body: Any, raw: str, args: argparse.Namespace, render: Any) -> int:
    print(raw if args.json else render(body))
    return 0


def apps(args: argparse.Namespace) -> int:
    with Connection(config.load()) as connection:
        response = connection.request("GET", "/app/list")
        return _print(decoded(response), response.text, args, tables.apps)


def versions(args: argparse.Namespace) -> int:
    params = {"app_name": args.app, "page": str(args.page), "limit": str(args.limit)}
    for name in ("channel", "platform", "arch"):
        if getattr(args, name):
            params[name] = getattr(args, name)
    with Connection(config.load()) as connection:
        response = connection.request("GET", "/search", params=params)
        return _print(decoded(response), response.text, args, tables.versions)


def _owner(connection: Connection, given: str | None) -> str:
    """``--owner``, else the admin of the logged-in token."""
    if given:
        return given
    if "Authorization" not in connection.http.headers:
        raise ClientError("give --owner (the admin who owns the app), or log in")
    body = decoded(connection.request("GET", "/whoami"))
    return str(body.get("owner") or body.get("username", ""))


def check(args: argparse.Namespace) -> int:
    with Connection(config.load(need_token=not args.owner)) as connection:
        params = {
            "app_name": args.app,
            "version": args.version,
            "channel": args.channel,
            "platform": args.platform,
            "arch": args.arch,
            "owner": _owner(connection, args.owner),
        }
        if args.updater:
            params["updater"] = args.updater
        # What an app is told is public: no token goes with it.
        response = connection.public("GET", "/checkVersion", params=params)
    if response.status_code >= 400:
        decoded(response)
    return _show_check(response, args)


def _show_check(response: Any, args: argparse.Namespace) -> int:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("location", "")
        summary = {"status": status, "location": location}
        print(json.dumps(summary) if args.json else f"redirect ({status}) to {location}")
    elif status == 204 or not response.content:
        print(json.dumps({"status": status}) if args.json else f"no update ({status}, no body)")
    elif response.headers.get("content-type", "").startswith("application/json"):
        print(response.text if args.json else tables.check(decoded(response)))
    elif args.json:  # a text answer (Squirrel.Windows' RELEASES file at API level 2.1)
        content_type = response.headers.get("content-type", "")
        print(json.dumps({"status": status, "content_type": content_type, "text": response.text}))
    else:
        print(response.text, end="" if response.text.endswith("\n") else "\n")
    return 0
