"""Runs: list (filtered, ordered, paged), get, patch, delete; records in, watermarks out.

``POST .../records`` is the write path of every SDK talking to a server: the
body is parsed with orjson rather than a Pydantic model, since a batch may
hold tens of thousands of records.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from heron.entities import check_name
from heron.errors import UsageError
from heron.records import decode_value
from heron.server.deps import RunKeyDep, StoreDep
from heron.server.responses import JSONResponse
from heron.server.schemas import RecordBatch, RunOut, RunsPage, RunUpdate, WatermarkOut

router = APIRouter(tags=["runs"])

MAX_PAGE = 10_000
"""The most runs one ``GET /runs/{entity}/{project}`` returns."""


@router.get("/runs/{entity}/{project}", response_model=RunsPage)
def list_runs(
    entity: str,
    project: str,
    store: StoreDep,
    filters: Annotated[
        str | None,
        Query(description='A JSON-encoded MongoDB-style query, e.g. {"state": "finished"}.'),
    ] = None,
    order: Annotated[
        str | None, Query(description="A field with optional +/- prefix; empty for none.")
    ] = "-created_at",
    limit: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    search: Annotated[
        str | None, Query(description="Case-insensitive substring of the name, run id or a tag.")
    ] = None,
    lite: Annotated[bool, Query(description="Leave each run's metadata out (for tables).")] = False,
) -> Response:
    """A page of a project's runs and how many match in all (``total``).

    ``order`` takes the filter fields and ``runtime``.
    """
    check_name("entity", entity)
    check_name("project", project)
    query = parse_filters(filters)
    search = search or None
    runs = (
        store.list_runs(
            entity,
            project,
            filters=query,
            order=order or None,
            limit=limit,
            offset=offset,
            search=search,
            lite=lite,
        )
        if limit
        else []
    )
    total = store.count_runs(entity, project, filters=query, search=search)
    rows = [r.to_dict() for r in runs]
    if lite:
        for row in rows:
            del row["metadata"]
    return JSONResponse({"runs": rows, "total": total})


@router.get("/runs/{entity}/{project}/{run_id}", response_model=RunOut)
def get_run(run: RunKeyDep, store: StoreDep) -> Response:
    """One run; a ``running`` run that stopped sending heartbeats comes back ``crashed``."""
    return JSONResponse(store.get_run(run).to_dict())


@router.patch("/runs/{entity}/{project}/{run_id}", response_model=RunOut)
def update_run(run: RunKeyDep, body: RunUpdate, store: StoreDep) -> Response:
    """Change a run's name, tags, notes, group, job type, config or summary."""
    changes = body.model_dump(exclude_none=True)
    for field in ("config", "summary"):
        if field in changes:
            changes[field] = decode_value(changes[field])
    return JSONResponse(store.update_run(run, **changes).to_dict())


@router.delete("/runs/{entity}/{project}/{run_id}", status_code=204)
def delete_run(run: RunKeyDep, store: StoreDep) -> Response:
    """Delete a run with its history and file entries (blobs stay until ``heron gc``)."""
    store.delete_run(run)
    return Response(status_code=204)


async def record_batch(request: Request) -> RecordBatch:
    """The body of ``POST .../records``, checked by hand (fast for big batches)."""
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or set(body) != {"stream", "records"}:
        raise UsageError('the body must be {"stream": "<id>", "records": [...]}')
    stream, records = body["stream"], body["records"]
    if not isinstance(stream, str) or not stream or len(stream) > 200:
        raise UsageError("stream must be a non-empty string of at most 200 characters")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UsageError("records must be a list of JSON objects")
    if b'"$f"' in raw:  # only then can there be non-finite tags to decode
        records = decode_value(records)
    return RecordBatch.model_construct(stream=stream, records=records)


_RECORDS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RecordBatch.model_json_schema()}},
    }
}


@router.post(
    "/runs/{entity}/{project}/{run_id}/records",
    response_model=WatermarkOut,
    openapi_extra=_RECORDS_BODY,
)
def apply_records(
    run: RunKeyDep, batch: Annotated[RecordBatch, Depends(record_batch)], store: StoreDep
) -> Response:
    """Apply records at most once each; answer the stream's new watermark.

    Records at or below the watermark are skipped, so a client may resend a
    batch whose answer it never got. An empty batch is a heartbeat.
    """
    return JSONResponse({"watermark": store.apply(run, batch.stream, batch.records)})


@router.get("/runs/{entity}/{project}/{run_id}/watermark", response_model=WatermarkOut)
def watermark(
    run: RunKeyDep,
    store: StoreDep,
    stream: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    """The highest seq applied from a run-log stream (0 when none)."""
    return JSONResponse({"watermark": store.watermark(run, stream)})


def parse_filters(raw: str | None) -> dict[str, Any] | None:
    """The ``filters`` query parameter: JSON text of a filter dict (NaN tags decoded)."""
    if raw is None or raw == "":
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"filters must be a JSON object: {exc}") from None
    if value is not None and not isinstance(value, dict):
        raise UsageError(f"filters must be a JSON object, not {type(value).__name__}")
    return decode_value(value) if value else None
