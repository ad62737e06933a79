"""Media bytes for the dashboard: ``GET /api/v1/media/{sha256}.{ext}``.

A media stub names its blob by ``sha256``; the extension only picks the
``Content-Type`` the browser needs for ``<img>``, ``<audio>``, ``<video>`` or a
3-D loader. HTML is served as ``text/plain`` with ``nosniff``, never as a page
on the dashboard's origin: the UI shows it through ``<iframe sandbox srcdoc>``.
Single byte ranges are answered (206) so the browser can seek in video and audio.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from heron.errors import UsageError
from heron.server.deps import StoreDep
from heron.server.responses import IMMUTABLE, stream_range
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
        "Cache-Control": IMMUTABLE,
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    if request.headers.get("if-none-match") == f'"{sha256}"':
        return Response(status_code=304, headers=headers)
    f = store.blobs.open(sha256)
    return stream_range(f, request.headers.get("range"), media_type=content_type, headers=headers)
