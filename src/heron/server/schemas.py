"""Request and response models of ``/api/v1``, kept apart from entities and SQL tables.

Requests are validated with these models. Responses are built from the
entities' ``to_dict`` and written by :class:`heron.server.responses.JSONResponse`
(which keeps NaN/±Inf as ``{"$f": ...}`` tags); the response models here
describe them in the OpenAPI document at ``/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
    metadata: dict[str, Any]
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
