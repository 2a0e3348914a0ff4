"""``faynosync login``: check a token (or get a JWT for a name and password) and store it with
the server's URL in the config file."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from faynosync.client import config
from faynosync.client.config import ConfigError, Credentials
from faynosync.client.transport import ClientError, Connection, decoded

PASSWORD_VARIABLE = "FAYNOSYNC_PASSWORD"


def _password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return str(args.password)
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        return getpass.getpass(f"password for {args.username}: ")
    raise ClientError(f"no password: give --password, set {PASSWORD_VARIABLE}, or use a terminal")


def _server_url(args: argparse.Namespace) -> str:
    url = config.normalise_url(
        args.url or os.environ.get(config.URL_VARIABLE) or config.read_file().get("url", "")
    )
    if not url:
        raise ConfigError("no server: give --url (e.g. --url https://updates.example.com)")
    return url


def _who(connection: Connection) -> str:
    body = decoded(connection.request("GET", "/whoami"))
    kind = "admin" if body.get("is_admin") else f"team user of {body.get('owner', '?')}"
    return f"{body.get('username', '?')} ({kind})"


def login(args: argparse.Namespace) -> int:
    url = _server_url(args)
    if args.token:
        token = args.token.strip()
    elif args.username:
        with Connection(Credentials(url, "")) as anonymous:
            body = {"username": args.username, "password": _password(args)}
            token = str(decoded(anonymous.request("POST", "/login", json=body)).get("token", ""))
    else:
        raise ClientError("give --token TOKEN, or --username NAME (and --password)")
    credentials = Credentials(url, token)
    with Connection(credentials) as connection:
        who = _who(connection)
    path = config.write_file(credentials)
    print(f"logged in to {url} as {who}; saved in {path}")
    overriding = [v for v in (config.URL_VARIABLE, config.TOKEN_VARIABLE) if os.environ.get(v)]
    if overriding:
        print(f"note: {' and '.join(overriding)} set in the environment take precedence")
    return 0
