"""A run's console output, line by line, as its ``output`` records arrive (live tail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from heron.server.deps import RunKeyDep, StoreDep
from heron.server.responses import JSONResponse
from heron.server.schemas import OutputOut
from heron.store.base import MAX_OUTPUT_PAGE, OUTPUT_PAGE

router = APIRouter(tags=["output"])


@router.get("/runs/{entity}/{project}/{run_id}/output", response_model=OutputOut)
def read_output(
    run: RunKeyDep,
    store: StoreDep,
    start: Annotated[int, Query(ge=0, description="The first line number wanted.")] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_OUTPUT_PAGE)] = OUTPUT_PAGE,
    search: Annotated[
        str | None, Query(max_length=1000, description="Case-insensitive substring.")
    ] = None,
) -> Response:
    """Lines with ``line_no >= start`` in order, at most ``limit``; ``total`` counts them all.

    Tail a running run by asking again with ``start`` = the last line number seen + 1.
    """
    page = store.read_output(run, start=start, limit=limit, search=search or None)
    return JSONResponse(page.to_dict())
