"""The client's subcommands of ``faynosync``: their options, and how each runs (a failure is one
line on stderr and exit status 1, never a traceback)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from faynosync.client import account, reading, sending
from faynosync.client.config import ConfigError
from faynosync.client.transport import DEFAULT_TIMEOUT, ClientError

Handler = Callable[[argparse.Namespace], int]

EXAMPLES = """\
client commands (server and token from `faynosync login`, or FAYNOSYNC_URL and FAYNOSYNC_TOKEN):
  faynosync login --url https://updates.example.com --token fns_...
  faynosync upload dist/app-1.2.3.dmg --app myapp --version 1.2.3 --channel stable \\
      --platform darwin --arch arm64 --publish
  faynosync publish dist/ --app myapp --channel stable --platform windows --arch amd64 --publish
  faynosync apps
  faynosync versions myapp --json
  faynosync check myapp 1.2.2 --channel stable --platform darwin --arch arm64
"""


def rollout(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 100 or not text.strip().lstrip("+").isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole percent from 0 to 100, not {text!r}")
    return value


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"cannot be negative: {text!r}")
        return value

    return parse


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _release_options(parser: argparse.ArgumentParser, *, version_required: bool) -> None:
    parser.add_argument("--app", required=True, help="the app's name")
    parser.add_argument("--version", required=version_required, help="e.g. 1.2.3")
    parser.add_argument("--channel", default="", help="e.g. stable")
    parser.add_argument("--platform", default="", help="e.g. darwin, windows")
    parser.add_argument("--arch", default="", help="e.g. arm64, amd64")
    parser.add_argument("--publish", action="store_true", help="offer it to clients at once")
    parser.add_argument("--critical", action="store_true", help="mark the version critical")
    parser.add_argument(
        "--intermediate", action="store_true", help="a required intermediate version"
    )
    parser.add_argument("--changelog", default="", metavar="TEXT|@FILE", help="release notes")
    parser.add_argument(
        "--rollout",
        type=rollout,
        metavar="PERCENT",
        help="offer it to this share of devices (servers with staged rollouts: FaynoSync 1.6.4+)",
    )
    parser.add_argument(
        "--retries",
        type=_positive(int),
        default=5,
        help="attempts after a dropped connection or a server error (default 5)",
    )
    parser.add_argument(
        "--retry-delay",
        type=_positive(float),
        default=_env_float("FAYNOSYNC_RETRY_DELAY", 1.0),
        metavar="SECONDS",
        help="before the first retry, doubled each time (default FAYNOSYNC_RETRY_DELAY, else 1)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"wait this long for the server (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--progress-interval",
        type=_positive(float),
        default=5.0,
        metavar="SECONDS",
        help="seconds between progress lines when stderr is not a terminal (default 5)",
    )


def _add(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    *,
    help: str,
    example: str,
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(client=handler)
    return parser


def _reading(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    apps = _add(commands, "apps", reading.apps, help="list the apps", example="faynosync apps")
    versions = _add(
        commands,
        "versions",
        reading.versions,
        help="list an app's versions (GET /search), newest first",
        example="faynosync versions myapp --channel stable",
    )
    versions.add_argument("app")
    for name in ("channel", "platform", "arch"):
        versions.add_argument(f"--{name}", default="", help=f"only versions of this {name}")
    versions.add_argument("--page", type=int, default=1)
    versions.add_argument("--limit", type=int, default=100, help="versions a page (default 100)")
    check = _add(
        commands,
        "check",
        reading.check,
        help="what an app at VERSION is told (GET /checkVersion)",
        example="faynosync check myapp 1.2.2 --channel stable --platform darwin --arch arm64",
    )
    check.add_argument("app")
    check.add_argument("version")
    for name in ("channel", "platform", "arch"):
        check.add_argument(f"--{name}", default="")
    check.add_argument("--owner", help="the admin who owns the app (default: the logged-in one)")
    check.add_argument("--updater", help="ask as this updater (default: the platform's)")
    for parser in (apps, versions, check):
        parser.add_argument("--json", action="store_true", help="print the server's JSON")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``login``, ``upload``, ``publish``, ``apps``, ``versions`` and ``check``."""
    login = _add(
        commands,
        "login",
        account.login,
        help="store the server's URL and a token (or a JWT got with a name and password)",
        example="faynosync login --url https://updates.example.com --username admin",
    )
    login.add_argument("--url", help="the server (default FAYNOSYNC_URL, else the stored one)")
    login.add_argument("--token", help="an API token (fns_...) or a JWT")
    login.add_argument("--username")
    login.add_argument("--password", help="default FAYNOSYNC_PASSWORD, else asked")
    upload = _add(
        commands,
        "upload",
        sending.upload_command,
        help="upload files as one version, with retries that never duplicate it",
        example="faynosync upload app.dmg app.zip --app myapp --version 1.2.3 --channel stable "
        "--platform darwin --arch arm64 --publish",
    )
    upload.add_argument("files", nargs="+", metavar="FILE")
    _release_options(upload, version_required=True)
    upload.add_argument("--updater", default="", help="e.g. electron-builder, squirrel_windows")
    upload.add_argument("--signature", default="", help="stored on the files (Tauri)")
    publish = _add(
        commands,
        "publish",
        sending.publish_command,
        help="upload a build folder of electron-builder, Tauri, Squirrel.Windows or Velopack",
        example="faynosync publish dist/ --app myapp --channel stable --platform windows "
        "--arch amd64 --publish",
    )
    publish.add_argument("folder", metavar="DIR")
    _release_options(publish, version_required=False)
    publish.add_argument(
        "--dry-run", action="store_true", help="show what would be uploaded, send nothing"
    )
    _reading(commands)


def run(args: argparse.Namespace) -> int:
    """Run a client command; its exit status."""
    handler: Handler = args.client
    try:
        return handler(args)
    except (ClientError, ConfigError) as exc:
        print(f"faynosync: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"faynosync: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("faynosync: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an answer of a shape no server of the API gives
        print(f"faynosync: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1
