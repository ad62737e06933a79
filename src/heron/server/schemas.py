"""Request and response models of ``/api/v1``, kept apart from entities and SQL tables.

Requests are validated with these models. Responses are built from the
entities' ``to_dict`` and written by :class:`heron.server.responses.JSONResponse`
(which keeps NaN/±Inf as ``{"$f": ...}`` tags); the response models here
describe them in the OpenAPI document at ``/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from heron.store.base import DEFAULT_BUCKETS, MAX_BUCKETS

MAX_SERIES_RUNS = 500
MAX_SERIES_KEYS = 64
"""The most runs and keys of one ``POST /projects/{entity}/{project}/series``."""
MAX_BULK_RUNS = 1000
"""The most runs one ``POST /projects/{entity}/{project}/runs/bulk`` changes."""

# ------------------------------------------------------------------ requests


class RecordBatch(BaseModel):
    """``POST .../records``: records of one run-log stream (see :mod:`heron.records`)."""

    model_config = ConfigDict(extra="forbid")

    stream: str = Field(min_length=1, max_length=200, description="The run log's stream id.")
    records: list[dict[str, Any]] = Field(
        description="Records with ``seq`` and ``type``; non-finite floats as {'$f': 'nan'}."
    )


class RunUpdate(BaseModel):
    """``PATCH .../runs/{entity}/{project}/{run_id}``: fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    tags: list[str] | None = None
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None
    config: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None


class SeriesRequest(BaseModel):
    """``POST /projects/{entity}/{project}/series``: chart series of many runs at once."""

    model_config = ConfigDict(extra="forbid")

    runs: list[str] = Field(max_length=MAX_SERIES_RUNS, description="Run ids, in chart order.")
    keys: list[str] = Field(max_length=MAX_SERIES_KEYS, description="History keys to chart.")
    x_axis: str = "_step"
    min_x: float | None = None
    max_x: float | None = None
    buckets: int = Field(default=DEFAULT_BUCKETS, ge=1, le=MAX_BUCKETS)
    stream: str = "history"


class ViewIn(BaseModel):
    """``PUT /projects/{entity}/{project}/views/{name}``: the whole new spec."""

    model_config = ConfigDict(extra="forbid")

    spec: Any = Field(description="Any JSON object of at most 1 MB (the store checks it).")


class BulkRunsIn(BaseModel):
    """``POST /projects/{entity}/{project}/runs/bulk``: tag, untag or delete many runs."""

    model_config = ConfigDict(extra="forbid")

    run_ids: list[str] = Field(min_length=1, max_length=MAX_BULK_RUNS)
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)
    delete: bool = False


# ------------------------------------------------------------------ responses


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable error code, e.g. not_found, usage_error, conflict.")
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


class HealthOut(BaseModel):
    status: str
    version: str


class ProjectOut(BaseModel):
    entity: str
    name: str
    run_count: int
    created_at: float
    last_activity: float


class ProjectsOut(BaseModel):
    projects: list[ProjectOut]


class RunOut(BaseModel):
    entity: str
    project: str
    run_id: str
    name: str
    state: str
    config: dict[str, Any]
    summary: dict[str, Any]
    tags: list[str]
    notes: str | None
    group: str | None
    job_type: str | None
    host: str | None
    user: str | None
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Left out of runs listed with ``lite=true``."
    )
    metrics: dict[str, Any]
    created_at: float
    updated_at: float
    heartbeat_at: float
    ended_at: float | None
    exit_code: int | None
    last_step: int


class RunsPage(BaseModel):
    runs: list[RunOut]
    total: int = Field(description="How many runs match the filters, over all pages.")


class WatermarkOut(BaseModel):
    watermark: int = Field(description="The highest seq applied from this stream (0 when none).")


class KeyOut(BaseModel):
    key: str
    count: int
    min_step: int
    max_step: int
    numeric: bool
    kind: str | None = Field(
        None, description="What a non-numeric key holds: image-file, image-list, table-file, ..."
    )


class KeysOut(BaseModel):
    keys: list[KeyOut]


class RowsOut(BaseModel):
    rows: list[dict[str, Any]] = Field(description="History rows in step order, with ``_step``.")


class SeriesOut(BaseModel):
    key: str
    x_axis: str
    x: list[float]
    min: list[float | None]
    max: list[float | None]
    mean: list[float | None]
    last: list[float | None]
    count: list[int]
    sampled: bool
    total_points: int


class FileOut(BaseModel):
    name: str
    sha256: str
    size: int
    updated_at: float


class FilesOut(BaseModel):
    files: list[FileOut]


class OutputOut(BaseModel):
    lines: list[tuple[int, str]] = Field(description="``[line_no, text]`` pairs in line order.")
    total: int = Field(description="Lines of the run (matching lines, when searching).")


class ColumnsOut(BaseModel):
    config: list[str] = Field(description="Dotted config keys over the project's runs, sorted.")
    summary: list[str] = Field(description="Dotted summary keys over the project's runs, sorted.")


class ProjectKeyOut(KeyOut):
    count: int = Field(description="How many runs of the project logged the key.")


class ProjectKeysOut(BaseModel):
    keys: list[ProjectKeyOut]


class AggregateOut(BaseModel):
    min: float | None
    max: float | None
    mean: float | None


class GroupOut(BaseModel):
    value: Any = Field(description="The runs' value of the field (null: runs without it).")
    count: int
    aggregates: dict[str, AggregateOut] = Field(description="Per requested metric field.")


class GroupsOut(BaseModel):
    groups: list[GroupOut]


class RunSeriesOut(SeriesOut):
    run_id: str


class SeriesManyOut(BaseModel):
    series: list[RunSeriesOut] = Field(
        description="Runs then keys in request order; runs lacking a key are left out."
    )


class ViewOut(BaseModel):
    name: str
    spec: dict[str, Any] | None = Field(description="null when the view was never saved.")
    updated_at: float | None


class BulkRunsOut(BaseModel):
    updated: int = Field(description="Runs whose tags changed.")
    deleted: int


class BlobOut(BaseModel):
    sha256: str
    size: int
    created: bool = Field(description="False when the blob was already stored.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad request (usage_error, invalid_name, ...)"},
    404: {"model": ErrorOut, "description": "Not found"},
    409: {"model": ErrorOut, "description": "Conflict"},
    503: {"model": ErrorOut, "description": "The database is unavailable; retry"},
}
"""Documented on every route: the error shape of :mod:`heron.server.errors`."""
