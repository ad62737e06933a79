"""``GET /api/v1/projects``: every project, most recently active first."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from heron.entities import check_name
from heron.server.deps import StoreDep
from heron.server.responses import JSONResponse
from heron.server.schemas import ProjectsOut

router = APIRouter(tags=["projects"])


@router.get("/projects", response_model=ProjectsOut)
def list_projects(store: StoreDep, entity: str | None = None) -> Response:
    """Projects of one ``entity``, or of all when it is left out."""
    if entity is not None:
        check_name("entity", entity)
    projects = store.list_projects(entity)
    return JSONResponse({"projects": [p.to_dict() for p in projects]})
