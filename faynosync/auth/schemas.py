"""Request bodies of the auth routes, bound with Go's rules (see ``core.gojson.bind``)."""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.core.gojson import required


@dataclass
class SignupRequest:
    username: str = ""
    password: str = ""
    api_key: str = ""


@dataclass
class LoginRequest:
    username: str = ""
    password: str = ""


@dataclass
class AdminUpdateRequest:
    id: str = required(default="")
    username: str = required(default="")
    password: str = ""
