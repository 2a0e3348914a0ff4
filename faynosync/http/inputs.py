"""Reading request inputs the way Gin does: JSON bodies, forms and query values (spec 0.2)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import BinaryIO, TypeVar

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from faynosync.core import gojson
from faynosync.errors import APIError

T = TypeVar("T")

MAX_JSON_BODY = 1024 * 1024


async def read_limited(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (JSON bodies are small)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise APIError(413, f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def bind_json(request: Request, cls: type[T], *, error: str, plain: bool = False) -> T:
    """Decode the body's first JSON value into ``cls``; any failure is a 400 with ``error``."""
    raw = await read_limited(request)
    try:
        return gojson.bind(gojson.first_value(raw), cls)
    except gojson.DecodeError:
        raise APIError(400, error, plain=plain) from None


def query_value(request: Request, name: str) -> str:
    """The first value of a query parameter, "" when absent (Gin's ``c.Query``)."""
    values = request.query_params.getlist(name)
    return values[0] if values else ""


def go_base(filename: str) -> str:
    """Go's ``filepath.Base`` on Linux: the last path element."""
    if not filename:
        return "."
    stripped = filename.rstrip("/")
    if not stripped:
        return "/"
    return stripped.rsplit("/", 1)[-1]


@dataclass
class FormFile:
    """An uploaded file part: the base name of its filename and its (spooled) content."""

    filename: str
    file: BinaryIO


@dataclass
class Form:
    multipart: bool = False
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[FormFile]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        """The first value of a plain field, "" when absent (Gin's ``c.PostForm``)."""
        values = self.fields.get(name)
        return values[0] if values else ""

    def file_list(self, name: str) -> list[FormFile]:
        return self.files.get(name, [])


MAX_FORM_FIELD = 1024 * 1024


@contextlib.asynccontextmanager
async def open_form(request: Request) -> AsyncIterator[Form]:
    """The request's multipart or urlencoded form, with Go's idea of fields and files.

    A part is a file only when its filename is not empty; a file part without one is a plain
    field. Anything unreadable gives an empty form, as Go's ``PostForm`` then sees no fields.
    Uploaded files are closed (and their temporary files removed) on leaving the block.
    """
    content_type = request.headers.get("content-type", "")
    result = Form(multipart=content_type.lower().startswith("multipart/form-data"))
    try:
        form = await request.form(max_part_size=MAX_FORM_FIELD)
    except (StarletteHTTPException, ValueError, KeyError):
        yield result
        return
    try:
        for name, item in form.multi_items():
            if isinstance(item, UploadFile) and item.filename:
                upload = FormFile(filename=go_base(item.filename), file=item.file)
                result.files.setdefault(name, []).append(upload)
            elif isinstance(item, UploadFile):
                text = item.file.read(MAX_FORM_FIELD).decode("utf-8", errors="replace")
                result.fields.setdefault(name, []).append(text)
            else:
                result.fields.setdefault(name, []).append(item)
        yield result
    finally:
        await form.close()
