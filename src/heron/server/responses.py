"""JSON responses that keep NaN and ±Inf, and streamed blob downloads (whole or a range).

JSON has no NaN or infinities; Heron sends them as ``{"$f": "nan"}`` tags
(:func:`heron.records.encode_nonfinite`), which :class:`heron.store.http.HttpStore`
and the web UI decode again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson
from starlette.responses import Response, StreamingResponse

from heron.records import dumps_faithful

CHUNK = 1 << 20
IMMUTABLE = "public, max-age=31536000, immutable"
"""Cache-Control of what is named by its content's hash: it can never change."""
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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


def stream_range(
    f: BinaryIO,
    range_header: str | None,
    *,
    media_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
) -> Response:
    """:func:`stream_file`, or the part a ``Range: bytes=start-[end]`` header asks for.

    A satisfiable range gets 206 with ``Content-Range``; one past the end gets
    416 (and ``f`` is closed); no header, or one that is not a single byte
    range, gets the whole file.
    """
    headers = dict(headers or {})
    wanted = _RANGE.match((range_header or "").strip())
    if wanted is None:
        return stream_file(f, media_type=media_type, headers=headers)
    size = f.seek(0, os.SEEK_END)
    start, end = _byte_range(wanted.group(1), wanted.group(2), size)
    if start is None:
        f.close()
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    f.seek(start)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        _read_part(f, end - start + 1), 206, media_type=media_type, headers=headers
    )


def _read_part(f: BinaryIO, length: int) -> Iterator[bytes]:
    # A sync iterator: Starlette runs each next() in its thread pool.
    with f:
        while length > 0 and (block := f.read(min(CHUNK, length))):
            length -= len(block)
            yield block


def _byte_range(first: str, last: str, size: int) -> tuple[int | None, int]:
    """``(start, end)`` inclusive of a ``bytes=first-last`` request; start None if unsatisfiable."""
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    elif last:  # the final `last` bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        return None, 0
    if start > end or start >= size:
        return None, 0
    return start, end


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
