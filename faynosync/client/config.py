"""Where the client finds its server and token: ``FAYNOSYNC_URL`` and ``FAYNOSYNC_TOKEN`` first,
then the file ``faynosync login`` writes (``$XDG_CONFIG_HOME/faynosync/config.json``, else
``~/.config/faynosync/config.json``, readable by its owner only)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

URL_VARIABLE = "FAYNOSYNC_URL"
TOKEN_VARIABLE = "FAYNOSYNC_TOKEN"


class ConfigError(Exception):
    """The configuration is missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str


def config_path() -> Path:
    """The config file of this user (it may not exist yet)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "faynosync" / "config.json"


def normalise_url(url: str) -> str:
    """``url`` without trailing slashes; ``http://`` added when no scheme is given."""
    url = url.strip().rstrip("/")
    if url and "://" not in url:
        url = f"http://{url}"
    return url


def read_file(path: Path | None = None) -> dict[str, str]:
    """The stored ``url`` and ``token`` ({} when there is no file)."""
    path = path or config_path()
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; run `faynosync login` again") from None
    if not isinstance(stored, dict):
        raise ConfigError(f"{path} is not a JSON object; run `faynosync login` again")
    return {key: str(stored[key]) for key in ("url", "token") if isinstance(stored.get(key), str)}


def write_file(credentials: Credentials, path: Path | None = None) -> Path:
    """Store the credentials, readable and writable by the owner only (0600, directory 0700)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    body = json.dumps({"url": credentials.url, "token": credentials.token}, indent=2) + "\n"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, body.encode())
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    return path


def load(*, need_token: bool = True) -> Credentials:
    """The server and token to use: the environment, then the config file."""
    stored = read_file()
    url = normalise_url(os.environ.get(URL_VARIABLE) or stored.get("url", ""))
    token = (os.environ.get(TOKEN_VARIABLE) or stored.get("token", "")).strip()
    if not url:
        raise ConfigError(f"no server: run `faynosync login --url URL ...` or set {URL_VARIABLE}")
    if need_token and not token:
        raise ConfigError(f"no token: run `faynosync login` or set {TOKEN_VARIABLE}")
    return Credentials(url=url, token=token)
