"""A ``multipart/form-data`` body streamed from disk: its length is known before the first byte
is sent (so no chunked encoding), and no more than one chunk of a file is ever in memory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
CRLF = b"\r\n"


class FileChanged(Exception):
    """A file's size changed while it was being sent."""


@dataclass(frozen=True)
class FilePart:
    path: Path
    name: str
    """The file name the server is told (it chooses the extension, and some layouts' keys)."""
    size: int

    @classmethod
    def of(cls, path: Path, name: str | None = None) -> FilePart:
        return cls(path=path, name=name or path.name, size=path.stat().st_size)


def _quoted(value: str) -> str:
    """A parameter value of Content-Disposition, escaped as browsers escape it."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """Text fields, then file parts, all named ``file``."""

    def __init__(
        self, fields: list[tuple[str, str]], files: list[FilePart], *, boundary: str = ""
    ) -> None:
        self.boundary = boundary or os.urandom(16).hex()
        self.files = files
        self._fields = [self._head(name) + value.encode() + CRLF for name, value in fields]
        self._heads = [self._head("file", part.name) for part in files]
        self._tail = f"--{self.boundary}--".encode() + CRLF

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def length(self) -> int:
        parts = sum(
            len(head) + part.size + len(CRLF)
            for head, part in zip(self._heads, self.files, strict=True)
        )
        return sum(map(len, self._fields)) + parts + len(self._tail)

    def _head(self, name: str, filename: str | None = None) -> bytes:
        disposition = f'form-data; name="{_quoted(name)}"'
        lines = [f"--{self.boundary}"]
        if filename is None:
            lines.append(f"Content-Disposition: {disposition}")
        else:
            lines.append(f'Content-Disposition: {disposition}; filename="{_quoted(filename)}"')
            lines.append("Content-Type: application/octet-stream")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def chunks(self, on_bytes: Callable[[FilePart, int], None]) -> Iterator[bytes]:
        """The body, a chunk at a time; ``on_bytes`` hears of every chunk of a file sent."""
        yield b"".join(self._fields)
        for head, part in zip(self._heads, self.files, strict=True):
            yield head
            sent = 0
            with part.path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    sent += len(chunk)
                    if sent > part.size:
                        break
                    yield chunk
                    on_bytes(part, len(chunk))
            if sent != part.size:
                raise FileChanged(f"{part.path} changed size while it was sent")
            yield CRLF
        yield self._tail
