"""Logged tables for the dashboard: ``GET /api/v1/tables/{sha256}`` and ``…/stats``.

A table stub names its Parquet blob by ``sha256``; these routes page, sort,
filter and summarise it on the server (see :mod:`heron.store.tables`), so the
browser never downloads a million rows. Decoded tables stay in a per-app LRU
cache bounded by bytes; a blob's content never changes, so the cache needs
no invalidation and replicas need not share it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from heron.server.deps import StoreDep
from heron.server.responses import JSONResponse
from heron.store.base import Store
from heron.store.blobs import check_sha256
from heron.store.tables import (
    MAX_PAGE_ROWS,
    LoadedTable,
    TableCache,
    load_table,
    query_table,
    table_stats,
)

router = APIRouter(tags=["tables"])

Filter = Annotated[
    str | None,
    Query(description='Rows to keep, e.g. `acc > 0.5 and label == "cat"` (see docs/http-api.md).'),
]


class TablePageOut(BaseModel):
    columns: list[str]
    column_types: dict[str, str]
    rows: list[list[Any]] = Field(description="The page's rows; media cells as their stubs.")
    total: int = Field(description="Rows after the filter.")
    nrows: int = Field(description="Rows in the table.")


class TableStatsOut(BaseModel):
    stats: dict[str, dict[str, Any]]
    total: int
    nrows: int


def _table(request: Request, store: Store, sha256: str) -> LoadedTable:
    cache: TableCache | None = getattr(request.app.state, "table_cache", None)
    if cache is None:  # one per app, made on first use
        cache = request.app.state.table_cache = TableCache()

    def load() -> LoadedTable:
        with store.blobs.open(sha256) as f:
            return load_table(f)

    return cache.get(check_sha256(sha256), load)


@router.get("/tables/{sha256}", response_model=TablePageOut)
def table_rows(
    sha256: str,
    request: Request,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_PAGE_ROWS)] = 50,
    sort: Annotated[str | None, Query(description="Column to sort by.")] = None,
    desc: bool = False,
    filter: Filter = None,
) -> Response:
    """One page of a logged table's rows, filtered and sorted."""
    table = _table(request, store, sha256)
    page = query_table(table, offset=offset, limit=limit, sort=sort, desc=desc, filter=filter)
    return JSONResponse(page)


@router.get("/tables/{sha256}/stats", response_model=TableStatsOut)
def get_table_stats(
    sha256: str, request: Request, store: StoreDep, filter: Filter = None
) -> Response:
    """Per-column counts, ranges, means and most frequent values, after the filter."""
    return JSONResponse(table_stats(_table(request, store, sha256), filter))
