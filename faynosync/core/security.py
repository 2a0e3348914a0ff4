"""Passwords (bcrypt, ``$2a$``, cost 10) and tokens (HS256 JWT, golang-jwt's error rules)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import time
import warnings
from pathlib import Path
from typing import Any

import bcrypt
import jwt
from jwt.warnings import InsecureKeyLengthWarning

BCRYPT_COST = 10
BCRYPT_MAX_BYTES = 72
TOKEN_LIFETIME_SECONDS = 24 * 60 * 60


class PasswordTooLong(ValueError):
    """bcrypt cannot hash more than 72 bytes."""

    def __init__(self) -> None:
        super().__init__("bcrypt: password length exceeds 72 bytes")


def hash_password(password: str) -> str:
    """Hash with bcrypt, cost 10, ``$2a$`` prefix (what Go's ``x/crypto/bcrypt`` writes).

    Raises :class:`PasswordTooLong` for more than 72 bytes. CPU-bound (tens of ms): call it from
    a worker thread.
    """
    raw = password.encode()
    if len(raw) > BCRYPT_MAX_BYTES:
        raise PasswordTooLong()
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=BCRYPT_COST, prefix=b"2a")).decode()


def verify_password(password: str, hashed: str) -> bool:
    """Check ``password`` against a bcrypt hash (``$2a$``, ``$2b$``, ``$2y$``).

    Like Go, only the first 72 bytes of the password count. A malformed hash never matches.
    CPU-bound: call it from a worker thread.
    """
    try:
        return bcrypt.checkpw(password.encode()[:BCRYPT_MAX_BYTES], hashed.encode())
    except ValueError:
        return False


# --- tokens -----------------------------------------------------------------------------------


class TokenError(ValueError):
    """The token is not acceptable; ``str(error)`` is the message the auth middleware sends."""


MISSING_HEADER = "missing authorization header"
INVALID_FORMAT = "invalid token format"
INVALID_SIGNATURE = "invalid token signature"
MALFORMED = "malformed token"
UNVERIFIABLE = "unverifiable token"
EXPIRED = "token expired"
NOT_ACTIVE = "token not active yet"
INVALID = "invalid or expired token"
NO_USERNAME = "username not found in claims"

_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def create_token(username: str, secret: str, *, now: float | None = None) -> str:
    """An HS256 token with exactly the claims ``{exp, username}``, valid for 24 hours."""
    issued = int(time.time() if now is None else now)
    claims = {"exp": issued + TOKEN_LIFETIME_SECONDS, "username": username}
    with warnings.catch_warnings():
        # A short JWT_SECRET is the operator's choice, reported once at start.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})


def username_from_header(header: str | None, secret: str, *, now: float | None = None) -> str:
    """Validate an ``Authorization`` header and return the token's username.

    Reproduces FaynoSync's middleware on top of golang-jwt v4: the same checks in the same
    order, each failure a :class:`TokenError` carrying the original's message.
    """
    if not header:
        raise TokenError(MISSING_HEADER)
    parts = header.split()
    if len(parts) != 2 or parts[0] != "Bearer":
        raise TokenError(INVALID_FORMAT)
    return username_from_token(parts[1], secret, now=now)


def bearer_value(header: str | None) -> str:
    """The credential of a well-formed ``Bearer`` header, "" otherwise."""
    parts = header.split() if header else []
    return parts[1] if len(parts) == 2 and parts[0] == "Bearer" else ""


def username_from_token(token: str, secret: str, *, now: float | None = None) -> str:
    segments = token.split(".")
    if len(segments) != 3:
        raise TokenError(MALFORMED)
    header = _json_segment(segments[0], whole=True)
    claims = _json_segment(segments[1], whole=False)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _HMAC:
        raise TokenError(UNVERIFIABLE)
    signature = _b64decode(segments[2])
    signed = f"{segments[0]}.{segments[1]}".encode()
    expected = hmac.new(secret.encode(), signed, _HMAC[alg]).digest()
    if signature is None or not hmac.compare_digest(signature, expected):
        raise TokenError(INVALID_SIGNATURE)
    _check_times(claims, int(time.time() if now is None else now))
    username = claims.get("username")
    if not isinstance(username, str):
        raise TokenError(NO_USERNAME)
    # Go decodes a lone surrogate escape as U+FFFD.
    return _LONE_SURROGATE.sub("\ufffd", username)


def _b64decode(segment: str) -> bytes | None:
    """Unpadded base64url as Go's ``RawURLEncoding`` reads it (stray bits ignored)."""
    if not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _json_segment(segment: str, *, whole: bool) -> dict[str, Any]:
    raw = _b64decode(segment)
    if raw is None:
        raise TokenError(MALFORMED)
    try:
        text = raw.decode("utf-8", errors="replace")
        decoder = json.JSONDecoder(
            parse_constant=_no_constants, parse_float=_float64, parse_int=_float64_int
        )
        stripped = text.lstrip(" \t\r\n")
        value, end = decoder.raw_decode(stripped)
    except (ValueError, RecursionError):
        raise TokenError(MALFORMED) from None
    if whole and stripped[end:].strip(" \t\r\n"):
        # The header goes through json.Unmarshal (whole text), the claims through a Decoder.
        raise TokenError(MALFORMED)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TokenError(MALFORMED)
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(name)


def _float64(text: str) -> float:
    """A JSON number as Go decodes it into ``interface{}``: one out of float64's range fails
    the whole decode (so the token is malformed)."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]} out of range")
    return value


def _float64_int(text: str) -> int:
    if len(text) > 400:  # past float64's range (about 1.8e308) whatever the digits
        raise ValueError("number out of range")
    _float64(text)
    return int(text)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _seconds(value: Any) -> int | None:
    """A NumericDate claim as golang-jwt reads it (whole seconds), or None if not a number.

    Go converts the float to int64; a value past int64's range gives int64's minimum on the
    platforms FaynoSync runs on (a date in the far past).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = int(value)
    return seconds if _INT64_MIN <= seconds <= _INT64_MAX else _INT64_MIN


def _check_times(claims: dict[str, Any], now: int) -> None:
    if "exp" in claims:
        exp = _seconds(claims["exp"])
        if exp is None or (claims["exp"] != 0 and now >= exp):
            raise TokenError(EXPIRED)
    if "nbf" in claims:
        nbf = _seconds(claims["nbf"])
        if nbf is None or (claims["nbf"] != 0 and now < nbf):
            raise TokenError(NOT_ACTIVE)
    if "iat" in claims:
        iat = _seconds(claims["iat"])
        if iat is None or (claims["iat"] != 0 and now < iat):
            raise TokenError(INVALID)


# --- server secrets ---------------------------------------------------------------------------

SECRET_FILE = "secret.key"


def load_or_create_secret(data_dir: Path) -> str:
    """A random secret kept in ``data_dir`` (created on first use, readable by the owner only).

    Used for tokens when JWT_SECRET is empty: the original would sign with an empty key.
    """
    path = data_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process won the race: use its secret.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for ``purpose`` derived from the server secret (HMAC-SHA256)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
