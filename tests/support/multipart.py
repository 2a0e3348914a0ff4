"""A multipart upload body sent piece by piece, as a slow client sends it."""

from __future__ import annotations

from faynosync.core import gojson

BOUNDARY = "faynosync-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def head(data: dict[str, object], filename: str) -> bytes:
    """The ``data`` field, then the headers of one ``file`` part; its bytes come next."""
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="data"\r\n\r\n'
        f"{gojson.dumps(data)}\r\n"
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()
