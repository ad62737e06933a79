"""Content-addressed blobs: ``PUT``/``GET``/``HEAD /api/v1/blobs/{sha256}``, and
``POST /api/v1/blobs/missing`` (which of these digests are not stored).

A blob's name is the sha256 of its bytes, so the server hashes what it
receives and refuses (400) an upload whose bytes do not match the name. Only
64 lowercase hex digits are accepted as a name: no path reaches the disk.
``GET`` answers a single byte range (206), so an interrupted download resumes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from heron.errors import UsageError
from heron.server.deps import StoreDep
from heron.server.responses import IMMUTABLE, JSONResponse, stream_range
from heron.server.schemas import BlobOut
from heron.store.blobs import check_sha256

router = APIRouter(tags=["blobs"])

MISSING_MAX = 10_000


class MissingIn(BaseModel):
    digests: list[str] = Field(max_length=MISSING_MAX, description="sha256 hex digests")


class MissingOut(BaseModel):
    missing: list[str] = Field(description="The digests asked about that are not stored.")


@router.post("/blobs/missing", response_model=MissingOut)
def missing_blobs(body: MissingIn, store: StoreDep) -> Response:
    """Which of up to 10,000 digests the store lacks: what a (resumed) upload must send."""
    digests = [check_sha256(d) for d in body.digests]
    return JSONResponse({"missing": store.blobs.missing(digests)})


@router.put("/blobs/{sha256}", response_model=BlobOut, status_code=201)
async def put_blob(sha256: str, request: Request, store: StoreDep) -> Response:
    """Store the request body as a blob; 201 when new, 200 when it was already there.

    The body is streamed to a temporary file while it is hashed, never held
    in memory whole.
    """
    check_sha256(sha256)
    fd, tmp = tempfile.mkstemp(prefix="heron-upload-")
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise UsageError(
                f"the uploaded bytes hash to {digest.hexdigest()}, not to {sha256}:"
                " a blob must be PUT under the sha256 of its content"
            )
        if await run_in_threadpool(store.blobs.exists, sha256):
            return JSONResponse({"sha256": sha256, "size": size, "created": False}, 200)
        stored, _ = await run_in_threadpool(store.blobs.put_file, tmp)
    finally:
        os.unlink(tmp)
    return JSONResponse({"sha256": stored, "size": size, "created": True}, 201)


@router.get(
    "/blobs/{sha256}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_blob(sha256: str, request: Request, store: StoreDep) -> Response:
    """The blob's bytes, streamed; cacheable forever since the name is the content's hash.

    ``Range: bytes=start-[end]`` gets that part (206), or 416 past the end.
    """
    f = store.blobs.open(check_sha256(sha256))
    headers = {"ETag": f'"{sha256}"', "Cache-Control": IMMUTABLE, "Accept-Ranges": "bytes"}
    return stream_range(f, request.headers.get("range"), headers=headers)


@router.head("/blobs/{sha256}", response_class=Response)
def head_blob(sha256: str, store: StoreDep) -> Response:
    """200 when the blob is stored, 404 when not (no body either way)."""
    found = store.blobs.exists(check_sha256(sha256))
    return Response(status_code=200 if found else 404)
