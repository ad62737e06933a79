"""Weave calls of a project: call-log records in, queries, deletion, feedback.

``POST .../calls/records`` is the tracing SDK's write path (parsed with
orjson, like run records, since a batch may hold thousands of calls).
Non-finite floats stay ``{"$f": ...}`` tags in stored calls (JSONB has no
NaN); the SDK decodes them when it reads calls back.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from heron.errors import UsageError
from heron.server.deps import StoreDep
from heron.server.responses import JSONResponse
from heron.server.routes.project_views import ProjectDep
from heron.server.schemas import RecordBatch, WatermarkOut
from heron.store.base import MAX_CALLS_PAGE

router = APIRouter(prefix="/projects/{entity}/{project}", tags=["calls"])

MAX_DELETE_CALLS = 10_000
"""The most call ids one ``POST .../calls/delete`` takes."""


class CallsQuery(BaseModel):
    """``POST .../calls/query``: which calls, in what order, which page."""

    model_config = ConfigDict(extra="forbid")

    filter: dict[str, Any] | None = Field(
        default=None,
        description=(
            "op_names, trace_ids, parent_ids, call_ids, thread_ids, turn_ids, statuses,"
            " reactions (lists),"
            " trace_roots_only, has_feedback (bool), started_after, started_before (unix s),"
            " attributes ({key: value})."
        ),
    )
    sort_by: list[tuple[str, str]] | None = Field(
        default=None, description='[["started_at", "desc"], ...]; default started_at ascending.'
    )
    limit: int = Field(default=1000, ge=0, le=MAX_CALLS_PAGE)
    offset: int = Field(default=0, ge=0)
    include_costs: bool = Field(
        default=False, description='Add summary["weave"]["costs"] from the LLM prices.'
    )
    query: dict[str, Any] | None = Field(
        default=None,
        description='A weave-style {"$expr": {...}} condition, ANDed with filter.',
    )
    columns: list[str] | None = Field(
        default=None,
        description="Return only these call fields (id, trace_id, parent_id, op_name,"
        " started_at are always kept).",
    )
    include_feedback: bool = Field(
        default=False, description='Add summary["weave"]["feedback"]: each call\'s feedback.'
    )


class CallsOut(BaseModel):
    calls: list[dict[str, Any]]


class CountOut(BaseModel):
    count: int


class CountByIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="op_name, parent_id or trace_id.")
    filter: dict[str, Any] | None = None


class CountByOut(BaseModel):
    counts: dict[str, int]


class FeedbackCountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_ids: list[str] = Field(max_length=MAX_CALLS_PAGE)


class FeedbackCountsOut(BaseModel):
    counts: dict[str, dict[str, Any]] = Field(
        description='{call_id: {"total": n, "types": {type: n}, "reactions": {emoji: n}}}'
    )


class DeleteCallsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_ids: list[str] = Field(min_length=1, max_length=MAX_DELETE_CALLS)


class DeletedOut(BaseModel):
    deleted: int = Field(description="Calls deleted, descendants included.")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedback_type: str = Field(min_length=1, max_length=256)
    payload: dict[str, Any] = Field(default_factory=dict)


class FeedbackOut(BaseModel):
    id: str
    call_id: str
    feedback_type: str
    payload: dict[str, Any]
    created_at: float


class FeedbackListOut(BaseModel):
    feedback: list[FeedbackOut]


class FeedbackQuery(BaseModel):
    """``POST .../feedback/query``: which feedback of the project, which page."""

    model_config = ConfigDict(extra="forbid")

    feedback_ids: list[str] | None = Field(default=None, max_length=MAX_CALLS_PAGE)
    call_ids: list[str] | None = Field(default=None, max_length=MAX_CALLS_PAGE)
    feedback_types: list[str] | None = None
    reactions: list[str] | None = Field(default=None, description="Emoji of reactions.")
    limit: int = Field(default=1000, ge=0, le=MAX_CALLS_PAGE)
    offset: int = Field(default=0, ge=0)


class PurgedOut(BaseModel):
    purged: bool


async def call_batch(request: Request) -> RecordBatch:
    """The body of ``POST .../calls/records`` (tags are kept, not decoded)."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or set(body) != {"stream", "records"}:
        raise UsageError('the body must be {"stream": "<id>", "records": [...]}')
    stream, records = body["stream"], body["records"]
    if not isinstance(stream, str) or not stream or len(stream) > 200:
        raise UsageError("stream must be a non-empty string of at most 200 characters")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UsageError("records must be a list of JSON objects")
    return RecordBatch.model_construct(stream=stream, records=records)


_RECORDS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RecordBatch.model_json_schema()}},
    }
}


@router.post("/calls/records", response_model=WatermarkOut, openapi_extra=_RECORDS_BODY)
def apply_call_records(
    names: ProjectDep, batch: Annotated[RecordBatch, Depends(call_batch)], store: StoreDep
) -> Response:
    """Apply ``call_start``/``call_end`` records at most once each; answer the new watermark."""
    return JSONResponse({"watermark": store.apply_calls(*names, batch.stream, batch.records)})


@router.get("/calls/watermark", response_model=WatermarkOut)
def calls_watermark(
    names: ProjectDep,
    store: StoreDep,
    stream: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    """The highest seq applied from a call log (0 when none)."""
    return JSONResponse({"watermark": store.calls_watermark(*names, stream)})


@router.post("/calls/query", response_model=CallsOut)
def query_calls(names: ProjectDep, body: CallsQuery, store: StoreDep) -> Response:
    """A page of calls matching ``filter``, sorted by ``sort_by``."""
    found = store.get_calls(
        *names,
        filter=body.filter,
        sort_by=body.sort_by,
        limit=body.limit,
        offset=body.offset,
        include_costs=body.include_costs,
        query=body.query,
        columns=body.columns,
        include_feedback=body.include_feedback,
    )
    return JSONResponse({"calls": found})


@router.post("/calls/count", response_model=CountOut)
def count_calls(names: ProjectDep, body: CallsQuery, store: StoreDep) -> Response:
    """How many calls match ``filter`` and ``query`` (the other fields are ignored)."""
    return JSONResponse({"count": store.count_calls(*names, filter=body.filter, query=body.query)})


@router.post("/calls/count-by", response_model=CountByOut)
def count_calls_by(names: ProjectDep, body: CountByIn, store: StoreDep) -> Response:
    """How many calls matching ``filter`` hold each value of ``field`` (ops, children)."""
    counts = store.count_calls_by(*names, body.field, filter=body.filter)
    return JSONResponse({"counts": counts})


@router.post("/calls/feedback-counts", response_model=FeedbackCountsOut)
def feedback_counts(names: ProjectDep, body: FeedbackCountsIn, store: StoreDep) -> Response:
    """Feedback counted per call (totals, per type, per reaction emoji) for a page of calls."""
    return JSONResponse({"counts": store.feedback_counts(*names, body.call_ids)})


@router.post("/calls/delete", response_model=DeletedOut)
def delete_calls(names: ProjectDep, body: DeleteCallsIn, store: StoreDep) -> Response:
    """Delete calls with all their descendants and feedback."""
    return JSONResponse({"deleted": store.delete_calls(*names, body.call_ids)})


@router.get("/calls/{call_id}", response_model=dict[str, Any])
def get_call(
    names: ProjectDep,
    call_id: str,
    store: StoreDep,
    include_costs: Annotated[
        bool, Query(description='Add summary["weave"]["costs"] from the LLM prices.')
    ] = False,
) -> Response:
    """One call (404 ``not_found`` when the project has no such call)."""
    return JSONResponse(store.get_call(*names, call_id, include_costs=include_costs))


@router.get("/calls/{call_id}/feedback", response_model=FeedbackListOut)
def list_feedback(names: ProjectDep, call_id: str, store: StoreDep) -> Response:
    """A call's feedback, oldest first."""
    return JSONResponse({"feedback": store.list_feedback(*names, call_id)})


@router.post("/calls/{call_id}/feedback", response_model=FeedbackOut)
def add_feedback(names: ProjectDep, call_id: str, body: FeedbackIn, store: StoreDep) -> Response:
    """Attach a reaction (``wandb.reaction.1``), note (``wandb.note.1``) or custom payload."""
    return JSONResponse(store.add_feedback(*names, call_id, body.feedback_type, body.payload))


@router.post("/feedback/query", response_model=FeedbackListOut)
def query_feedback(names: ProjectDep, body: FeedbackQuery, store: StoreDep) -> Response:
    """The project's feedback, oldest first, narrowed by ids, calls, types or reactions."""
    found = store.query_feedback(
        *names,
        feedback_ids=body.feedback_ids,
        call_ids=body.call_ids,
        feedback_types=body.feedback_types,
        reactions=body.reactions,
        limit=body.limit,
        offset=body.offset,
    )
    return JSONResponse({"feedback": found})


@router.delete("/feedback/{feedback_id}", response_model=PurgedOut)
def purge_feedback(names: ProjectDep, feedback_id: str, store: StoreDep) -> Response:
    """Delete one item of the project's feedback; ``purged`` is false when there was none."""
    return JSONResponse({"purged": store.purge_feedback(*names, feedback_id)})
