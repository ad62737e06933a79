"""JSON responses that keep NaN and ±Inf, and streamed blob downloads.

JSON has no NaN or infinities; Heron sends them as ``{"$f": "nan"}`` tags
(:func:`heron.records.encode_nonfinite`), which :class:`heron.store.http.HttpStore`
and the web UI decode again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson
from starlette.responses import Response, StreamingResponse

from heron.records import dumps_faithful

CHUNK = 1 << 20


def dumps(value: Any) -> bytes:
    """JSON bytes of ``value`` with non-finite floats tagged.

    orjson writes NaN/±Inf as ``null``; when the fast dump holds no ``null``
    at all there was nothing to tag, so the slower recursive encoder only runs
    for the rare payload that may need it.
    """
    data = orjson.dumps(value)
    return data if b"null" not in data else dumps_faithful(value)


class JSONResponse(Response):
    """A JSON response rendered with :func:`dumps` (orjson, NaN-faithful)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def stream_file(
    f: BinaryIO,
    *,
    media_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    """Stream an open binary file (closed when done), with its length when it is knowable."""
    headers = dict(headers or {})
    size = _size(f)
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(_chunks(f), media_type=media_type, headers=headers)


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    # A sync iterator: Starlette runs each next() in its thread pool.
    with f:
        while block := f.read(CHUNK):
            yield block


def _size(f: BinaryIO) -> int | None:
    try:
        return os.fstat(f.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    try:
        here = f.tell()
        end = f.seek(0, os.SEEK_END)
        f.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None
