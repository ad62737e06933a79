"""The ``/api/v1`` routes, one module per resource; :func:`api_router` joins them."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from heron.server.deps import authenticate
from heron.server.routes import (
    artifacts,
    blobs,
    calls,
    costs,
    files,
    health,
    history,
    media,
    objects,
    output,
    project_views,
    projects,
    registry,
    runs,
    tables,
)
from heron.server.schemas import ERROR_RESPONSES

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    """Every route under ``/api/v1``; all but ``/health`` go through :func:`authenticate`."""
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(health.router)
    guarded = APIRouter(dependencies=[Depends(authenticate)], responses=ERROR_RESPONSES)
    for module in (
        projects,
        project_views,
        runs,
        history,
        output,
        files,
        blobs,
        media,
        tables,
        calls,
        costs,
        objects,
    ):
        guarded.include_router(module.router)
    guarded.include_router(artifacts.router)
    guarded.include_router(registry.router)
    api.include_router(guarded)
    return api
