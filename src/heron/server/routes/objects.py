"""Weave objects and row tables of a project: versioned objects and ops, immutable tables.

Objects are small JSON values (a Model's attributes, an op's source); rows
live in tables, which a Dataset's value names by digest. A table's rows are
parsed with orjson (a request may hold 10,000s of rows); one bigger than
:data:`~heron.store.base.MAX_TABLE_UPLOAD_BYTES` goes up in parts
(``.../weave-tables/uploads/{id}/rows``) and is committed at the end.
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
from heron.store.base import MAX_OBJECT_BYTES, MAX_TABLE_PAGE, MAX_TABLE_UPLOAD_BYTES

router = APIRouter(prefix="/projects/{entity}/{project}", tags=["objects"])

_VERSIONS = "/objects/{kind}/{name}/versions"
_TABLES = "/weave-tables"
_UPLOAD = _TABLES + "/uploads/{upload_id}"


class ObjectIn(BaseModel):
    """``POST .../objects``: a version of an object or op."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="1-128 letters, digits, '-', '_' or '.'.")
    val: Any = Field(description="The value, any JSON; its canonical JSON's sha256 is the digest.")
    kind: str = Field(default="object", description="object or op.")
    base_object_class: str | None = Field(default=None, description="Model, Dataset, ...")


class ObjectOut(BaseModel):
    object_id: str
    digest: str
    version_index: int
    kind: str
    base_object_class: str | None
    val: Any
    created_at: float
    is_latest: bool


class ObjectsOut(BaseModel):
    objects: list[ObjectOut]


class VersionsOut(BaseModel):
    versions: list[ObjectOut]


class TableIn(BaseModel):
    """``POST .../weave-tables``: rows of a new table, after the rows of ``base``."""

    rows: list[Any]
    base: str | None = Field(default=None, description="A table digest whose rows come first.")


class StageIn(BaseModel):
    """``POST .../uploads/{id}/rows``: rows ``start``, ``start + 1``, … of an upload."""

    start: int = Field(ge=0)
    rows: list[Any]


class CommitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row_count: int = Field(ge=0, description="How many rows were staged (0 .. row_count - 1).")
    base: str | None = Field(default=None, description="A table digest whose rows come first.")


class TableOut(BaseModel):
    digest: str
    row_count: int
    created_at: float


class StagedOut(BaseModel):
    staged: int = Field(description="Rows the upload holds so far.")


class TableRowOut(BaseModel):
    index: int
    digest: str
    val: Any


class TableRowsOut(BaseModel):
    rows: list[TableRowOut]


def _limit_body(limit: int, what: str, hint: str = "") -> Any:
    def check(request: Request) -> None:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > limit:
            raise UsageError(f"the {what} is {int(size):,} bytes; the most is {limit:,}{hint}")

    return Depends(check)


_SMALL_OBJECT = _limit_body(2 * MAX_OBJECT_BYTES, "object body")
_ROWS_BODY_LIMIT = _limit_body(
    MAX_TABLE_UPLOAD_BYTES + (1 << 16),
    "table body",
    " (send a bigger table in parts: POST .../weave-tables/uploads/{id}/rows, then .../commit)",
)


async def _json_body(request: Request, keys: set[str], required: set[str]) -> dict[str, Any]:
    """A JSON object body parsed with orjson (tags kept: the store hashes them as sent)."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or not required <= set(body) <= keys:
        wanted = ", ".join(sorted(keys))
        raise UsageError(f"the body must be a JSON object with keys {wanted}")
    if not isinstance(body["rows"], list):
        raise UsageError("rows must be a list")
    return body


async def table_body(request: Request) -> TableIn:
    body = await _json_body(request, {"rows", "base"}, {"rows"})
    base = body.get("base")
    if base is not None and not isinstance(base, str):
        raise UsageError(f"base must be a table digest or null, not {base!r}")
    return TableIn.model_construct(rows=body["rows"], base=base)


async def stage_body(request: Request) -> StageIn:
    body = await _json_body(request, {"start", "rows"}, {"start", "rows"})
    return StageIn.model_construct(start=body["start"], rows=body["rows"])


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


# ------------------------------------------------------------------ objects


@router.post("/objects", response_model=ObjectOut, dependencies=[_SMALL_OBJECT])
def create_object(names: ProjectDep, body: ObjectIn, store: StoreDep) -> Response:
    """Store a version of an object or op; the same value again returns the stored version."""
    found = store.create_object(
        *names, body.name, body.val, kind=body.kind, base_object_class=body.base_object_class
    )
    return JSONResponse(found)


@router.get("/objects", response_model=ObjectsOut)
def list_objects(
    names: ProjectDep,
    store: StoreDep,
    kind: Annotated[str | None, Query(description="object or op; both when absent.")] = None,
    base_object_class: Annotated[
        list[str] | None, Query(description="Keep these classes (repeat the parameter).")
    ] = None,
    latest_only: bool = True,
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The project's objects (each name's latest version unless ``latest_only=false``)."""
    found = store.list_objects(
        *names,
        kind=kind,
        base_object_classes=base_object_class,
        latest_only=latest_only,
        limit=limit,
        offset=offset,
    )
    return JSONResponse({"objects": found})


@router.get(_VERSIONS, response_model=VersionsOut)
def list_versions(names: ProjectDep, kind: str, name: str, store: StoreDep) -> Response:
    """Every live version of an object (``kind`` object) or op (``kind`` op), oldest first."""
    return JSONResponse({"versions": store.list_object_versions(*names, name, kind=kind)})


@router.get(_VERSIONS + "/{version}", response_model=ObjectOut)
def get_object(names: ProjectDep, kind: str, name: str, version: str, store: StoreDep) -> Response:
    """One version: ``latest``, ``v<N>`` or its digest (404 ``not_found`` when absent)."""
    return JSONResponse(store.get_object(*names, name, version, kind=kind))


@router.delete(_VERSIONS + "/{version}", response_model=ObjectOut)
def delete_object(
    names: ProjectDep, kind: str, name: str, version: str, store: StoreDep
) -> Response:
    """Mark one version deleted; answer it. ``latest`` moves to the highest one left."""
    return JSONResponse(store.delete_object_version(*names, name, version, kind=kind))


# ------------------------------------------------------------------ tables


@router.post(
    _TABLES,
    response_model=TableOut,
    dependencies=[_ROWS_BODY_LIMIT],
    openapi_extra=_body_schema(TableIn),
)
def create_table(
    names: ProjectDep, body: Annotated[TableIn, Depends(table_body)], store: StoreDep
) -> Response:
    """Store a row table (the rows of ``base``, then ``rows``); answer its digest."""
    return JSONResponse(store.create_table(*names, body.rows, base=body.base))


@router.post(
    _UPLOAD + "/rows",
    response_model=StagedOut,
    dependencies=[_ROWS_BODY_LIMIT],
    openapi_extra=_body_schema(StageIn),
)
def stage_rows(
    names: ProjectDep,
    upload_id: str,
    body: Annotated[StageIn, Depends(stage_body)],
    store: StoreDep,
) -> Response:
    """Stage a part of a table upload (a retried part replaces itself)."""
    if not isinstance(body.start, int) or isinstance(body.start, bool):
        raise UsageError(f"start must be a non-negative integer, not {body.start!r}")
    staged = store.stage_table_rows(*names, upload_id, body.start, body.rows)
    return JSONResponse({"staged": staged})


@router.post(_UPLOAD + "/commit", response_model=TableOut)
def commit_table(names: ProjectDep, upload_id: str, body: CommitIn, store: StoreDep) -> Response:
    """Turn an upload's staged rows into a table; 400 names the rows still missing."""
    return JSONResponse(store.commit_table(*names, upload_id, body.row_count, base=body.base))


@router.get(_TABLES + "/{digest}", response_model=TableOut)
def get_table(names: ProjectDep, digest: str, store: StoreDep) -> Response:
    """A table's digest, row count and creation time."""
    return JSONResponse(store.get_table(*names, digest))


@router.get(_TABLES + "/{digest}/rows", response_model=TableRowsOut)
def table_rows(
    names: ProjectDep,
    digest: str,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_TABLE_PAGE)] = 1000,
) -> Response:
    """A page of a table's rows in order, each with its index and digest."""
    return JSONResponse({"rows": store.table_rows(*names, digest, offset=offset, limit=limit)})
