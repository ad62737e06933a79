"""What the dashboard asks of a whole project: columns, keys, groups, many-run series,
saved views, and changes to many runs at once (``/projects/{entity}/{project}/...``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from heron.entities import RunKey, check_name, check_run_id
from heron.errors import NotFoundError, UsageError
from heron.records import decode_value
from heron.server.deps import StoreDep
from heron.server.responses import JSONResponse
from heron.server.routes.runs import parse_filters
from heron.server.schemas import (
    BulkRunsIn,
    BulkRunsOut,
    ColumnsOut,
    GroupsOut,
    ProjectKeysOut,
    SeriesManyOut,
    SeriesRequest,
    ViewIn,
    ViewOut,
)
from heron.store.base import MAX_VIEW_BYTES

router = APIRouter(prefix="/projects/{entity}/{project}", tags=["project views"])


def project_names(entity: str, project: str) -> tuple[str, str]:
    """The project named by the path, validated (a bad name is a 400 ``invalid_name``)."""
    return check_name("entity", entity), check_name("project", project)


ProjectDep = Annotated[tuple[str, str], Depends(project_names)]
Filters = Annotated[
    str | None, Query(description="A JSON-encoded MongoDB-style query, as for listing runs.")
]
Search = Annotated[
    str | None, Query(description="Case-insensitive substring of the run name, id or a tag.")
]


@router.get("/columns", response_model=ColumnsOut)
def columns(names: ProjectDep, store: StoreDep) -> Response:
    """Every dotted config and summary key over the project's runs (``_`` keys left out)."""
    return JSONResponse(store.project_columns(*names))


@router.get("/keys", response_model=ProjectKeysOut)
def keys(
    names: ProjectDep,
    store: StoreDep,
    stream: Annotated[str, Query(description="history (the user's log rows) or system.")] = (
        "history"
    ),
) -> Response:
    """The history keys of any run of the project; ``count`` is how many runs logged each."""
    return JSONResponse({"keys": [k.to_dict() for k in store.project_keys(*names, stream)]})


@router.get("/groups", response_model=GroupsOut)
def groups(
    names: ProjectDep,
    store: StoreDep,
    by: Annotated[str, Query(description="The field to group by: config.x, group, state, ...")],
    metrics: Annotated[
        list[str] | None, Query(description="Fields to aggregate (min/max/mean); repeat.")
    ] = None,
    filters: Filters = None,
    search: Search = None,
) -> Response:
    """The matching runs grouped by their value of ``by``, with aggregates of ``metrics``."""
    found = store.group_runs(
        *names, by, metrics=metrics or (), filters=parse_filters(filters), search=search or None
    )
    return JSONResponse({"groups": [g.to_dict() for g in found]})


@router.post("/series", response_model=SeriesManyOut)
def series(names: ProjectDep, body: SeriesRequest, store: StoreDep) -> Response:
    """The chart series of each key of each run, downsampled as ``GET .../series``."""
    found = store.series_many(
        *names,
        body.runs,
        body.keys,
        x_axis=body.x_axis,
        min_x=body.min_x,
        max_x=body.max_x,
        buckets=body.buckets,
        stream=body.stream,
    )
    return JSONResponse({"series": [{"run_id": run_id, **s.to_dict()} for run_id, s in found]})


@router.get("/views/{name}", response_model=ViewOut)
def get_view(names: ProjectDep, name: str, store: StoreDep) -> Response:
    """A saved view; ``spec`` and ``updated_at`` are null when it was never saved."""
    view = store.get_view(*names, name)
    if view is None:
        return JSONResponse({"name": name, "spec": None, "updated_at": None})
    return JSONResponse(view.to_dict())


def _small_body(request: Request) -> None:
    """Refuse a view body that cannot fit the limit before reading it."""
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_VIEW_BYTES + 1024:
        raise UsageError(
            f"the view body is {int(size):,} bytes; a view spec may hold at most"
            f" {MAX_VIEW_BYTES:,} bytes of JSON"
        )


@router.put("/views/{name}", response_model=ViewOut, dependencies=[Depends(_small_body)])
def put_view(names: ProjectDep, name: str, body: ViewIn, store: StoreDep) -> Response:
    """Save a view (replacing the whole spec); the project must exist."""
    return JSONResponse(store.put_view(*names, name, decode_value(body.spec)).to_dict())


@router.post("/runs/bulk", response_model=BulkRunsOut)
def bulk_runs(names: ProjectDep, body: BulkRunsIn, store: StoreDep) -> Response:
    """Add and remove tags on many runs, or delete them.

    Every run id must exist: when one does not, nothing is changed and the 404
    names the missing ones.
    """
    run_ids = [check_run_id(r) for r in dict.fromkeys(body.run_ids)]
    add, remove = list(dict.fromkeys(body.add_tags)), set(body.remove_tags)
    if body.delete and (add or remove):
        raise UsageError("delete cannot be combined with add_tags or remove_tags")
    if remove & set(add):
        raise UsageError(f"tags both added and removed: {sorted(remove & set(add))}")
    found = store.list_runs(
        *names, filters={"run_id": {"$in": run_ids}}, order=None, limit=len(run_ids), lite=True
    )
    known = {info.run_id: info for info in found}
    missing = [r for r in run_ids if r not in known]
    if missing:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if missing[20:] else "")
        raise NotFoundError(f"no run {shown} in project {names[0]}/{names[1]}; nothing was changed")
    result: dict[str, Any] = {"updated": 0, "deleted": 0}
    for run_id in run_ids:
        key = RunKey(*names, run_id)
        if body.delete:
            store.delete_run(key)
            result["deleted"] += 1
            continue
        old = known[run_id].tags
        tags = [t for t in old if t not in remove] + [t for t in add if t not in old]
        if tags != old:
            store.update_run(key, tags=tags)
            result["updated"] += 1
    return JSONResponse(result)
