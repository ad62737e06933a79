"""``heron.Api()``: read and edit runs on the embedded store or a ``heron server``."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from heron.api.run import Run
from heron.api.runs import Project, Runs
from heron.entities import RunKey, check_name
from heron.errors import NotFoundError, UsageError
from heron.settings import Settings

if TYPE_CHECKING:
    from heron.artifacts.artifact import Artifact
    from heron.artifacts.entities import ArtifactInfo, ArtifactType
    from heron.artifacts.registry import AutomationHandle, Registry
    from heron.store.base import Store

_OVERRIDES = ("entity", "project", "base_url")


class Api:
    """The query API, compatible with ``wandb.Api``.

    It reads the same settings as the SDK (``HERON_*``/``WANDB_*`` variables
    and ``heron login``), so it sees the runs your scripts logged: the
    embedded store under ``HERON_DIR`` by default, or the server at
    ``HERON_BASE_URL``. The store is opened on first use.

    >>> api = heron.Api()                                   # doctest: +SKIP
    >>> for run in api.runs("digits", {"state": "finished"}):  # doctest: +SKIP
    ...     print(run.name, run.summary.get("val/accuracy"))
    """

    def __init__(
        self,
        overrides: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(_OVERRIDES))
        if unknown:
            raise UsageError(
                f"unknown Api override(s) {', '.join(unknown)}; use {', '.join(_OVERRIDES)}"
            )
        base = settings if settings is not None else Settings.from_env()
        self.settings = base.replace(api_key=api_key, http_timeout=timeout, **overrides)
        self._store: Store | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ plumbing

    @property
    def store(self) -> Store:
        """The store the settings point at, opened on first use."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from heron.store import open_store

                    self._store = open_store(self.settings)
        return self._store

    def close(self) -> None:
        """Release the store's connections (the Api opens them again when used)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def flush(self) -> None:
        """Forget nothing cached here; kept for wandb compatibility (reads are never stale)."""

    @property
    def default_entity(self) -> str:
        """``HERON_ENTITY``/``WANDB_ENTITY``, else the OS user name, as the SDK uses."""
        from heron.sdk.names import default_entity

        return self.settings.entity or default_entity()

    @property
    def client_url(self) -> str:
        return self.settings.base_url or f"file://{self.settings.dir}"

    def _project_url(self, entity: str, project: str) -> str:
        if self.settings.base_url:
            return f"{self.settings.base_url}/{entity}/{project}"
        return f"{self.settings.resolved_database_url}#{entity}/{project}"

    def _run_url(self, key: RunKey) -> str:
        """The run's page on the server; for the embedded store, where its database lives.

        The same URL the SDK's ``run.url`` gives.
        """
        if self.settings.base_url:
            return f"{self._project_url(key.entity, key.project)}/runs/{key.run_id}"
        return f"{self.settings.resolved_database_url}#{key.path}"

    def _entity_for(self, project: str, entity: str | None = None) -> str:
        """The entity that holds ``project`` when none is named.

        The configured entity wins; else, if exactly one entity has a project
        of that name, that one; else the default entity.
        """
        if entity:
            return check_name("entity", entity)
        if self.settings.entity:
            return self.settings.entity
        owners = {p.entity for p in self.store.list_projects() if p.name == project}
        if len(owners) == 1:
            return owners.pop()
        return self.default_entity

    def _project_path(self, path: str | None) -> tuple[str, str]:
        path = path or self.settings.project
        if not path:
            raise UsageError(
                "name a project: api.runs('entity/project') or api.runs('project'),"
                " or set HERON_PROJECT"
            )
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) == 2:
            return check_name("entity", parts[0]), check_name("project", parts[1])
        if len(parts) == 1:
            project = check_name("project", parts[0])
            return self._entity_for(project), project
        raise UsageError(f"invalid project path {path!r}: expected 'entity/project' or 'project'")

    # ------------------------------------------------------------ queries

    def projects(self, entity: str | None = None, per_page: int = 200) -> list[Project]:
        """Every project (of one entity, if given), most recently active first."""
        if entity is not None:
            check_name("entity", entity)
        return [Project(self, p) for p in self.store.list_projects(entity)]

    def project(self, name: str, entity: str | None = None) -> Project:
        """One project by name (``"project"`` or ``"entity/project"``); raises NotFoundError."""
        if "/" in name and entity is None:
            entity, name = self._project_path(name)
        check_name("project", name)
        found = [p for p in self.store.list_projects(entity) if p.name == name]
        if not found:
            where = f" of entity {entity!r}" if entity else ""
            raise NotFoundError(f"no project {name!r}{where}; api.projects() lists them")
        preferred = [p for p in found if p.entity == (self.settings.entity or self.default_entity)]
        return Project(self, (preferred or found)[0])

    def runs(
        self,
        path: str | None = None,
        filters: dict[str, Any] | None = None,
        order: str = "-created_at",
        per_page: int = 50,
        include_sweeps: bool = True,
    ) -> Runs:
        """The runs of ``"entity/project"`` (or ``"project"``), filtered and ordered by the store.

        ``filters`` is a MongoDB-style query over ``config.<key>``,
        ``summary_metrics.<key>``, ``tags``, ``state``, ``name``, ``group``,
        ``job_type`` and ``created_at`` (``$eq $ne $gt $gte $lt $lte $in $nin
        $regex $and $or``); ``order`` is such a field with ``+`` or ``-``.

        >>> best = {"$or": [{"tags": "best"}, {"summary_metrics.acc": {"$gt": 0.9}}]}
        >>> api.runs("me/digits", best, order="-summary_metrics.acc")  # doctest: +SKIP
        """
        entity, project = self._project_path(path)
        return Runs(self, entity, project, filters, order, per_page)

    def run(self, path: str) -> Run:
        """One run: ``"entity/project/run_id"``, ``"project/run_id"`` or ``…/runs/run_id``."""
        if not isinstance(path, str):
            raise UsageError(
                f"run path must be a string like 'entity/project/run_id', not {path!r}"
            )
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) == 3 and parts[1] == "runs":  # "project/runs/id"
            parts = [parts[0], parts[2]]
        if len(parts) == 2:
            entity = self._entity_for(check_name("project", parts[0]))
        elif len(parts) == 1 and self.settings.project:
            entity = self._entity_for(self.settings.project)
        else:
            entity = self.default_entity
        key = RunKey.parse("/".join(parts), entity, self.settings.project)
        return Run(self, self.store.get_run(key))

    # ------------------------------------------------------------ artifacts

    def artifact(self, name: str, type: str | None = None) -> Artifact:
        """One artifact version: ``"entity/project/name:v3"``, ``"project/name:alias"``, …

        The version defaults to ``latest``; ``type``, when given, must match.

        >>> art = api.artifact("me/digits/dataset:best")          # doctest: +SKIP
        >>> art.download(), art.logged_by(), art.used_by()         # doctest: +SKIP
        """
        from heron.artifacts.artifact import Artifact
        from heron.artifacts.entities import parse_artifact_path
        from heron.artifacts.registry import resolve_path

        if name.startswith("registry/"):  # a collection's version, by alias or v<n>
            name = resolve_path(self.store, self.default_entity, name)
        entity, project, base, ref = parse_artifact_path(name)
        entity, project = self._artifact_project(entity, project)
        version = self.store.get_artifact_version(entity, project, base, ref)
        if type is not None and version.type != type:
            raise UsageError(
                f"artifact {version.qualified_name} is of type {version.type!r}, not {type!r}"
            )
        return Artifact._from_version(version, self.store, self)

    def artifacts(self, type_name: str, name: str, per_page: int = 50) -> list[Artifact]:
        """Every version of the artifact ``[entity/project/]name`` of that type, oldest first."""
        from heron.artifacts.artifact import Artifact
        from heron.artifacts.entities import parse_artifact_path

        entity, project, base, _ = parse_artifact_path(name.split(":", 1)[0])
        entity, project = self._artifact_project(entity, project)
        versions = self.store.list_artifact_versions(entity, project, base)
        if versions and versions[0].type != type_name:
            raise UsageError(
                f"artifact {entity}/{project}/{base} is of type {versions[0].type!r},"
                f" not {type_name!r}"
            )
        return [Artifact._from_version(v, self.store, self) for v in versions]

    def artifact_types(self, project: str | None = None) -> list[ArtifactType]:
        """The artifact types used in a project (``"entity/project"`` or ``"project"``)."""
        entity, name = self._project_path(project)
        return self.store.list_artifact_types(entity, name)

    def artifact_collections(self, project_name: str, type_name: str) -> list[ArtifactInfo]:
        """The artifacts of one type in a project, with their version counts."""
        entity, name = self._project_path(project_name)
        return self.store.list_artifacts(entity, name, type=type_name)

    # ------------------------------------------------------------ registry and automations

    def registries(self, entity: str | None = None) -> list[Registry]:
        """The entity's registries (``model`` always among them)."""
        from heron.artifacts.registry import Registry, local_actor

        entity = check_name("entity", entity or self.default_entity)
        actor = None if self.settings.api_key else local_actor()
        return [Registry(self.store, r, actor) for r in self.store.list_registries(entity)]

    def registry(self, name: str = "model", entity: str | None = None) -> Registry:
        """One registry by name; raises NotFoundError (``create_registry`` makes one).

        >>> api.registry().collection("digits-cnn").set_alias("production", 2)  # doctest: +SKIP
        """
        for registry in self.registries(entity):
            if registry.name == name:
                return registry
        raise NotFoundError(f"registry {name!r} not found; create it with api.create_registry()")

    def create_registry(
        self, name: str, description: str | None = None, entity: str | None = None
    ) -> Registry:
        """Create a registry of the entity (ConflictError when it exists)."""
        from heron.artifacts.registry import Registry, local_actor

        entity = check_name("entity", entity or self.default_entity)
        made = self.store.create_registry(entity, name, description)
        return Registry(self.store, made, None if self.settings.api_key else local_actor())

    def create_automation(
        self,
        name: str,
        trigger: dict[str, Any],
        action: dict[str, Any],
        *,
        project: str | None = None,
        secret: str | None = None,
        enabled: bool = True,
        entity: str | None = None,
    ) -> AutomationHandle:
        """Run ``action`` on every event ``trigger`` matches (see docs/registry.md).

        >>> api.create_automation(                                   # doctest: +SKIP
        ...     "notify", {"event": "alias_added", "alias": "prod*"},
        ...     {"kind": "webhook", "url": "https://ci.example/hook"}, secret="s3cret")
        """
        from heron.artifacts.registry import AutomationHandle

        entity = check_name("entity", entity or self.default_entity)
        made = self.store.create_automation(
            entity, name, trigger, action, project=project, secret=secret, enabled=enabled
        )
        return AutomationHandle(self.store, made)

    def automations(self, entity: str | None = None) -> list[AutomationHandle]:
        """The entity's automations, oldest first."""
        from heron.artifacts.registry import AutomationHandle

        entity = check_name("entity", entity or self.default_entity)
        return [AutomationHandle(self.store, a) for a in self.store.list_automations(entity)]

    def _artifact_project(self, entity: str | None, project: str | None) -> tuple[str, str]:
        project = project or self.settings.project
        if not project:
            raise UsageError(
                "name the artifact's project: api.artifact('entity/project/name:v0'),"
                " or set HERON_PROJECT"
            )
        return self._entity_for(check_name("project", project), entity), project

    def __repr__(self) -> str:
        return f"<heron.Api {self.client_url}>"


__all__ = ["Api"]
