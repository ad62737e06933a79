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
    /{entity}/{project}/artifacts       artifact types, artifacts, versions
    /{entity}/{project}/artifacts/{type}/{name}/{version}   one version: files, aliases, lineage
    /{entity}/{project}/weave/traces    weave calls: traces table with filters
    /{entity}/{project}/weave/calls/{call_id}   one call in its trace: tree, waterfall, detail
    /{entity}/{project}/weave/{objects|ops|datasets|models|evaluations}   weave lists
    /{entity}/{project}/weave/{section}/{name}/versions/{digest}   one version, its history, diffs
    /{entity}/{project}/weave/compare-evaluations?ids=a,b   evaluations side by side
    /{entity}/registry                  registries and their collections
    /{entity}/registry/{registry}/{collection}   one collection: card, versions, aliases, rules
    /{entity}/automations               automations and their delivery logs

The UI router is mounted after ``/api``, ``/static`` and ``/docs``, so those
names cannot be entities with a dashboard (``docs/limits.md``); the entity pages
come first, so projects named ``registry`` or ``automations`` have no dashboard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from heron._version import __version__
from heron.entities import RunKey, check_name, check_run_id
from heron.errors import InvalidNameError, NotFoundError
from heron.server.deps import StoreDep
from heron.store.base import Store

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


def _not_found(request: Request, message: str, back_href: str, back_label: str) -> Response:
    """A page a person can read (the API's 404s stay JSON)."""
    return templates.TemplateResponse(
        request,
        "not_found.html",
        {
            "message": message,
            "back_href": back_href,
            "back_label": back_label,
            "version": __version__,
        },
        status_code=404,
    )


def _missing_project(request: Request, store: Store, entity: str, project: str) -> Response | None:
    """A 404 page unless ``entity/project`` names a project the store holds."""
    if entity in RESERVED:
        raise NotFoundError(f"nothing at /{entity}/{project}; the API lives under /api/v1")
    check_name("entity", entity)
    check_name("project", project)
    if any(p.name == project for p in store.list_projects(entity)):
        return None
    return _not_found(request, f"There is no project {entity}/{project}.", "/", "See every project")


@router.get("/")
def projects_page(request: Request) -> Response:
    return _page(request, "projects", "Projects")


# The entity's pages come before /{entity}/{project}, which would take their names.
@router.get("/{entity}/registry")
def registry_page(request: Request, entity: str) -> Response:
    _check_entity(entity, "registry")
    return _page(request, "registry", f"{entity} · registry", entity=entity)


@router.get("/{entity}/registry/{registry}/{collection}")
def collection_page(
    request: Request, store: StoreDep, entity: str, registry: str, collection: str
) -> Response:
    """One collection: model card, linked versions with aliases, rules, history, lineage."""
    _check_entity(entity, "registry")
    try:
        store.get_collection(entity, registry, collection)
    except (NotFoundError, InvalidNameError):
        return _not_found(
            request,
            f"There is no collection {collection} in the {registry} registry of {entity}.",
            f"/{entity}/registry",
            f"See the registry of {entity}",
        )
    return _page(
        request,
        "collection",
        f"{collection} · {registry} registry",
        entity=entity,
        registry=registry,
        collection=collection,
    )


@router.get("/{entity}/automations")
def automations_page(request: Request, entity: str) -> Response:
    _check_entity(entity, "automations")
    return _page(request, "automations", f"{entity} · automations", entity=entity)


def _check_entity(entity: str, page: str) -> None:
    if entity in RESERVED:
        raise NotFoundError(f"nothing at /{entity}/{page}; the API lives under /api/v1")
    check_name("entity", entity)


@router.get("/{entity}/{project}")
def runs_page(request: Request, store: StoreDep, entity: str, project: str) -> Response:
    missing = _missing_project(request, store, entity, project)
    return missing or _page(request, "runs", f"{project} · runs", entity=entity, project=project)


@router.get("/{entity}/{project}/workspace")
def workspace_page(request: Request, store: StoreDep, entity: str, project: str) -> Response:
    missing = _missing_project(request, store, entity, project)
    return missing or _page(
        request, "workspace", f"{project} · workspace", entity=entity, project=project
    )


@router.get("/{entity}/{project}/runs/{run_id}")
def run_page(request: Request, store: StoreDep, entity: str, project: str, run_id: str) -> Response:
    missing = _missing_project(request, store, entity, project)
    if missing:
        return missing
    check_run_id(run_id)
    try:
        store.get_run(RunKey(entity, project, run_id))
    except NotFoundError:
        return _not_found(
            request,
            f"There is no run {run_id} in {entity}/{project}.",
            f"/{entity}/{project}",
            f"See the runs of {project}",
        )
    return _page(
        request, "run", f"{run_id} · {project}", entity=entity, project=project, run_id=run_id
    )


@router.get("/{entity}/{project}/artifacts")
def artifacts_page(request: Request, store: StoreDep, entity: str, project: str) -> Response:
    missing = _missing_project(request, store, entity, project)
    return missing or _page(
        request, "artifacts", f"{project} · artifacts", entity=entity, project=project
    )


@router.get("/{entity}/{project}/artifacts/{artifact_type}/{name}/{version}")
def artifact_page(
    request: Request,
    store: StoreDep,
    entity: str,
    project: str,
    artifact_type: str,
    name: str,
    version: str,
) -> Response:
    """One version (``v3`` or an alias); the type must be the artifact's, as in W&B's URLs."""
    missing = _missing_project(request, store, entity, project)
    if missing:
        return missing
    try:
        found = store.get_artifact_version(entity, project, name, version)
    except (NotFoundError, InvalidNameError):
        found = None
    if found is None or found.type != artifact_type:
        return _not_found(
            request,
            f"There is no {artifact_type} artifact {name}:{version} in {entity}/{project}.",
            f"/{entity}/{project}/artifacts",
            f"See the artifacts of {project}",
        )
    return _page(
        request,
        "artifact",
        f"{name}:{version} · {project}",
        entity=entity,
        project=project,
        artifact_type=artifact_type,
        artifact_name=name,
        version=version,
    )


@router.get("/{entity}/{project}/weave/traces")
def traces_page(request: Request, store: StoreDep, entity: str, project: str) -> Response:
    missing = _missing_project(request, store, entity, project)
    return missing or _page(
        request, "traces", f"{project} · traces", entity=entity, project=project
    )


@router.get("/{entity}/{project}/weave/calls/{call_id}")
def call_page(
    request: Request, store: StoreDep, entity: str, project: str, call_id: str
) -> Response:
    """One call shown in its trace (the tree opens down to it)."""
    missing = _missing_project(request, store, entity, project)
    if missing:
        return missing
    try:
        call = store.get_call(entity, project, call_id)
    except NotFoundError:
        return _not_found(
            request,
            f"There is no call {call_id} in {entity}/{project}.",
            f"/{entity}/{project}/weave/traces",
            f"See the traces of {project}",
        )
    title = call["display_name"] or call["op_name"]
    return _page(
        request, "trace", f"{title} · {project}", entity=entity, project=project, call_id=call_id
    )


# Weave objects, ops, datasets, models and evaluations. Datasets and models are
# objects of those classes; their lists and version pages show them as such.
_WEAVE_LISTS = {
    "objects": ("objects", "objects"),
    "ops": ("objects", "ops"),
    "datasets": ("datasets", "datasets"),
    "models": ("models", "models"),
    "evaluations": ("evaluations", "evaluations"),
}


@router.get("/{entity}/{project}/weave/compare-evaluations")
def compare_evaluations_page(
    request: Request, store: StoreDep, entity: str, project: str
) -> Response:
    """Two or more evaluations side by side (``?ids=a,b``: their evaluate calls)."""
    missing = _missing_project(request, store, entity, project)
    return missing or _page(
        request, "compare", f"{project} · compare evaluations", entity=entity, project=project
    )


@router.get("/{entity}/{project}/weave/{section}")
def weave_list_page(
    request: Request, store: StoreDep, entity: str, project: str, section: str
) -> Response:
    if section not in _WEAVE_LISTS:
        raise NotFoundError(f"nothing at /{entity}/{project}/weave/{section}")
    missing = _missing_project(request, store, entity, project)
    page, kind = _WEAVE_LISTS[section]
    return missing or _page(
        request, page, f"{project} · {kind}", entity=entity, project=project, section=kind
    )


@router.get("/{entity}/{project}/weave/{section}/{name}/versions/{digest}")
def weave_version_page(
    request: Request,
    store: StoreDep,
    entity: str,
    project: str,
    section: str,
    name: str,
    digest: str,
) -> Response:
    """One version of an object or op (a digest, ``v<N>`` or ``latest``) with its history."""
    if section not in ("objects", "ops", "datasets", "models"):
        raise NotFoundError(f"nothing at /{entity}/{project}/weave/{section}/{name}")
    missing = _missing_project(request, store, entity, project)
    if missing:
        return missing
    kind = "op" if section == "ops" else "object"
    try:
        store.get_object(entity, project, name, digest, kind=kind)
    except (NotFoundError, InvalidNameError):
        return _not_found(
            request,
            f"There is no {kind} {name}:{digest} in {entity}/{project}.",
            f"/{entity}/{project}/weave/{section}",
            f"See the {section} of {project}",
        )
    return _page(
        request,
        "object",
        f"{name} · {project}",
        entity=entity,
        project=project,
        section=section,
        object_name=name,
        digest=digest,
    )
