"""A run's history: keys, rows (paged by step), evenly sampled rows, chart series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from heron.server.deps import RunKeyDep, StoreDep
from heron.server.responses import JSONResponse
from heron.server.schemas import KeysOut, RowsOut, SeriesOut
from heron.store.base import DEFAULT_BUCKETS, MAX_BUCKETS

router = APIRouter(tags=["history"])

MAX_ROWS = 100_000
"""The most rows one history request returns; page on with ``min_step`` = last step + 1."""

Stream = Annotated[str, Query(description="history (the user's log rows) or system.")]
Keys = Annotated[
    list[str] | None, Query(description="Repeat for each key; leave out for every key.")
]


@router.get("/runs/{entity}/{project}/{run_id}/history/keys", response_model=KeysOut)
def history_keys(run: RunKeyDep, store: StoreDep, stream: Stream = "history") -> Response:
    """The keys logged to a stream, sorted by name, with point counts and step ranges."""
    return JSONResponse({"keys": [k.to_dict() for k in store.history_keys(run, stream)]})


@router.get("/runs/{entity}/{project}/{run_id}/history", response_model=RowsOut)
def read_history(
    run: RunKeyDep,
    store: StoreDep,
    keys: Keys = None,
    min_step: int | None = None,
    max_step: int | None = None,
    limit: Annotated[int, Query(ge=0, le=MAX_ROWS)] = MAX_ROWS,
    stream: Stream = "history",
) -> Response:
    """Rows with ``min_step <= _step < max_step`` in step order, at most ``limit``."""
    rows = store.read_history(
        run, keys=keys, min_step=min_step, max_step=max_step, limit=limit, stream=stream
    )
    return JSONResponse({"rows": rows})


@router.get("/runs/{entity}/{project}/{run_id}/history/sample", response_model=RowsOut)
def sample_history(
    run: RunKeyDep,
    store: StoreDep,
    keys: Keys = None,
    samples: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 500,
    stream: Stream = "history",
) -> Response:
    """At most ``samples`` rows spread evenly over the steps, first and last included."""
    rows = store.sample_history(run, keys=keys, samples=samples, stream=stream)
    return JSONResponse({"rows": rows})


@router.get("/runs/{entity}/{project}/{run_id}/series", response_model=SeriesOut)
def series(
    run: RunKeyDep,
    store: StoreDep,
    key: str,
    x_axis: str = "_step",
    min_x: float | None = None,
    max_x: float | None = None,
    buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = DEFAULT_BUCKETS,
    stream: Stream = "history",
) -> Response:
    """One key's points over ``x_axis`` in ``[min_x, max_x]``, downsampled into buckets."""
    result = store.series(
        run, key, x_axis=x_axis, min_x=min_x, max_x=max_x, buckets=buckets, stream=stream
    )
    return JSONResponse(result.to_dict())
