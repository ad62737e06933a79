"""Artifact versions, manifests, aliases and lineage edges in SQL (:class:`SqlStore` delegates).

Each function takes an open connection (a write transaction for the writers)
and a project id, so the store decides the transaction and these stay plain
queries. Logging serialises on the artifact's row: two writers logging the
same content at once make one version, not two.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from heron.artifacts.entities import (
    EDGE_KINDS,
    LATEST,
    ArtifactInfo,
    ArtifactType,
    ArtifactVersion,
    LineageEdge,
    LoggedVersion,
    ManifestEntry,
    check_alias,
    check_artifact_name,
    check_manifest,
    check_type,
    manifest_digest,
    version_index,
)
from heron.entities import RunKey
from heron.errors import ConflictError, InvalidValueError, NotFoundError, UsageError
from heron.records import decode_value, encode_nonfinite
from heron.store.base import BlobStore
from heron.store.sql.tables import (
    artifact_aliases,
    artifact_files,
    artifact_lineage,
    artifact_versions,
    artifacts,
    projects,
)

_FILES_PER_INSERT = 2000

_V = artifact_versions
_A = artifacts


def _version_query() -> sa.Select[Any]:
    return sa.select(
        projects.c.entity,
        projects.c.name.label("project"),
        _A.c.name,
        _A.c.type,
        _V.c.id,
        _V.c.version,
        _V.c.digest,
        _V.c.description,
        _V.c.metadata,
        _V.c.size,
        _V.c.file_count,
        _V.c.created_at,
        _V.c.created_by,
    ).select_from(
        _V.join(_A, _A.c.id == _V.c.artifact_id).join(projects, projects.c.id == _A.c.project_id)
    )


def aliases_by_id(
    conn: sa.Connection, owner: sa.Column[Any], alias: sa.Column[Any], ids: Sequence[int]
) -> dict[int, list[str]]:
    """The aliases of each id in ``ids`` (sorted; ``[]`` for none) from an alias table whose
    ``owner`` column points at the id: artifact versions and registry links alike."""
    aliases: dict[int, list[str]] = {i: [] for i in ids}
    if aliases:
        found = conn.execute(
            sa.select(owner, alias).where(owner.in_(list(aliases))).order_by(alias)
        )
        for owner_id, name in found:
            aliases[owner_id].append(name)
    return aliases


def _versions(conn: sa.Connection, query: sa.Select[Any]) -> list[ArtifactVersion]:
    rows = [row._mapping for row in conn.execute(query)]
    aliases = aliases_by_id(
        conn, artifact_aliases.c.version_id, artifact_aliases.c.alias, [row["id"] for row in rows]
    )
    return [
        ArtifactVersion(
            entity=row["entity"],
            project=row["project"],
            name=row["name"],
            type=row["type"],
            version=int(row["version"]),
            digest=row["digest"],
            description=row["description"],
            metadata=decode_value(row["metadata"]),
            size=int(row["size"]),
            file_count=int(row["file_count"]),
            created_at=row["created_at"],
            created_by=row["created_by"],
            aliases=aliases[row["id"]],
        )
        for row in rows
    ]


def _artifact_row(
    conn: sa.Connection, project_id: int | None, name: str, *, lock: bool = False
) -> sa.RowMapping | None:
    if project_id is None:
        return None
    query = sa.select(_A).where(_A.c.project_id == project_id, _A.c.name == name)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else row._mapping


def _not_found(entity: str, project: str, name: str) -> NotFoundError:
    return NotFoundError(f"artifact {entity}/{project}/{name} not found")


def version_id(
    conn: sa.Connection, project_id: int | None, entity: str, project: str, name: str, ref: str
) -> int:
    """The id of the version ``ref`` (``v3`` or an alias) names; raises NotFoundError."""
    check_artifact_name(name)
    row = _artifact_row(conn, project_id, name)
    if row is None:
        raise _not_found(entity, project, name)
    index = version_index(ref) if isinstance(ref, str) else None
    if index is not None:
        query = sa.select(_V.c.id).where(_V.c.artifact_id == row["id"], _V.c.version == index)
    else:
        check_alias(ref)
        query = sa.select(artifact_aliases.c.version_id).where(
            artifact_aliases.c.artifact_id == row["id"], artifact_aliases.c.alias == ref
        )
    found = conn.execute(query).scalar()
    if found is None:
        raise NotFoundError(f"artifact {entity}/{project}/{name} has no version {ref!r}")
    return int(found)


def get_version(conn: sa.Connection, pk: int) -> ArtifactVersion:
    return _versions(conn, _version_query().where(_V.c.id == pk))[0]


# ---------------------------------------------------------------------- writes


def log_version(
    conn: sa.Connection,
    project_id: int,
    blobs: BlobStore,
    name: str,
    type: str,
    manifest: Sequence[ManifestEntry],
    *,
    run: RunKey | None,
    description: str | None,
    metadata: dict[str, Any] | None,
    aliases: Sequence[str],
    insert: Any,
) -> LoggedVersion:
    """Log a version in the caller's write transaction; see ``Store.log_artifact``."""
    check_artifact_name(name)
    check_type(type)
    if description is not None and not isinstance(description, str):
        raise InvalidValueError("an artifact description must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidValueError(f"artifact metadata must be a dict, not {metadata!r}")
    if isinstance(aliases, str):
        raise UsageError("aliases must be a list of strings, not a string")
    wanted = [check_alias(a) for a in dict.fromkeys(aliases) if a != LATEST]
    entries = check_manifest(list(manifest))
    missing = [e.path for e in entries if e.ref is None and not blobs.exists(e.digest)]
    if missing:
        raise NotFoundError(
            f"artifact {name!r}: the blobs of {', '.join(missing[:5])} are not in the blob store;"
            " upload the files before logging the manifest"
        )
    now = time.time()
    conn.execute(
        insert(_A).on_conflict_do_nothing(index_elements=["project_id", "name"]),
        {
            "project_id": project_id,
            "name": name,
            "type": type,
            "description": description,
            "created_at": now,
            "updated_at": now,
        },
    )
    row = _artifact_row(conn, project_id, name, lock=True)
    assert row is not None
    if row["type"] != type:
        raise ConflictError(
            f"artifact {name!r} is of type {row['type']!r}, not {type!r}; log it with"
            f" type={row['type']!r} or choose another name"
        )
    digest = manifest_digest(entries)
    found = conn.execute(
        sa.select(_V.c.id).where(_V.c.artifact_id == row["id"], _V.c.digest == digest)
    ).scalar()
    created = found is None
    if created:
        last = conn.execute(
            sa.select(sa.func.max(_V.c.version)).where(_V.c.artifact_id == row["id"])
        ).scalar()
        pk = conn.execute(
            _V.insert().returning(_V.c.id),
            {
                "artifact_id": row["id"],
                "version": 0 if last is None else int(last) + 1,
                "digest": digest,
                "description": description,
                "metadata": encode_nonfinite(metadata or {}),
                "size": sum(e.size or 0 for e in entries),
                "file_count": len(entries),
                "created_at": now,
                "created_by": run.path if run is not None else None,
            },
        ).scalar_one()
        files = [
            {"version_id": pk, "path": e.path, "digest": e.digest, "size": e.size, "ref": e.ref}
            for e in entries
        ]
        for i in range(0, len(files), _FILES_PER_INSERT):
            conn.execute(artifact_files.insert(), files[i : i + _FILES_PER_INSERT])
        wanted.insert(0, LATEST)
        changes: dict[str, Any] = {"updated_at": now}
        if description is not None:
            changes["description"] = description
        conn.execute(_A.update().where(_A.c.id == row["id"]).values(**changes))
    else:
        pk = int(found)  # type: ignore[arg-type]
    for alias in wanted:
        _point_alias(conn, row["id"], alias, pk, now, insert)
    if run is not None:
        add_edge(conn, pk, run, "logged", now, insert)
    return LoggedVersion(get_version(conn, pk), created)


def apply_record(
    conn: sa.Connection,
    project_id: int,
    blobs: BlobStore,
    run: RunKey,
    record: dict[str, Any],
    insert: Any,
) -> LoggedVersion:
    """Apply an ``artifact`` run record (see :mod:`heron.records`): log its version.

    Idempotent: the same manifest names the same version, aliases move to it
    again and the lineage edge is kept once. A type conflict is refused as
    bad input (InvalidValueError), so a sender leaves the record out instead
    of retrying it forever.
    """
    seq = record.get("seq")
    raw = record.get("manifest")
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise InvalidValueError(f"record {seq}: 'manifest' must be a list of entry dicts")
    try:
        entries = [ManifestEntry(e["path"], e["digest"], e.get("size"), e.get("ref")) for e in raw]
    except KeyError as exc:
        raise InvalidValueError(f"record {seq}: a manifest entry lacks {exc}") from None
    aliases = record.get("aliases") or []
    if not isinstance(aliases, list):
        raise InvalidValueError(f"record {seq}: 'aliases' must be a list of strings")
    try:
        return log_version(
            conn,
            project_id,
            blobs,
            record.get("name"),  # type: ignore[arg-type]
            record.get("artifact_type"),  # type: ignore[arg-type]
            entries,
            run=run,
            description=record.get("description"),
            metadata=decode_value(record.get("metadata") or {}),
            aliases=aliases,
            insert=insert,
        )
    except ConflictError as exc:
        raise InvalidValueError(f"record {seq}: {exc}") from None


def update_version(
    conn: sa.Connection,
    pk: int,
    description: str | None,
    metadata: dict[str, Any] | None,
) -> ArtifactVersion:
    """Change a version's description and/or metadata (None leaves one as it is)."""
    changes: dict[str, Any] = {}
    if description is not None:
        if not isinstance(description, str):
            raise InvalidValueError("an artifact description must be a string")
        changes["description"] = description
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InvalidValueError(f"artifact metadata must be a dict, not {metadata!r}")
        changes["metadata"] = encode_nonfinite(metadata)
    if changes:
        conn.execute(_V.update().where(_V.c.id == pk).values(**changes))
    return get_version(conn, pk)


def delete_version(conn: sa.Connection, pk: int, *, delete_aliases: bool, insert: Any) -> None:
    """Delete a version, its manifest, aliases and edges; ``latest`` moves to the newest left.

    A version holding aliases other than ``latest`` is refused unless
    ``delete_aliases``. The artifact goes too when no version is left. Its
    blobs stay until ``heron gc`` finds them unreferenced.
    """
    version = get_version(conn, pk)
    custom = [a for a in version.aliases if a != LATEST]
    if custom and not delete_aliases:
        raise UsageError(
            f"artifact {version.qualified_name} has aliases {', '.join(custom)}; move them"
            " first or pass delete_aliases=True"
        )
    artifact_id = conn.execute(sa.select(_V.c.artifact_id).where(_V.c.id == pk)).scalar_one()
    conn.execute(artifact_aliases.delete().where(artifact_aliases.c.version_id == pk))
    conn.execute(artifact_lineage.delete().where(artifact_lineage.c.version_id == pk))
    conn.execute(artifact_files.delete().where(artifact_files.c.version_id == pk))
    conn.execute(_V.delete().where(_V.c.id == pk))
    newest = conn.execute(
        sa.select(_V.c.id).where(_V.c.artifact_id == artifact_id).order_by(_V.c.version.desc())
    ).first()
    if newest is None:
        conn.execute(artifact_aliases.delete().where(artifact_aliases.c.artifact_id == artifact_id))
        conn.execute(_A.delete().where(_A.c.id == artifact_id))
    elif LATEST in version.aliases:
        _point_alias(conn, artifact_id, LATEST, int(newest[0]), time.time(), insert)


def referenced_blobs(conn: sa.Connection) -> set[str]:
    """Every blob digest a run file (media and tables included) or an artifact version names."""
    from heron.store.sql.tables import run_files

    found = {d for (d,) in conn.execute(sa.select(run_files.c.sha256).distinct())}
    stored = sa.select(artifact_files.c.digest).where(artifact_files.c.ref.is_(None)).distinct()
    found.update(d for (d,) in conn.execute(stored))
    return found


def _point_alias(
    conn: sa.Connection, artifact_id: int, alias: str, pk: int, now: float, insert: Any
) -> None:
    stmt = insert(artifact_aliases).on_conflict_do_update(
        index_elements=["artifact_id", "alias"], set_={"version_id": pk, "updated_at": now}
    )
    conn.execute(
        stmt, {"artifact_id": artifact_id, "alias": alias, "version_id": pk, "updated_at": now}
    )


def add_edge(conn: sa.Connection, pk: int, run: RunKey, kind: str, now: float, insert: Any) -> None:
    if kind not in EDGE_KINDS:
        raise UsageError(f"a lineage edge is 'logged' or 'used', not {kind!r}")
    stmt = insert(artifact_lineage).on_conflict_do_nothing(
        index_elements=["version_id", "run_path", "kind"]
    )
    conn.execute(stmt, {"version_id": pk, "run_path": run.path, "kind": kind, "created_at": now})


def set_alias(
    conn: sa.Connection,
    project_id: int | None,
    entity: str,
    project: str,
    name: str,
    alias: str,
    version: int,
    insert: Any,
) -> ArtifactVersion:
    check_alias(alias)
    if alias == LATEST:
        raise UsageError("'latest' moves to the newest version by itself; it cannot be set")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise UsageError(f"version must be an integer >= 0, not {version!r}")
    pk = version_id(conn, project_id, entity, project, name, f"v{version}")
    row = _artifact_row(conn, project_id, name)
    assert row is not None
    _point_alias(conn, row["id"], alias, pk, time.time(), insert)
    return get_version(conn, pk)


def remove_alias(
    conn: sa.Connection, project_id: int | None, entity: str, project: str, name: str, alias: str
) -> None:
    check_alias(alias)
    if alias == LATEST:
        raise UsageError("'latest' always names the newest version; it cannot be removed")
    row = _artifact_row(conn, project_id, name)
    if row is None:
        raise _not_found(entity, project, name)
    gone = conn.execute(
        artifact_aliases.delete().where(
            artifact_aliases.c.artifact_id == row["id"], artifact_aliases.c.alias == alias
        )
    )
    if gone.rowcount == 0:
        raise NotFoundError(f"artifact {entity}/{project}/{name} has no alias {alias!r}")


# ---------------------------------------------------------------------- reads


def list_types(conn: sa.Connection, project_id: int | None) -> list[ArtifactType]:
    if project_id is None:
        return []
    query = (
        sa.select(_A.c.type, sa.func.count())
        .where(_A.c.project_id == project_id)
        .group_by(_A.c.type)
        .order_by(_A.c.type)
    )
    return [ArtifactType(t, int(n)) for t, n in conn.execute(query)]


def list_artifacts(
    conn: sa.Connection, project_id: int | None, entity: str, project: str, type: str | None
) -> list[ArtifactInfo]:
    if project_id is None:
        return []
    counts = (
        sa.select(
            _V.c.artifact_id,
            sa.func.count().label("n"),
            sa.func.max(_V.c.version).label("latest"),
        )
        .group_by(_V.c.artifact_id)
        .subquery()
    )
    query = (
        sa.select(_A, counts.c.n, counts.c.latest)
        .outerjoin(counts, counts.c.artifact_id == _A.c.id)
        .where(_A.c.project_id == project_id)
        .order_by(_A.c.name)
    )
    if type is not None:
        query = query.where(_A.c.type == check_type(type))
    return [
        ArtifactInfo(
            entity=entity,
            project=project,
            name=row.name,
            type=row.type,
            description=row.description,
            version_count=int(row.n or 0),
            latest=None if row.latest is None else int(row.latest),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in conn.execute(query)
    ]


def list_versions(
    conn: sa.Connection, project_id: int | None, entity: str, project: str, name: str
) -> list[ArtifactVersion]:
    check_artifact_name(name)
    row = _artifact_row(conn, project_id, name)
    if row is None:
        raise _not_found(entity, project, name)
    return _versions(
        conn, _version_query().where(_V.c.artifact_id == row["id"]).order_by(_V.c.version)
    )


def manifest(conn: sa.Connection, pk: int) -> list[ManifestEntry]:
    f = artifact_files
    query = (
        sa.select(f.c.path, f.c.digest, f.c.size, f.c.ref)
        .where(f.c.version_id == pk)
        .order_by(f.c.path)
    )
    return [
        ManifestEntry(path, digest, None if size is None else int(size), ref)
        for path, digest, size, ref in conn.execute(query)
    ]


def edges(conn: sa.Connection, pk: int) -> list[LineageEdge]:
    version = get_version(conn, pk)
    t = artifact_lineage
    query = (
        sa.select(t.c.run_path, t.c.kind, t.c.created_at)
        .where(t.c.version_id == pk)
        .order_by(t.c.created_at, t.c.kind, t.c.run_path)
    )
    return [
        LineageEdge(run, kind, version.qualified_name, at) for run, kind, at in conn.execute(query)
    ]


def run_versions(conn: sa.Connection, run: RunKey, kind: str) -> list[ArtifactVersion]:
    if kind not in EDGE_KINDS:
        raise UsageError(f"kind must be 'logged' or 'used', not {kind!r}")
    t = artifact_lineage
    query = (
        _version_query()
        .join(t, t.c.version_id == _V.c.id)
        .where(t.c.run_path == run.path, t.c.kind == kind)
        .order_by(t.c.created_at, _V.c.id)
    )
    return _versions(conn, query)
