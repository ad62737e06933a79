"""A run's files: the list (or one entry by name) and the download, streamed from its blob."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import Response

from heron.server.deps import RunKeyDep, StoreDep
from heron.server.responses import JSONResponse, stream_file
from heron.server.schemas import FilesOut

router = APIRouter(tags=["files"])


@router.get("/runs/{entity}/{project}/{run_id}/files", response_model=FilesOut)
def list_files(run: RunKeyDep, store: StoreDep, name: str | None = None) -> Response:
    """The run's files sorted by name; with ``name``, just that one (404 when absent)."""
    found = [store.get_file(run, name)] if name is not None else store.list_files(run)
    return JSONResponse({"files": [f.to_dict() for f in found]})


@router.get(
    "/runs/{entity}/{project}/{run_id}/files/{name:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_file(run: RunKeyDep, name: str, store: StoreDep) -> Response:
    """The file's bytes (its latest version), streamed."""
    info = store.get_file(run, name)
    basename = name.rsplit("/", 1)[-1]
    headers = {
        "ETag": f'"{info.sha256}"',
        "X-Heron-Sha256": info.sha256,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(basename)}",
    }
    return stream_file(store.blobs.open(info.sha256), headers=headers)
