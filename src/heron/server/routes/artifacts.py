"""Artifacts: log versions from manifests, read versions and manifests, aliases, lineage.

The files of a version travel as blobs (``PUT /blobs/{sha256}``) before the
manifest that names them is logged here, so a version never points at bytes
the server lacks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from heron.artifacts.entities import MAX_LINEAGE_DEPTH, ManifestEntry
from heron.entities import RunKey, check_name
from heron.records import decode_value
from heron.server.deps import RunKeyDep, StoreDep
from heron.server.responses import JSONResponse

router = APIRouter(tags=["artifacts"])

_PROJECT = "/projects/{entity}/{project}"
_ARTIFACT = _PROJECT + "/artifacts/{name}"
_VERSION = _ARTIFACT + "/versions/{ref}"


class ManifestEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    digest: str
    size: int | None = None
    ref: str | None = None


class LogArtifactIn(BaseModel):
    """``POST .../artifacts``: a version of an artifact, by its manifest."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: str
    manifest: list[ManifestEntryIn]
    run: str | None = Field(None, description="The logging run's id, in this project.")
    description: str | None = None
    metadata: dict[str, Any] | None = None
    aliases: list[str] = Field(default_factory=list)


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="The version number the alias moves to (3 for v3).")


class UseArtifactIn(BaseModel):
    """``POST .../artifacts/used``: the version a run used, by project, name and ref."""

    model_config = ConfigDict(extra="forbid")

    entity: str
    project: str
    name: str
    ref: str = "latest"


def _project(entity: str, project: str) -> tuple[str, str]:
    return check_name("entity", entity), check_name("project", project)


@router.get(_PROJECT + "/artifact-types")
def artifact_types(entity: str, project: str, store: StoreDep) -> Response:
    """The project's artifact types with how many artifacts each has."""
    types = store.list_artifact_types(*_project(entity, project))
    return JSONResponse({"types": [t.to_dict() for t in types]})


@router.get(_PROJECT + "/artifacts")
def list_artifacts(entity: str, project: str, store: StoreDep, type: str | None = None) -> Response:
    """The project's artifacts (of one ``type``), with version counts and the latest version."""
    found = store.list_artifacts(*_project(entity, project), type=type or None)
    return JSONResponse({"artifacts": [a.to_dict() for a in found]})


@router.post(_PROJECT + "/artifacts")
def log_artifact(entity: str, project: str, body: LogArtifactIn, store: StoreDep) -> Response:
    """Log a version from its manifest; ``created`` is false when the content was known."""
    entity, project = _project(entity, project)
    run = RunKey(entity, project, body.run) if body.run else None
    logged = store.log_artifact(
        entity,
        project,
        body.name,
        body.type,
        [ManifestEntry(**e.model_dump()) for e in body.manifest],
        run=run,
        description=body.description,
        metadata=decode_value(body.metadata) if body.metadata else body.metadata,
        aliases=body.aliases,
    )
    return JSONResponse(logged.to_dict(), 201 if logged.created else 200)


@router.get(_ARTIFACT + "/versions")
def list_versions(entity: str, project: str, name: str, store: StoreDep) -> Response:
    """Every version of an artifact, oldest first."""
    found = store.list_artifact_versions(*_project(entity, project), name)
    return JSONResponse({"versions": [v.to_dict() for v in found]})


@router.get(_VERSION)
def get_version(entity: str, project: str, name: str, ref: str, store: StoreDep) -> Response:
    """One version, by number (``v3``) or alias (``latest``)."""
    return JSONResponse(store.get_artifact_version(*_project(entity, project), name, ref).to_dict())


class VersionPatchIn(BaseModel):
    """``PATCH .../versions/v{n}``: a new description and/or metadata (files never change)."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    metadata: dict[str, Any] | None = None


def _number(ref: str) -> int:
    from heron.artifacts.entities import version_index
    from heron.errors import UsageError

    index = version_index(ref)
    if index is None:
        raise UsageError(f"name the version by number (v3), not by alias {ref!r}")
    return index


@router.patch(_VERSION)
def update_version(
    entity: str, project: str, name: str, ref: str, body: VersionPatchIn, store: StoreDep
) -> Response:
    """Change a version's description and/or metadata."""
    metadata = decode_value(body.metadata) if body.metadata is not None else None
    version = store.update_artifact_version(
        *_project(entity, project),
        name,
        _number(ref),
        description=body.description,
        metadata=metadata,
    )
    return JSONResponse(version.to_dict())


@router.delete(_VERSION, status_code=204)
def delete_version(
    entity: str,
    project: str,
    name: str,
    ref: str,
    store: StoreDep,
    delete_aliases: bool = False,
) -> Response:
    """Delete a version (refused while it holds aliases, unless ``delete_aliases=true``)."""
    store.delete_artifact_version(
        *_project(entity, project), name, _number(ref), delete_aliases=delete_aliases
    )
    return Response(status_code=204)


@router.get(_VERSION + "/manifest")
def get_manifest(entity: str, project: str, name: str, ref: str, store: StoreDep) -> Response:
    """A version's manifest entries, sorted by path."""
    entries = store.get_manifest(*_project(entity, project), name, ref)
    return JSONResponse({"entries": [e.to_dict() for e in entries]})


@router.get(_VERSION + "/edges")
def get_edges(entity: str, project: str, name: str, ref: str, store: StoreDep) -> Response:
    """The runs that logged and used a version."""
    edges = store.artifact_edges(*_project(entity, project), name, ref)
    return JSONResponse({"edges": [e.to_dict() for e in edges]})


@router.get(_VERSION + "/lineage")
def get_lineage(
    entity: str,
    project: str,
    name: str,
    ref: str,
    store: StoreDep,
    depth: Annotated[int, Query(ge=1, le=MAX_LINEAGE_DEPTH)] = 4,
    direction: Annotated[str, Query(pattern="^(upstream|downstream|both)$")] = "both",
) -> Response:
    """The lineage graph around a version: runs, versions and edges, ``depth`` edges out."""
    graph = store.artifact_lineage(
        *_project(entity, project), name, ref, depth=depth, direction=direction
    )
    return JSONResponse(graph.to_dict())


@router.put(_ARTIFACT + "/aliases/{alias}")
def set_alias(
    entity: str, project: str, name: str, alias: str, body: AliasIn, store: StoreDep
) -> Response:
    """Point an alias at a version, moving it off the version that had it."""
    version = store.set_alias(*_project(entity, project), name, alias, body.version)
    return JSONResponse(version.to_dict())


@router.delete(_ARTIFACT + "/aliases/{alias}", status_code=204)
def remove_alias(entity: str, project: str, name: str, alias: str, store: StoreDep) -> Response:
    """Take an alias off the artifact (``latest`` cannot be removed)."""
    store.remove_alias(*_project(entity, project), name, alias)
    return Response(status_code=204)


@router.post("/runs/{entity}/{project}/{run_id}/artifacts/used")
def use_artifact(run: RunKeyDep, body: UseArtifactIn, store: StoreDep) -> Response:
    """Record that the run used a version (once per pair); answer the version."""
    entity, project = _project(body.entity, body.project)
    return JSONResponse(store.use_artifact(run, entity, project, body.name, body.ref).to_dict())


@router.get("/runs/{entity}/{project}/{run_id}/artifacts")
def run_artifacts(
    run: RunKeyDep,
    store: StoreDep,
    kind: Annotated[str, Query(pattern="^(logged|used)$")] = "logged",
) -> Response:
    """The versions the run ``logged`` or ``used``, in the order it did so."""
    return JSONResponse({"versions": [v.to_dict() for v in store.run_artifacts(run, kind)]})
