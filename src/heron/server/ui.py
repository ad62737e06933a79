"""The web dashboard: server-rendered page shells whose components fetch ``/api/v1``.

Each page is ``templates/page.html`` with the page's name and path parameters
written into ``data-`` attributes; the page's ES module
(``static/js/pages/<page>.js``) reads them and renders Preact components that
ask the same JSON API the SDK uses. No Node build step: the libraries are
vendored under ``static/vendor``.

URLs follow W&B's shape, so a run's ``url`` reads the same::

    /                                   projects
    /{entity}/{project}                 runs table (the project's home)
    /{entity}/{project}/workspace       charts comparing runs
    /{entity}/{project}/runs/{run_id}   one run: overview, charts, system, logs, files

The UI router is mounted after ``/api``, ``/static`` and ``/docs``, so those
names cannot be entities with a dashboard (``docs/limits.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from heron._version import __version__
from heron.entities import check_name, check_run_id
from heron.errors import NotFoundError

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
RESERVED = frozenset({"api", "static", "docs", "openapi.json", "favicon.ico"})

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """``/static``: the vendored libraries, the CSS and the page modules."""
    return StaticFiles(directory=STATIC_DIR)


def _page(request: Request, page: str, title: str, **params: Any) -> Response:
    return templates.TemplateResponse(
        request,
        "page.html",
        {"page": page, "title": title, "params": params, "version": __version__},
    )


def _project(entity: str, project: str) -> None:
    if entity in RESERVED:
        raise NotFoundError(f"no page at /{entity}/{project}")
    check_name("entity", entity)
    check_name("project", project)


@router.get("/")
def projects_page(request: Request) -> Response:
    return _page(request, "projects", "Projects")


@router.get("/{entity}/{project}")
def runs_page(request: Request, entity: str, project: str) -> Response:
    _project(entity, project)
    return _page(request, "runs", f"{project} · runs", entity=entity, project=project)


@router.get("/{entity}/{project}/workspace")
def workspace_page(request: Request, entity: str, project: str) -> Response:
    _project(entity, project)
    return _page(request, "workspace", f"{project} · workspace", entity=entity, project=project)


@router.get("/{entity}/{project}/runs/{run_id}")
def run_page(request: Request, entity: str, project: str, run_id: str) -> Response:
    _project(entity, project)
    check_run_id(run_id)
    return _page(
        request, "run", f"{run_id} · {project}", entity=entity, project=project, run_id=run_id
    )
