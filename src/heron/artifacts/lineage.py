"""The lineage graph around an artifact version, walked over any Store.

Nodes are artifact versions and runs; an edge says a run ``logged`` or
``used`` a version. Upstream of a version is the run that logged it, upstream
of a run the versions it used; downstream of a version the runs that used it,
downstream of a run the versions it logged. Depth counts edges from the start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heron.artifacts.entities import (
    MAX_LINEAGE_DEPTH,
    ArtifactVersion,
    LineageEdge,
    LineageGraph,
    parse_artifact_path,
)
from heron.entities import RunKey
from heron.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from heron.store.base import Store

DIRECTIONS = ("upstream", "downstream", "both")


def check_walk(depth: object, direction: object) -> None:
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_LINEAGE_DEPTH:
        raise UsageError(f"lineage depth must be an integer from 1 to {MAX_LINEAGE_DEPTH}")
    if direction not in DIRECTIONS:
        raise UsageError(f"lineage direction must be one of {', '.join(DIRECTIONS)}")


def walk(store: Store, start: ArtifactVersion, depth: int, direction: str) -> LineageGraph:
    """Breadth-first from ``start``, up and/or down, at most ``depth`` edges out."""
    check_walk(depth, direction)
    versions = {start.qualified_name: start}
    runs: dict[str, None] = {}
    edges: dict[tuple[str, str, str], LineageEdge] = {}
    ways = ("upstream", "downstream") if direction == "both" else (direction,)
    for way in ways:
        # Up from a version follows "logged" edges to runs, up from a run "used" edges.
        to_run, to_version = ("logged", "used") if way == "upstream" else ("used", "logged")
        frontier: list[ArtifactVersion | str] = [start]
        for _ in range(depth):
            following: list[ArtifactVersion | str] = []
            for node in frontier:
                if isinstance(node, ArtifactVersion):
                    found = store.artifact_edges(
                        node.entity, node.project, node.name, node.version_name
                    )
                    for edge in found:
                        if edge.kind != to_run:
                            continue
                        edges[(edge.run, edge.kind, edge.artifact)] = edge
                        if edge.run not in runs:
                            runs[edge.run] = None
                            following.append(edge.run)
                else:
                    key = RunKey.parse(node, "")
                    for version in store.run_artifacts(key, to_version):
                        qualified = version.qualified_name
                        edge = LineageEdge(node, to_version, qualified)
                        edges.setdefault((node, to_version, qualified), edge)
                        if qualified not in versions:
                            versions[qualified] = version
                            following.append(version)
            frontier = following
    return LineageGraph(list(versions.values()), list(runs), list(edges.values()))


def resolve(store: Store, path: str, entity: str, project: str) -> ArtifactVersion:
    """The version ``[entity/][project/]name[:ref]`` names, defaults filled in."""
    e, p, name, ref = parse_artifact_path(path)
    try:
        return store.get_artifact_version(e or entity, p or project, name, ref)
    except NotFoundError as exc:
        raise NotFoundError(f"{exc}; list versions with heron.Api().artifacts()") from None
