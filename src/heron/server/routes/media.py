"""Media bytes for the dashboard: ``GET /api/v1/media/{sha256}.{ext}``.

A media stub names its blob by ``sha256``; the extension only picks the
``Content-Type`` the browser needs for ``<img>``, ``<audio>``, ``<video>`` or a
3-D loader. HTML is served as ``text/plain`` with ``nosniff``, never as a page
on the dashboard's origin: the UI shows it through ``<iframe sandbox srcdoc>``.
Single byte ranges are answered (206) so the browser can seek in video and audio.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import BinaryIO

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from heron.errors import UsageError
from heron.server.deps import StoreDep
from heron.server.responses import CHUNK, stream_file
from heron.store.blobs import check_sha256

router = APIRouter(tags=["media"])

CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "json": "application/json",
    "obj": "text/plain; charset=utf-8",
    "gltf": "model/gltf+json",
    "glb": "model/gltf-binary",
    "html": "text/plain; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "bin": "application/octet-stream",
}
_IMMUTABLE = "public, max-age=31536000, immutable"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@router.get(
    "/media/{sha256}.{ext}",
    response_class=Response,
    responses={200: {"content": {t: {} for t in sorted(set(CONTENT_TYPES.values()))}}},
)
def get_media(sha256: str, ext: str, request: Request, store: StoreDep) -> Response:
    """The blob's bytes with the Content-Type of ``ext``; cacheable forever (named by hash)."""
    check_sha256(sha256)
    content_type = CONTENT_TYPES.get(ext.lower())
    if content_type is None:
        raise UsageError(
            f"unknown media extension {ext!r}; use one of {', '.join(sorted(CONTENT_TYPES))}"
        )
    headers = {
        "ETag": f'"{sha256}"',
        "Cache-Control": _IMMUTABLE,
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    if request.headers.get("if-none-match") == f'"{sha256}"':
        return Response(status_code=304, headers=headers)
    f = store.blobs.open(sha256)
    wanted = _RANGE.match(request.headers.get("range", "").strip())
    if wanted is None:
        return stream_file(f, media_type=content_type, headers=headers)
    size = f.seek(0, os.SEEK_END)
    start, end = _byte_range(wanted.group(1), wanted.group(2), size)
    if start is None:
        f.close()
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    f.seek(start)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        _read_part(f, end - start + 1), 206, media_type=content_type, headers=headers
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
