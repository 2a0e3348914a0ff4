"""bcrypt hashes Go made, and tokens made by hand (any header, claims, algorithm or key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

# Made by Go's golang.org/x/crypto/bcrypt GenerateFromPassword(password, bcrypt.DefaultCost).
GO_HASHES = {
    "password": "$2a$10$4W2.qudLy6nrqmG3cVBzmeVR95w3DJ8w/j/jc3ca22oiwmsyFnwZS",
    "Sup3r-secret!": "$2a$10$8NQ/VmsqpVHOutxZ7kkzOerQOBJEgIHS/rJK.HHPaYbxe94qm2HmS",
    "пароль": "$2a$10$hcMzSdjqC0UXVVT6a77tuuKTAlG5S0YnDbC0xVufmQ94GlYrbfgaG",
}
# Go's hash of 72 "a": Go compares only the first 72 bytes, so 80 "a" match it too.
GO_HASH_72A = "$2a$10$sfWLzFhPyS.YnvfTcfVkQewRCshHou77B38P2V7oRXvV5Q4gxg0QS"

SECRET = "a-test-secret"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(
    claims: Any,
    *,
    header: Any = None,
    secret: str = SECRET,
    alg: str = "HS256",
    raw_header: str | None = None,
    raw_claims: str | None = None,
) -> str:
    header_text = (
        raw_header
        if raw_header is not None
        else json.dumps(header if header is not None else {"alg": alg, "typ": "JWT"})
    )
    claims_text = raw_claims if raw_claims is not None else json.dumps(claims)
    signing_input = f"{b64(header_text.encode())}.{b64(claims_text.encode())}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(
        alg, hashlib.sha256
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"
