"""Reading request inputs the way Gin does: JSON bodies, forms and query values.

See docs/behaviour.md#request-inputs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import parse_qsl

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import (
    MAX_BOUNDARY_LENGTH as MAX_BOUNDARY,
)
from python_multipart.multipart import (
    MultipartParser,
    parse_options_header,
)
from starlette.requests import Request

from faynosync.core import disk, gojson
from faynosync.errors import APIError
from faynosync.http import mime
from faynosync.storage.staging import StagedFile, create_staged

T = TypeVar("T")

MAX_JSON_BODY = 1024 * 1024


async def read_limited(
    request: Request, limit: int = MAX_JSON_BODY, *, too_large: str | None = None
) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (JSON bodies are small), with
    ``too_large`` as its error when given; a ``Content-Length`` past it is refused before
    anything is read."""
    refusal = APIError(413, too_large or f"request body larger than {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise refusal
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise refusal
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


def query_values(request: Request, *names: str) -> dict[str, str]:
    """First values of several query parameters, by name."""
    return {name: query_value(request, name) for name in names}


def go_base(filename: str) -> str:
    """Go's ``filepath.Base`` on Linux: the last path element."""
    if not filename:
        return "."
    stripped = filename.rstrip("/")
    if not stripped:
        return "/"
    return stripped.rsplit("/", 1)[-1]


@dataclass
class Form:
    multipart: bool = False
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[StagedFile]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        """The first value of a plain field, "" when absent (Gin's ``c.PostForm``)."""
        values = self.fields.get(name)
        return values[0] if values else ""

    def file_list(self, name: str) -> list[StagedFile]:
        return self.files.get(name, [])


def data_field(form: Form, convert: Callable[[Any], T]) -> T:
    """The ``data`` field of an app or version form: one JSON document, given to ``convert``."""
    text = form.value("data")
    if not text:
        raise APIError(400, "No JSON data provided")
    try:
        return convert(gojson.whole_document(text))
    except gojson.DecodeError:
        raise APIError(400, "Invalid JSON data") from None


MAX_FORM_FIELD = 1024 * 1024
# Go's mime/multipart refuses more than 1,000 parts; plain fields are held in memory, so their
# total is bounded too (file parts go to disk and are not). python-multipart bounds the headers
# of a part (8 lines of 4 KiB): past that the body is unreadable, as a malformed one is.
MAX_PARTS = 1000
MAX_FORM_FIELDS_TOTAL = 4 * MAX_FORM_FIELD
WRITE_BUFFER = 1024 * 1024
TOO_LARGE = "multipart: message too large"


class _MultipartReader:
    """Feeds python-multipart's streaming parser; files go straight to staging files."""

    def __init__(self, boundary: bytes, staging: Path, form: Form) -> None:
        self._staging = staging
        self._form = form
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._parts = 0
        self._fields_total = 0
        self._name = ""
        self._field: bytearray | None = None
        self._file: BinaryIO | None = None
        self._file_part: StagedFile | None = None
        self.staged: list[Path] = []
        self.locks: list[int] = []
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field_data,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise APIError(413, TOO_LARGE)
        self._headers = {}

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        # The first of repeated headers counts, as Go's Header.Get gives it.
        self._headers.setdefault(bytes(self._header_field).lower(), bytes(self._header_value))
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        self._name, filename = _disposition(self._headers.get(b"content-disposition", b""))
        if filename:
            self._file_part = StagedFile(filename=go_base(filename), path=self._stage(), size=0)
        else:
            self._field = bytearray()

    def _stage(self) -> Path:
        """A new staging file, open for writing in ``self._file``."""
        try:
            path, lock = create_staged(self._staging)
        except OSError as exc:
            raise _staging_failure(exc) from exc
        self.staged.append(path)
        # Locked until the request ends, so that no server starting meanwhile removes it.
        self.locks.append(lock)
        self._file = os.fdopen(os.dup(lock), "wb", buffering=WRITE_BUFFER)
        return path

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None and self._file_part is not None:
            try:
                self._file.write(memoryview(data)[start:end])
            except OSError as exc:
                raise _staging_failure(exc) from exc
            self._file_part.size += end - start
        elif self._field is not None:
            self._field += memoryview(data)[start:end]
            self._fields_total += end - start
            if len(self._field) > MAX_FORM_FIELD:
                raise APIError(413, f"form field {self._name} larger than {MAX_FORM_FIELD} bytes")
            if self._fields_total > MAX_FORM_FIELDS_TOTAL:
                raise APIError(413, TOO_LARGE)

    def _part_end(self) -> None:
        if self._file is not None and self._file_part is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError as exc:
                raise _staging_failure(exc) from exc
            self._form.files.setdefault(self._name, []).append(self._file_part)
        elif self._field is not None:
            text = self._field.decode("utf-8", errors="replace")
            self._form.fields.setdefault(self._name, []).append(text)
        self._file, self._file_part, self._field = None, None, None

    def close(self) -> None:
        """Close a file left open by an error and release the locks; never raises (the files
        are removed next)."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        for lock in self.locks:
            os.close(lock)
        self.locks.clear()


def _disposition(header: bytes) -> tuple[str, str]:
    """A part's form name and file name, as Go's ``Part.FormName`` and ``Part.FileName`` read
    them: both empty unless the header parses and says ``form-data``."""
    try:
        kind, params = mime.parse_media_type(header.decode("utf-8", errors="replace"))
    except mime.MediaTypeError:
        return "", ""
    name = params.get("name", "") if kind == "form-data" else ""
    return name, params.get("filename", "")


def _staging_failure(exc: OSError) -> Exception:
    if disk.is_full(exc):
        return disk.DiskFull(f"staging an upload: {exc.strerror}")
    return exc


@contextlib.asynccontextmanager
async def open_form(request: Request, staging: Path) -> AsyncIterator[Form]:
    """The request's multipart or urlencoded form, with Go's idea of fields and files.

    File parts stream to staging files under ``staging`` (never whole in memory); a part is
    a file only when its filename is not empty. An unreadable body gives an empty form, as
    Go's ``PostForm`` then sees no fields. Staged files are removed on leaving the block
    (a caller may move them away first).
    """
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    form = Form(multipart=media_type == b"multipart/form-data")
    reader: _MultipartReader | None = None
    try:
        if form.multipart and options.get(b"boundary"):
            boundary = options[b"boundary"]
            if len(boundary) > MAX_BOUNDARY:
                raise APIError(400, f"multipart boundary longer than {MAX_BOUNDARY} bytes")
            reader = _MultipartReader(boundary, staging, form)
            try:
                async for chunk in request.stream():
                    reader.parser.write(chunk)
                reader.parser.finalize()
            except MultipartParseError:
                form = Form(multipart=True)
        elif media_type == b"application/x-www-form-urlencoded":
            body = (await read_limited(request)).decode("utf-8", errors="replace")
            for name, value in parse_qsl(body, keep_blank_values=True):
                form.fields.setdefault(name, []).append(value)
        yield form
    finally:
        if reader is not None:
            reader.close()
            for path in reader.staged:
                path.unlink(missing_ok=True)
