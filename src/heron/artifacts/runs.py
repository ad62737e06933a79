"""What a run does with artifacts: log, use, log_model, use_model (``heron.sdk.run`` delegates).

Logging follows DESIGN.md's one data path: the files go straight into a
local (embedded) blob store, or are staged in the run folder's ``artifacts/``
(content-addressed, hard links where they can be) for the sender to upload;
then an ``artifact`` record goes through the run's record queue. The store
applies it as a version with a ``logged`` edge from the run, so offline runs
log artifacts and ``heron sync`` replays them. ``use_artifact`` resolves a
version now (it needs the store, so offline runs refuse it) and records a
``used`` edge; it first waits for the run's own queued versions, so a run can
use what it just logged.
"""

from __future__ import annotations

import os
import re
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from heron.artifacts.artifact import Artifact, _Pending
from heron.artifacts.entities import (
    LATEST,
    ArtifactVersion,
    ManifestEntry,
    check_alias,
    parse_artifact_path,
)
from heron.errors import NotFoundError, UsageError
from heron.sdk.writer import Faithful

if TYPE_CHECKING:
    from heron.api.api import Api
    from heron.artifacts.registry import LinkedVersion
    from heron.sdk.run import Run
    from heron.store.base import Store

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_QUEUED: weakref.WeakKeyDictionary[Run, list[Artifact]] = weakref.WeakKeyDictionary()
"""Per run, the artifacts it queued that may not be in the store yet."""


def run_store(run: Run) -> Store:
    """The store the run sends to; offline runs have none."""
    open_store = run._setup.open_store
    if run.settings.mode != "online" or open_store is None:
        raise UsageError(
            "artifacts need a store: this run is offline; log artifacts from an online run"
            " (the embedded store or a heron server)"
        )
    return open_store()


def _reachable_store(run: Run) -> Store | None:
    """The run's store if it sends to one now (None offline)."""
    open_store = run._setup.open_store
    if run.settings.mode != "online" or open_store is None:
        return None
    return open_store()


def api_for(run: Run, store: Store) -> Api:
    from heron.api.api import Api

    api = Api(settings=run.settings)
    api._store = store
    return api


def log_artifact(
    run: Run,
    artifact_or_path: Artifact | str | os.PathLike[str],
    name: str | None = None,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Artifact:
    """Upload a draft's files and record its version; see :meth:`heron.sdk.run.Run.log_artifact`."""
    run._check_open()
    if isinstance(aliases, str):
        aliases = [aliases]
    if isinstance(artifact_or_path, Artifact):
        artifact = artifact_or_path
        if not artifact.is_draft:
            raise UsageError(
                f"artifact {artifact.qualified_name} is already logged; make a new"
                " heron.Artifact for a new version"
            )
    else:
        path = os.fspath(artifact_or_path)
        if not os.path.exists(path):
            raise UsageError(f"cannot log {path!r} as an artifact: no such file or folder")
        default = _UNSAFE.sub("-", os.path.basename(os.path.abspath(path))).strip("-.") or "files"
        artifact = Artifact(name or f"run-{run.id}-{default}", type or "unspecified")
        if os.path.isdir(path):
            artifact.add_dir(path)
        else:
            artifact.add_file(path)
    wanted = [
        check_alias(a) for a in dict.fromkeys([*(aliases or ()), *artifact.aliases]) if a != LATEST
    ]
    store = _reachable_store(run)
    base: list[ManifestEntry] = []
    if artifact.incremental:
        if store is None:
            raise UsageError(
                f"incremental artifact {artifact.name!r} builds on the latest version, which an"
                " offline run cannot read; log it from an online run"
            )
        try:
            base = store.get_manifest(run.entity, run.project, artifact.name, LATEST)
        except NotFoundError:
            base = []  # the first version
    from heron.store.blobs import LocalBlobStore

    local_blobs = (
        store.blobs if store is not None and isinstance(store.blobs, LocalBlobStore) else None
    )
    manifest, staged = artifact._prepare(base, local_blobs, str(run.folder / "artifacts"))
    record = Faithful(
        type="artifact",
        name=artifact.name,
        artifact_type=artifact.type,
        manifest=[e.to_dict() for e in manifest],
        description=artifact.description,
        metadata=artifact.metadata,
        aliases=wanted,
        staged=staged,
    )
    from heron.artifacts.entities import manifest_digest

    pending = _Pending(run, store, manifest_digest(manifest), time.time())
    run._put(record)
    artifact._pending = pending
    artifact._aliases = None
    _QUEUED.setdefault(run, []).append(artifact)
    return artifact


def wait_queued(run: Run) -> None:
    """Wait until the store holds every version this run queued (online runs)."""
    for artifact in _QUEUED.pop(run, []):
        if artifact._pending is not None and artifact._pending.store is not None:
            artifact.wait()


def use_artifact(run: Run, artifact_or_name: Artifact | str, type: str | None = None) -> Artifact:
    """Record that the run uses a version and return it; see :meth:`Run.use_artifact`."""
    run._check_open()
    store = run_store(run)
    wait_queued(run)
    if isinstance(artifact_or_name, Artifact):
        if artifact_or_name.qualified_name is None:
            raise UsageError("use_artifact() takes a logged artifact or 'name:version'")
        path = artifact_or_name.qualified_name
    else:
        from heron.artifacts.registry import resolve_path

        path = resolve_path(store, run.entity, artifact_or_name)  # registry/<collection>:alias
    entity, project, name, ref = parse_artifact_path(path)
    version: ArtifactVersion = store.use_artifact(
        run._key, entity or run.entity, project or run.project, name, ref
    )
    if type is not None and version.type != type:
        raise UsageError(
            f"artifact {version.qualified_name} is of type {version.type!r}, not {type!r}"
        )
    return Artifact._from_version(version, store, api_for(run, store))


def log_model(
    run: Run,
    path: str | os.PathLike[str],
    name: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Artifact:
    """Log a model file or folder as a ``model`` artifact (name default: ``run-<id>-<file>``)."""
    return log_artifact(run, path, name=name, type="model", aliases=aliases)


def use_model(run: Run, name: str) -> str:
    """Use a model artifact, download it, and return its local path (the file, if only one)."""
    artifact = use_artifact(run, name)
    root = artifact.download()
    files = artifact.files()
    if len(files) == 1:
        return os.path.join(root, files[0].path)
    return root


def link_artifact(
    run: Run, artifact: Artifact, target_path: str, aliases: Sequence[str] | None = None
) -> LinkedVersion:
    """Link a logged version into ``registry/[<registry>/]<collection>``, the run as actor."""
    from heron.artifacts.registry import link_artifact as link

    run._check_open()
    return link(artifact, target_path, aliases, actor=run._key.path)


def link_model(
    run: Run,
    path: str | os.PathLike[str],
    registered_model_name: str,
    name: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Artifact:
    """Log a model and link it into the ``model`` registry's collection (made if absent)."""
    artifact = log_model(run, path, name=name)
    link_artifact(run, artifact, registered_model_name, aliases)
    return artifact
