"""The remote Store: the HTTP client of ``heron server`` (``/api/v1``).

:class:`HttpStore` implements :class:`heron.store.base.Store` method for
method over the server's API, so the SDK, ``heron sync`` and ``heron.Api()``
work the same against a server as against the embedded SQL store::

    store = HttpStore(Settings.from_env(base_url="http://127.0.0.1:8765"))
    store.list_projects()

Errors come back as the same classes the server raised (a missing run is a
:class:`~heron.errors.NotFoundError` either way). Connection errors, timeouts
and 5xx answers are retried with exponential backoff and jitter until
``retry_deadline`` passes, then :class:`~heron.errors.StoreUnavailableError` is
raised. Every call is safe to retry: ``apply`` skips records it already has.

This module imports httpx, never FastAPI or SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar, cast
from urllib.parse import quote

import httpx
import orjson

from heron._version import __version__
from heron.artifacts.entities import (
    ArtifactInfo,
    ArtifactType,
    ArtifactVersion,
    LineageEdge,
    LineageGraph,
    LoggedVersion,
    ManifestEntry,
)
from heron.artifacts.registry import (
    AliasChange,
    Automation,
    Collection,
    Delivery,
    LinkedVersion,
    RegistryInfo,
)
from heron.entities import (
    FileInfo,
    KeyInfo,
    OutputPage,
    Project,
    RunGroup,
    RunInfo,
    RunKey,
    Series,
    View,
)
from heron.errors import (
    ConflictError,
    HeronError,
    InvalidValueError,
    NotFoundError,
    StoreError,
    StoreUnavailableError,
    UsageError,
    error_for_code,
)
from heron.records import Record, decode_value, dumps_faithful
from heron.settings import Settings
from heron.store.base import (
    DEFAULT_BUCKETS,
    MAX_CALLS_PAGE,
    MAX_COSTS_PAGE,
    MAX_TABLE_PAGE,
    MAX_TABLE_UPLOAD_BYTES,
    OUTPUT_PAGE,
    BlobStore,
    Store,
)
from heron.store.blobs import check_sha256, file_digest

T = TypeVar("T")

API_PREFIX = "/api/v1"
RUNS_PAGE = 10_000
"""Runs asked for per request (the server's most per page)."""
HISTORY_PAGE = 100_000
"""History rows asked for per request (the server's most per page)."""
SERIES_RUNS = 500
SERIES_KEYS = 64
"""Runs and keys asked for per multi-run series request (the server's most)."""
SPOOL_MAX = 16 << 20
"""Downloaded blobs larger than this spill from memory to a temporary file."""
_CHUNK = 1 << 20
_MISSING_BATCH = 10_000
"""Digests per ``POST /blobs/missing`` request."""
_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 2.0


def _dumps(value: Any) -> bytes:
    """JSON with NaN/±Inf tagged; the recursive encoder only runs when orjson wrote a null."""
    data = orjson.dumps(value)
    return data if b"null" not in data else dumps_faithful(value)


def _json_data(value: Any, what: str) -> bytes:
    """:func:`_dumps`, with InvalidValueError naming ``what`` for a value that is not JSON."""
    try:
        return _dumps(value)
    except TypeError as exc:
        raise InvalidValueError(f"{what} is not JSON data: {exc}") from None


def _loads(content: bytes) -> Any:
    value = orjson.loads(content)
    return decode_value(value) if b'"$f"' in content else value


class _Transient(Exception):
    """An attempt failed in a way that retrying may fix (network, timeout, 5xx)."""


class HttpStore(Store):
    """A :class:`~heron.store.base.Store` on a ``heron server`` at ``settings.base_url``.

    One ``httpx.Client`` (thread-safe, keep-alive) carries every request, with
    ``settings.http_timeout`` per request and ``Authorization: Bearer`` when
    ``settings.api_key`` is set. ``transport`` swaps the network for another
    httpx transport (e.g. an in-process ASGI app in tests).
    """

    table_part_bytes = MAX_TABLE_UPLOAD_BYTES - 1024
    """The most bytes of rows :meth:`create_table` sends per request."""
    max_request_bytes: int
    """The largest body sent at once: ``settings.max_request_bytes``, lowered by a 413.

    :meth:`apply` and :meth:`apply_calls` send bigger record batches in parts.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        retry_deadline: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = settings.base_url
        if not base:
            raise UsageError(
                "HttpStore needs a server URL: set HERON_BASE_URL or run `heron login URL`"
            )
        if not base.startswith(("http://", "https://")):
            raise UsageError(f"the server URL must start with http:// or https://, not {base!r}")
        if retry_deadline < 0:
            raise UsageError("retry_deadline must be zero or a positive number of seconds")
        self.base_url = base
        self.retry_deadline = retry_deadline
        self.max_request_bytes = settings.max_request_bytes
        self.table_part_bytes = max(1, min(self.table_part_bytes, self.max_request_bytes - 1024))
        headers = {"User-Agent": f"heron/{__version__}", "Accept": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        self._client = httpx.Client(
            base_url=base + API_PREFIX,
            headers=headers,
            timeout=settings.http_timeout,
            transport=transport,
        )
        self.blobs: HttpBlobStore = HttpBlobStore(self)

    def __repr__(self) -> str:
        return f"HttpStore({self.base_url!r})"

    def __enter__(self) -> HttpStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes

    def apply(self, run: RunKey, stream: str, records: Sequence[Record]) -> int:
        return self._post_records(f"{_run_path(run)}/records", stream, records)

    def watermark(self, run: RunKey, stream: str) -> int:
        data = self._json("GET", f"{_run_path(run)}/watermark", params={"stream": stream})
        return int(data["watermark"])

    def update_run(
        self,
        run: RunKey,
        *,
        name: str | None = None,
        tags: list[str] | None = None,
        notes: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        config: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
    ) -> RunInfo:
        changes = {
            "name": name,
            "tags": tags,
            "notes": notes,
            "group": group,
            "job_type": job_type,
            "config": config,
            "summary": summary,
        }
        body = _dumps({k: v for k, v in changes.items() if v is not None})
        data = self._json("PATCH", _run_path(run), content=body)
        return cast(RunInfo, RunInfo.from_dict(data))

    def delete_run(self, run: RunKey) -> None:
        # A retry after a lost answer finds the run gone: that is success too.
        self._send("DELETE", _run_path(run), gone_ok_on_retry=True)

    # ------------------------------------------------------------------ reads

    def list_projects(self, entity: str | None = None) -> list[Project]:
        params = {"entity": entity} if entity is not None else None
        data = self._json("GET", "/projects", params=params)
        return [Project.from_dict(p) for p in data["projects"]]

    def list_runs(
        self,
        entity: str,
        project: str,
        *,
        filters: dict[str, Any] | None = None,
        order: str | None = "-created_at",
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        lite: bool = False,
    ) -> list[RunInfo]:
        if limit < 0 or offset < 0:
            raise UsageError("limit and offset must not be negative")
        runs: list[RunInfo] = []
        while True:
            page = min(limit - len(runs), RUNS_PAGE)
            data = self._runs_page(
                entity, project, filters, order, page, offset + len(runs), search=search, lite=lite
            )
            got = [RunInfo.from_dict(r) for r in data["runs"]]
            runs.extend(got)
            if len(got) < page or len(runs) >= limit:
                return runs

    def count_runs(
        self,
        entity: str,
        project: str,
        *,
        filters: dict[str, Any] | None = None,
        search: str | None = None,
    ) -> int:
        return int(self._runs_page(entity, project, filters, None, 0, 0, search=search)["total"])

    def _runs_page(
        self,
        entity: str,
        project: str,
        filters: dict[str, Any] | None,
        order: str | None,
        limit: int,
        offset: int,
        *,
        search: str | None = None,
        lite: bool = False,
    ) -> Any:
        params: dict[str, Any] = {"order": order or "", "limit": limit, "offset": offset}
        if filters:
            params["filters"] = _dumps(filters).decode()
        if search:
            params["search"] = search
        if lite:
            params["lite"] = "true"
        return self._json("GET", f"/runs/{_segment(entity)}/{_segment(project)}", params=params)

    # ------------------------------------------------------------------ project views

    def project_columns(self, entity: str, project: str) -> dict[str, list[str]]:
        data = self._json("GET", f"{_project_path(entity, project)}/columns")
        return {"config": list(data["config"]), "summary": list(data["summary"])}

    def project_keys(self, entity: str, project: str, stream: str = "history") -> list[KeyInfo]:
        data = self._json(
            "GET", f"{_project_path(entity, project)}/keys", params={"stream": stream}
        )
        return [KeyInfo.from_dict(k) for k in data["keys"]]

    def group_runs(
        self,
        entity: str,
        project: str,
        by: str,
        *,
        metrics: Sequence[str] = (),
        filters: dict[str, Any] | None = None,
        search: str | None = None,
    ) -> list[RunGroup]:
        if isinstance(metrics, str):
            raise UsageError("metrics must be a list of field names, not a string")
        params = _params(
            by=by,
            metrics=list(metrics) or None,
            filters=_dumps(filters).decode() if filters else None,
            search=search or None,
        )
        data = self._json("GET", f"{_project_path(entity, project)}/groups", params=params)
        return [RunGroup.from_dict(g) for g in data["groups"]]

    def series_many(
        self,
        entity: str,
        project: str,
        run_ids: Sequence[str],
        keys: Sequence[str],
        *,
        x_axis: str = "_step",
        min_x: float | None = None,
        max_x: float | None = None,
        buckets: int = DEFAULT_BUCKETS,
        stream: str = "history",
    ) -> list[tuple[str, Series]]:
        for name, names in (("run_ids", run_ids), ("keys", keys)):
            if isinstance(names, str):
                raise UsageError(f"{name} must be a list of strings, not a string")
        run_list, key_list = list(dict.fromkeys(run_ids)), list(dict.fromkeys(keys))
        found: dict[tuple[str, str], Series] = {}
        for i in range(0, len(run_list), SERIES_RUNS):
            for j in range(0, len(key_list), SERIES_KEYS):
                body = {
                    "runs": run_list[i : i + SERIES_RUNS],
                    "keys": key_list[j : j + SERIES_KEYS],
                    "x_axis": x_axis,
                    "min_x": min_x,
                    "max_x": max_x,
                    "buckets": buckets,
                    "stream": stream,
                }
                path = f"{_project_path(entity, project)}/series"
                for item in self._json("POST", path, content=_dumps(body))["series"]:
                    found[(item["run_id"], item["key"])] = Series.from_dict(item)
        return [(r, found[(r, k)]) for r in run_list for k in key_list if (r, k) in found]

    def get_view(self, entity: str, project: str, name: str) -> View | None:
        data = self._json("GET", f"{_project_path(entity, project)}/views/{_segment(name)}")
        return None if data["spec"] is None else cast(View, View.from_dict(data))

    def put_view(self, entity: str, project: str, name: str, spec: dict[str, Any]) -> View:
        path = f"{_project_path(entity, project)}/views/{_segment(name)}"
        data = self._json("PUT", path, content=_dumps({"spec": spec}))
        return cast(View, View.from_dict(data))

    def get_run(self, run: RunKey) -> RunInfo:
        return cast(RunInfo, RunInfo.from_dict(self._json("GET", _run_path(run))))

    def history_keys(self, run: RunKey, stream: str = "history") -> list[KeyInfo]:
        data = self._json("GET", f"{_run_path(run)}/history/keys", params={"stream": stream})
        return [KeyInfo.from_dict(k) for k in data["keys"]]

    def read_history(
        self,
        run: RunKey,
        *,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
        limit: int | None = None,
        stream: str = "history",
    ) -> list[dict[str, Any]]:
        if keys is not None and len(keys) == 0:
            # A query string cannot say "no keys"; no keys means no rows.
            self.get_run(run)
            return []
        if limit is not None and limit < 0:
            raise UsageError("limit must not be negative")
        rows: list[dict[str, Any]] = []
        start = min_step
        while True:
            page = HISTORY_PAGE if limit is None else min(limit - len(rows), HISTORY_PAGE)
            params = _params(keys=keys, min_step=start, max_step=max_step, stream=stream)
            params["limit"] = page
            got = self._json("GET", f"{_run_path(run)}/history", params=params)["rows"]
            rows.extend(got)
            if len(got) < page or (limit is not None and len(rows) >= limit) or not got:
                return rows
            start = int(got[-1]["_step"]) + 1

    def sample_history(
        self,
        run: RunKey,
        *,
        keys: Sequence[str] | None = None,
        samples: int = 500,
        stream: str = "history",
    ) -> list[dict[str, Any]]:
        if keys is not None and len(keys) == 0:
            self.get_run(run)
            return []
        params = _params(keys=keys, samples=min(samples, HISTORY_PAGE), stream=stream)
        rows: list[dict[str, Any]] = self._json(
            "GET", f"{_run_path(run)}/history/sample", params=params
        )["rows"]
        return rows

    def series(
        self,
        run: RunKey,
        key: str,
        *,
        x_axis: str = "_step",
        min_x: float | None = None,
        max_x: float | None = None,
        buckets: int = DEFAULT_BUCKETS,
        stream: str = "history",
    ) -> Series:
        params = _params(
            key=key, x_axis=x_axis, min_x=min_x, max_x=max_x, buckets=buckets, stream=stream
        )
        data = self._json("GET", f"{_run_path(run)}/series", params=params)
        return cast(Series, Series.from_dict(data))

    def list_files(self, run: RunKey) -> list[FileInfo]:
        data = self._json("GET", f"{_run_path(run)}/files")
        return [FileInfo.from_dict(f) for f in data["files"]]

    def get_file(self, run: RunKey, name: str) -> FileInfo:
        data = self._json("GET", f"{_run_path(run)}/files", params={"name": name})
        return cast(FileInfo, FileInfo.from_dict(data["files"][0]))

    def read_output(
        self, run: RunKey, *, start: int = 0, limit: int = OUTPUT_PAGE, search: str | None = None
    ) -> OutputPage:
        params = _params(start=start, limit=limit, search=search or None)
        return OutputPage.from_dict(self._json("GET", f"{_run_path(run)}/output", params=params))

    # ------------------------------------------------------------------ artifacts

    def log_artifact(
        self,
        entity: str,
        project: str,
        name: str,
        type: str,
        manifest: Sequence[ManifestEntry],
        *,
        run: RunKey | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        aliases: Sequence[str] = (),
    ) -> LoggedVersion:
        if isinstance(aliases, str):
            raise UsageError("aliases must be a list of strings, not a string")
        if run is not None and (run.entity, run.project) != (entity, project):
            raise UsageError("a run logs artifacts into its own project")
        body = {
            "name": name,
            "type": type,
            "manifest": [e.to_dict() for e in manifest],
            "run": run.run_id if run is not None else None,
            "description": description,
            "metadata": metadata,
            "aliases": list(aliases),
        }
        path = f"{_project_path(entity, project)}/artifacts"
        return LoggedVersion.from_dict(self._json("POST", path, content=_dumps(body)))

    def list_artifact_types(self, entity: str, project: str) -> list[ArtifactType]:
        data = self._json("GET", f"{_project_path(entity, project)}/artifact-types")
        return [ArtifactType.from_dict(t) for t in data["types"]]

    def list_artifacts(
        self, entity: str, project: str, type: str | None = None
    ) -> list[ArtifactInfo]:
        path = f"{_project_path(entity, project)}/artifacts"
        data = self._json("GET", path, params=_params(type=type))
        return [ArtifactInfo.from_dict(a) for a in data["artifacts"]]

    def list_artifact_versions(self, entity: str, project: str, name: str) -> list[ArtifactVersion]:
        data = self._json("GET", f"{_artifact_path(entity, project, name)}/versions")
        return [ArtifactVersion.from_dict(v) for v in data["versions"]]

    def get_artifact_version(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> ArtifactVersion:
        data = self._json("GET", _version_path(entity, project, name, ref))
        return cast(ArtifactVersion, ArtifactVersion.from_dict(data))

    def get_manifest(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> list[ManifestEntry]:
        data = self._json("GET", f"{_version_path(entity, project, name, ref)}/manifest")
        return [ManifestEntry.from_dict(e) for e in data["entries"]]

    def set_alias(
        self, entity: str, project: str, name: str, alias: str, version: int
    ) -> ArtifactVersion:
        path = f"{_artifact_path(entity, project, name)}/aliases/{_segment(alias)}"
        data = self._json("PUT", path, content=_dumps({"version": version}))
        return cast(ArtifactVersion, ArtifactVersion.from_dict(data))

    def remove_alias(self, entity: str, project: str, name: str, alias: str) -> None:
        path = f"{_artifact_path(entity, project, name)}/aliases/{_segment(alias)}"
        self._send("DELETE", path)

    def update_artifact_version(
        self,
        entity: str,
        project: str,
        name: str,
        version: int,
        *,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ArtifactVersion:
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if metadata is not None:
            body["metadata"] = metadata
        path = _version_path(entity, project, name, f"v{int(version)}")
        data = self._json("PATCH", path, content=_dumps(body))
        return cast(ArtifactVersion, ArtifactVersion.from_dict(data))

    def delete_artifact_version(
        self, entity: str, project: str, name: str, version: int, *, delete_aliases: bool = False
    ) -> None:
        path = _version_path(entity, project, name, f"v{int(version)}")
        self._send("DELETE", path, params={"delete_aliases": str(bool(delete_aliases)).lower()})

    def use_artifact(
        self, run: RunKey, entity: str, project: str, name: str, ref: str = "latest"
    ) -> ArtifactVersion:
        body = {"entity": entity, "project": project, "name": name, "ref": ref}
        data = self._json("POST", f"{_run_path(run)}/artifacts/used", content=_dumps(body))
        return cast(ArtifactVersion, ArtifactVersion.from_dict(data))

    def artifact_edges(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> list[LineageEdge]:
        data = self._json("GET", f"{_version_path(entity, project, name, ref)}/edges")
        return [LineageEdge.from_dict(e) for e in data["edges"]]

    def run_artifacts(self, run: RunKey, kind: str) -> list[ArtifactVersion]:
        data = self._json("GET", f"{_run_path(run)}/artifacts", params={"kind": kind})
        return [ArtifactVersion.from_dict(v) for v in data["versions"]]

    def artifact_lineage(
        self,
        entity: str,
        project: str,
        name: str,
        ref: str = "latest",
        *,
        depth: int = 4,
        direction: str = "both",
    ) -> LineageGraph:
        from heron.artifacts.lineage import check_walk

        check_walk(depth, direction)
        path = f"{_version_path(entity, project, name, ref)}/lineage"
        data = self._json("GET", path, params={"depth": depth, "direction": direction})
        return LineageGraph.from_dict(data)

    # ------------------------------------------------------------------ calls (weave)

    def apply_calls(self, entity: str, project: str, stream: str, records: Sequence[Record]) -> int:
        path = f"{_project_path(entity, project)}/calls/records"
        return self._post_records(path, stream, records)

    def calls_watermark(self, entity: str, project: str, stream: str) -> int:
        path = f"{_project_path(entity, project)}/calls/watermark"
        return int(self._json("GET", path, params={"stream": stream})["watermark"])

    def get_calls(
        self,
        entity: str,
        project: str,
        *,
        filter: dict[str, Any] | None = None,
        sort_by: Sequence[tuple[str, str]] | None = None,
        limit: int | None = None,
        offset: int = 0,
        include_costs: bool = False,
        query: dict[str, Any] | None = None,
        columns: Sequence[str] | None = None,
        include_feedback: bool = False,
    ) -> list[dict[str, Any]]:
        if (limit is not None and limit < 0) or offset < 0:
            raise UsageError("limit and offset must not be negative")
        path = f"{_project_path(entity, project)}/calls/query"
        order = [list(pair) for pair in sort_by] if sort_by else None
        found: list[dict[str, Any]] = []
        while True:
            page = MAX_CALLS_PAGE if limit is None else min(limit - len(found), MAX_CALLS_PAGE)
            body: dict[str, Any] = {
                "filter": filter,
                "sort_by": order,
                "limit": page,
                "offset": offset + len(found),
            }
            if include_costs:
                body["include_costs"] = True
            if query is not None:
                body["query"] = query
            if columns is not None:
                body["columns"] = list(columns)
            if include_feedback:
                body["include_feedback"] = True
            got = self._json("POST", path, content=_dumps(body))["calls"]
            found.extend(got)
            if len(got) < page or (limit is not None and len(found) >= limit):
                return found

    def count_calls(
        self,
        entity: str,
        project: str,
        *,
        filter: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
    ) -> int:
        path = f"{_project_path(entity, project)}/calls/count"
        body: dict[str, Any] = {"filter": filter}
        if query is not None:
            body["query"] = query
        return int(self._json("POST", path, content=_dumps(body))["count"])

    def count_calls_by(
        self, entity: str, project: str, field: str, *, filter: dict[str, Any] | None = None
    ) -> dict[str, int]:
        path = f"{_project_path(entity, project)}/calls/count-by"
        body = _dumps({"field": field, "filter": filter})
        return dict(self._json("POST", path, content=body)["counts"])

    def get_call(
        self, entity: str, project: str, call_id: str, *, include_costs: bool = False
    ) -> dict[str, Any]:
        path = f"{_project_path(entity, project)}/calls/{_segment(call_id)}"
        params = {"include_costs": "true"} if include_costs else None
        return cast(dict[str, Any], self._json("GET", path, params=params))

    def delete_calls(self, entity: str, project: str, call_ids: Sequence[str]) -> int:
        if isinstance(call_ids, str):
            raise UsageError("call_ids must be a list of strings, not one string")
        ids, deleted = list(call_ids), 0
        path = f"{_project_path(entity, project)}/calls/delete"
        for i in range(0, len(ids), MAX_CALLS_PAGE):
            body = _dumps({"call_ids": ids[i : i + MAX_CALLS_PAGE]})
            deleted += int(self._json("POST", path, content=body)["deleted"])
        return deleted

    def add_feedback(
        self, entity: str, project: str, call_id: str, feedback_type: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        path = f"{_project_path(entity, project)}/calls/{_segment(call_id)}/feedback"
        body = _dumps({"feedback_type": feedback_type, "payload": payload})
        return cast(dict[str, Any], self._json("POST", path, content=body))

    def list_feedback(self, entity: str, project: str, call_id: str) -> list[dict[str, Any]]:
        path = f"{_project_path(entity, project)}/calls/{_segment(call_id)}/feedback"
        return list(self._json("GET", path)["feedback"])

    def feedback_counts(
        self, entity: str, project: str, call_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        if isinstance(call_ids, str):
            raise UsageError("call_ids must be a list of strings, not one string")
        ids, counts = list(call_ids), {}
        path = f"{_project_path(entity, project)}/calls/feedback-counts"
        for i in range(0, len(ids), MAX_CALLS_PAGE):
            body = _dumps({"call_ids": ids[i : i + MAX_CALLS_PAGE]})
            counts.update(self._json("POST", path, content=body)["counts"])
        return counts

    def query_feedback(
        self,
        entity: str,
        project: str,
        *,
        feedback_ids: Sequence[str] | None = None,
        call_ids: Sequence[str] | None = None,
        feedback_types: Sequence[str] | None = None,
        reactions: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        if (limit is not None and limit < 0) or offset < 0:
            raise UsageError("limit and offset must not be negative")
        path = f"{_project_path(entity, project)}/feedback/query"
        lists = {
            "feedback_ids": feedback_ids,
            "call_ids": call_ids,
            "feedback_types": feedback_types,
            "reactions": reactions,
        }
        for name, value in lists.items():
            if isinstance(value, str):
                raise UsageError(f"{name} must be a list of strings, not one string")
        base = {k: list(v) for k, v in lists.items() if v is not None}
        found: list[dict[str, Any]] = []
        while True:
            page = MAX_CALLS_PAGE if limit is None else min(limit - len(found), MAX_CALLS_PAGE)
            body = {**base, "limit": page, "offset": offset + len(found)}
            got = self._json("POST", path, content=_dumps(body))["feedback"]
            found.extend(got)
            if len(got) < page or (limit is not None and len(found) >= limit):
                return found

    def purge_feedback(self, entity: str, project: str, feedback_id: str) -> bool:
        path = f"{_project_path(entity, project)}/feedback/{_segment(feedback_id)}"
        return bool(self._json("DELETE", path)["purged"])

    # ------------------------------------------------------------------ weave objects and tables

    def create_object(
        self,
        entity: str,
        project: str,
        name: str,
        val: Any,
        *,
        kind: str = "object",
        base_object_class: str | None = None,
    ) -> dict[str, Any]:
        body = {"name": name, "val": val, "kind": kind, "base_object_class": base_object_class}
        path = f"{_project_path(entity, project)}/objects"
        content = _json_data(body, f"the value of {kind} {name!r}")
        return cast(dict[str, Any], self._json("POST", path, content=content))

    def get_object(
        self, entity: str, project: str, name: str, version: str = "latest", *, kind: str = "object"
    ) -> dict[str, Any]:
        path = f"{_object_path(entity, project, kind, name)}/{_segment(version)}"
        return cast(dict[str, Any], self._json("GET", path))

    def list_objects(
        self,
        entity: str,
        project: str,
        *,
        kind: str | None = None,
        base_object_classes: Sequence[str] | None = None,
        latest_only: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        classes = None
        if base_object_classes is not None:
            classes = _strings(base_object_classes, "base_object_classes")
            if not classes:
                return []
        params = _params(
            kind=kind,
            base_object_class=classes,
            latest_only="true" if latest_only else "false",
            limit=limit,
            offset=offset,
        )
        path = f"{_project_path(entity, project)}/objects"
        return list(self._json("GET", path, params=params)["objects"])

    def list_object_versions(
        self, entity: str, project: str, name: str, *, kind: str = "object"
    ) -> list[dict[str, Any]]:
        return list(self._json("GET", _object_path(entity, project, kind, name))["versions"])

    def delete_object_version(
        self, entity: str, project: str, name: str, version: str, *, kind: str = "object"
    ) -> dict[str, Any]:
        path = f"{_object_path(entity, project, kind, name)}/{_segment(version)}"
        return cast(dict[str, Any], self._json("DELETE", path))

    def create_table(
        self, entity: str, project: str, rows: Sequence[Any], *, base: str | None = None
    ) -> dict[str, Any]:
        """One request, or for a body past :data:`MAX_TABLE_UPLOAD_BYTES` an upload in parts."""
        if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Sequence):
            raise UsageError(f"rows must be a list of JSON values, not {type(rows).__name__}")
        encoded = [_json_data(row, f"table row {i}") for i, row in enumerate(rows)]
        tables = f"{_project_path(entity, project)}/weave-tables"
        limit = self.table_part_bytes
        if sum(len(part) + 1 for part in encoded) <= limit:
            body = b'{"base":' + _dumps(base) + b',"rows":[' + b",".join(encoded) + b"]}"
            return cast(dict[str, Any], self._json("POST", tables, content=body))
        upload = f"{tables}/uploads/{secrets.token_hex(16)}"
        start = 0
        while start < len(encoded):
            end, size = start, 0
            while end < len(encoded) and (end == start or size + len(encoded[end]) + 1 <= limit):
                size += len(encoded[end]) + 1
                end += 1
            body = b'{"start":%d,"rows":[' % start + b",".join(encoded[start:end]) + b"]}"
            self._json("POST", f"{upload}/rows", content=body)
            start = end
        body = _dumps({"row_count": len(encoded), "base": base})
        return cast(dict[str, Any], self._json("POST", f"{upload}/commit", content=body))

    def stage_table_rows(
        self, entity: str, project: str, upload_id: str, start: int, rows: Sequence[Any]
    ) -> int:
        path = f"{_project_path(entity, project)}/weave-tables/uploads/{_segment(upload_id)}/rows"
        body = _dumps({"start": start, "rows": list(rows)})
        return int(self._json("POST", path, content=body)["staged"])

    def commit_table(
        self,
        entity: str,
        project: str,
        upload_id: str,
        row_count: int,
        *,
        base: str | None = None,
    ) -> dict[str, Any]:
        path = f"{_project_path(entity, project)}/weave-tables/uploads/{_segment(upload_id)}"
        body = _dumps({"row_count": row_count, "base": base})
        return cast(dict[str, Any], self._json("POST", f"{path}/commit", content=body))

    def get_table(self, entity: str, project: str, digest: str) -> dict[str, Any]:
        path = f"{_project_path(entity, project)}/weave-tables/{_segment(digest)}"
        return cast(dict[str, Any], self._json("GET", path))

    def table_rows(
        self, entity: str, project: str, digest: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        if (limit is not None and limit < 0) or offset < 0:
            raise UsageError("limit and offset must not be negative")
        path = f"{_project_path(entity, project)}/weave-tables/{_segment(digest)}/rows"
        found: list[dict[str, Any]] = []
        while True:
            page = MAX_TABLE_PAGE if limit is None else min(limit - len(found), MAX_TABLE_PAGE)
            params = {"offset": offset + len(found), "limit": page}
            got = self._json("GET", path, params=params)["rows"]
            found.extend(got)
            if len(got) < page or (limit is not None and len(found) >= limit):
                return found

    # ------------------------------------------------------------------ LLM prices (weave)

    def add_costs(
        self, entity: str, project: str, costs: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if isinstance(costs, dict) or not isinstance(costs, Sequence):
            raise UsageError("costs must be a list of cost dicts")
        path = f"{_project_path(entity, project)}/costs"
        added: list[dict[str, Any]] = []
        for i in range(0, len(costs), MAX_COSTS_PAGE):
            body = _dumps({"costs": list(costs[i : i + MAX_COSTS_PAGE])})
            added.extend(self._json("POST", path, content=body)["costs"])
        return added

    def query_costs(
        self,
        entity: str,
        project: str,
        *,
        llm_ids: Sequence[str] | None = None,
        cost_ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        if (limit is not None and limit < 0) or offset < 0:
            raise UsageError("limit and offset must not be negative")
        path = f"{_project_path(entity, project)}/costs/query"
        llms = None if llm_ids is None else _strings(llm_ids, "llm_ids")
        ids = None if cost_ids is None else _strings(cost_ids, "cost_ids")
        found: list[dict[str, Any]] = []
        while True:
            page = MAX_COSTS_PAGE if limit is None else min(limit - len(found), MAX_COSTS_PAGE)
            body = {"llm_ids": llms, "cost_ids": ids, "limit": page, "offset": offset + len(found)}
            got = self._json("POST", path, content=_dumps(body))["costs"]
            found.extend(got)
            if len(got) < page or (limit is not None and len(found) >= limit):
                return found

    def purge_costs(self, entity: str, project: str, cost_ids: Sequence[str]) -> int:
        ids, purged = _strings(cost_ids, "cost_ids"), 0
        path = f"{_project_path(entity, project)}/costs/purge"
        for i in range(0, len(ids), MAX_COSTS_PAGE):
            body = _dumps({"cost_ids": ids[i : i + MAX_COSTS_PAGE]})
            purged += int(self._json("POST", path, content=body)["purged"])
        return purged

    # ------------------------------------------------------------------ registry

    def create_registry(
        self, entity: str, name: str, description: str | None = None
    ) -> RegistryInfo:
        body = {"name": name, "description": description}
        data = self._json("POST", _registries_path(entity), content=_dumps(body))
        return cast(RegistryInfo, RegistryInfo.from_dict(data))

    def list_registries(self, entity: str) -> list[RegistryInfo]:
        data = self._json("GET", _registries_path(entity))
        return [RegistryInfo.from_dict(r) for r in data["registries"]]

    def create_collection(
        self,
        entity: str,
        registry: str,
        name: str,
        *,
        description: str | None = None,
        tags: Sequence[str] = (),
    ) -> Collection:
        body = {"name": name, "description": description, "tags": _strings(tags, "tags")}
        path = f"{_registries_path(entity)}/{_segment(registry)}/collections"
        data = self._json("POST", path, content=_dumps(body))
        return cast(Collection, Collection.from_dict(data))

    def update_collection(
        self,
        entity: str,
        registry: str,
        name: str,
        *,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Collection:
        listed = None if tags is None else _strings(tags, "tags")
        body = {"description": description, "tags": listed}
        path = _collection_path(entity, registry, name)
        data = self._json("PATCH", path, content=_dumps(body))
        return cast(Collection, Collection.from_dict(data))

    def list_collections(self, entity: str, registry: str) -> list[Collection]:
        data = self._json("GET", f"{_registries_path(entity)}/{_segment(registry)}/collections")
        return [Collection.from_dict(c) for c in data["collections"]]

    def get_collection(self, entity: str, registry: str, name: str) -> Collection:
        data = self._json("GET", _collection_path(entity, registry, name))
        return cast(Collection, Collection.from_dict(data))

    def link_version(
        self,
        entity: str,
        registry: str,
        collection: str,
        source_entity: str,
        source_project: str,
        source_name: str,
        ref: str = "latest",
        *,
        aliases: Sequence[str] = (),
        actor: str | None = None,
    ) -> LinkedVersion:
        body = {
            "entity": source_entity,
            "project": source_project,
            "name": source_name,
            "ref": ref,
            "aliases": _strings(aliases, "aliases"),
            "actor": actor,
        }
        path = f"{_collection_path(entity, registry, collection)}/versions"
        return LinkedVersion.from_dict(self._json("POST", path, content=_dumps(body)))

    def list_linked_versions(
        self, entity: str, registry: str, collection: str
    ) -> list[LinkedVersion]:
        data = self._json("GET", f"{_collection_path(entity, registry, collection)}/versions")
        return [LinkedVersion.from_dict(v) for v in data["versions"]]

    def get_linked_version(
        self, entity: str, registry: str, collection: str, ref: str = "latest"
    ) -> LinkedVersion:
        path = f"{_collection_path(entity, registry, collection)}/versions/{_segment(ref)}"
        return LinkedVersion.from_dict(self._json("GET", path))

    def set_collection_alias(
        self,
        entity: str,
        registry: str,
        collection: str,
        alias: str,
        version: int,
        *,
        actor: str | None = None,
    ) -> LinkedVersion:
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise UsageError(f"version must be an integer >= 0, not {version!r}")
        path = f"{_collection_path(entity, registry, collection)}/aliases/{_segment(alias)}"
        body = {"version": version, "actor": actor}
        return LinkedVersion.from_dict(self._json("PUT", path, content=_dumps(body)))

    def remove_collection_alias(
        self, entity: str, registry: str, collection: str, alias: str, *, actor: str | None = None
    ) -> None:
        path = f"{_collection_path(entity, registry, collection)}/aliases/{_segment(alias)}"
        self._send("DELETE", path, params=_params(actor=actor))

    def set_alias_rule(
        self,
        entity: str,
        registry: str,
        collection: str,
        alias: str,
        rule: dict[str, Any] | None,
    ) -> Collection:
        path = f"{_collection_path(entity, registry, collection)}/rules/{_segment(alias)}"
        if rule is None:
            data = self._json("DELETE", path)
        else:
            from heron.artifacts.registry import check_rule

            data = self._json("PUT", path, content=_dumps(check_rule(rule)))
        return cast(Collection, Collection.from_dict(data))

    def alias_history(self, entity: str, registry: str, collection: str) -> list[AliasChange]:
        data = self._json("GET", f"{_collection_path(entity, registry, collection)}/alias-history")
        return [AliasChange.from_dict(c) for c in data["changes"]]

    # ------------------------------------------------------------------ automations

    def create_automation(
        self,
        entity: str,
        name: str,
        trigger: dict[str, Any],
        action: dict[str, Any],
        *,
        project: str | None = None,
        secret: str | None = None,
        enabled: bool = True,
    ) -> Automation:
        body = {
            "name": name,
            "trigger": trigger,
            "action": action,
            "project": project,
            "secret": secret,
            "enabled": enabled,
        }
        data = self._json("POST", _automations_path(entity), content=_dumps(body))
        return cast(Automation, Automation.from_dict(data))

    def list_automations(self, entity: str) -> list[Automation]:
        data = self._json("GET", _automations_path(entity))
        return [Automation.from_dict(a) for a in data["automations"]]

    def set_automation_enabled(self, entity: str, automation_id: int, enabled: bool) -> Automation:
        path = f"{_automations_path(entity)}/{int(automation_id)}"
        data = self._json("PATCH", path, content=_dumps({"enabled": bool(enabled)}))
        return cast(Automation, Automation.from_dict(data))

    def delete_automation(self, entity: str, automation_id: int) -> None:
        self._send("DELETE", f"{_automations_path(entity)}/{int(automation_id)}")

    def list_deliveries(
        self, entity: str, automation_id: int, *, limit: int = 100, before: int | None = None
    ) -> list[Delivery]:
        path = f"{_automations_path(entity)}/{int(automation_id)}/deliveries"
        params: dict[str, Any] = {"limit": limit}
        if before is not None:
            params["before"] = before
        data = self._json("GET", path, params=params)
        return [Delivery.from_dict(d) for d in data["deliveries"]]

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ record batches

    def _post_records(self, path: str, stream: str, records: Sequence[Record]) -> int:
        """POST a record batch in seq order, in parts when it is over the body limit.

        Every part is encoded before the first is sent, so a record too big
        to send alone is refused (InvalidValueError) before any of the batch
        goes: the caller can then send the rest without it. The server applies
        each (stream, seq) at most once, so the last part's watermark is the
        batch's.
        """
        watermark = 0
        for part, body in list(self._record_bodies(stream, list(records))):
            watermark = self._post_part(path, stream, part, body)
        return watermark

    def _record_bodies(
        self, stream: str, records: list[Record]
    ) -> Iterator[tuple[list[Record], bytes]]:
        """(records, body) parts of at most :attr:`max_request_bytes`, halving as needed."""
        body = _dumps({"stream": stream, "records": records})
        limit = self.max_request_bytes
        if len(body) <= limit or not records:  # an empty batch is the server's to refuse
            yield records, body
        elif len(records) == 1:
            raise _oversized(
                records[0],
                len(body),
                f"more than the {limit:,} bytes one request to {self.base_url} may carry;"
                " raise HERON_MAX_REQUEST_BYTES (on the server and on this client) to send it",
            )
        else:
            middle = len(records) // 2
            yield from self._record_bodies(stream, records[:middle])
            yield from self._record_bodies(stream, records[middle:])

    def _post_part(self, path: str, stream: str, records: list[Record], body: bytes) -> int:
        """POST one part; on 413 (the server's limit is smaller) send it in smaller parts."""
        response = self._send("POST", path, content=body, too_large_ok=True)
        if response.status_code != 413:
            return int(_loads(response.content)["watermark"])
        # Bodies this big are refused: plan this part, and later batches, under it.
        self.max_request_bytes = min(self.max_request_bytes, len(body) - 1)
        if len(records) > 1:
            return self._post_records(path, stream, records)
        _, message = _error_of(response)
        if not records:
            raise UsageError(f"the server refused even an empty record batch: {message}")
        raise _oversized(records[0], len(body), f"the server refused it: {message}")

    # ------------------------------------------------------------------ plumbing

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        return _loads(response.content)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | Callable[[], Iterator[bytes]] | None = None,
        headers: dict[str, str] | None = None,
        gone_ok_on_retry: bool = False,
        too_large_ok: bool = False,
    ) -> httpx.Response:
        """One request, retried until it gets a non-5xx answer or the deadline passes.

        ``content`` may be a function returning a fresh byte iterator, so a
        streamed upload starts over on each attempt. ``too_large_ok`` returns
        a 413 answer instead of raising, for a caller that can send less.
        """
        if content is not None and not callable(content):
            headers = {"Content-Type": "application/json", **(headers or {})}
        attempts = 0

        def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            body = content() if callable(content) else content
            try:
                response = self._client.request(
                    method, path, params=params, content=body, headers=headers
                )
            except httpx.TransportError as exc:
                raise _Transient(f"{type(exc).__name__}: {exc}") from exc
            if gone_ok_on_retry and attempts > 1 and response.status_code == 404:
                return response
            if too_large_ok and response.status_code == 413:
                return response
            self._check(response)
            return response

        return self._retrying(f"{method} {path}", attempt)

    def _retrying(self, what: str, attempt: Callable[[], T]) -> T:
        """Call ``attempt`` until it stops raising :class:`_Transient` or time runs out.

        Waits grow 0.1 s, 0.2 s, 0.4 s … up to 2 s, each with random jitter so
        that clients cut off together do not come back together.
        """
        started = time.monotonic()
        deadline = started + self.retry_deadline
        tries = 0
        while True:
            tries += 1
            try:
                return attempt()
            except _Transient as exc:
                problem = str(exc)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreUnavailableError(
                    f"heron server at {self.base_url} did not answer {what} after {tries}"
                    f" attempt(s) over {time.monotonic() - started:.1f}s (last: {problem});"
                    " check that `heron server` is running there and that HERON_BASE_URL"
                    " is right"
                )
            step = min(_BACKOFF_MAX, _BACKOFF_FIRST * 2 ** (tries - 1))
            time.sleep(min(remaining, step / 2 + random.uniform(0, step / 2)))

    def _check(self, response: httpx.Response) -> None:
        """Raise the server's error: _Transient for 5xx, the same HeronError class for 4xx."""
        status = response.status_code
        if status < 400:
            return
        code, message = _error_of(response)
        if status >= 500:
            raise _Transient(f"HTTP {status} {code}: {message}")
        if status in (401, 403):
            message += " (check the API key: HERON_API_KEY or `heron login`)"
        if status == 413:  # the request was too big: sending it again cannot help
            raise UsageError(message)
        raise error_for_code(code)(message)


class HttpBlobStore(BlobStore):
    """The server's blob store over ``/api/v1/blobs/{sha256}``.

    Uploads ask first (``HEAD``) and send only bytes the server lacks; files
    are streamed, never read whole. Downloads are checked against their digest.
    """

    def __init__(self, store: HttpStore) -> None:
        self._store = store

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.exists(sha256):
            self._store._send(
                "PUT",
                f"/blobs/{sha256}",
                content=lambda: iter((data,)),
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(len(data)),
                },
            )
        return sha256

    def put_file(self, path: str) -> tuple[str, int]:
        sha256, size = file_digest(path)
        if self.exists(sha256):
            return sha256, size

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as f:
                while block := f.read(_CHUNK):
                    yield block

        try:
            self._store._send(
                "PUT",
                f"/blobs/{sha256}",
                content=chunks,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            )
        except UsageError as exc:
            raise StoreError(
                f"could not upload {path} (did it change while uploading?): {exc}"
            ) from exc
        return sha256, size

    def exists(self, sha256: str) -> bool:
        check_sha256(sha256)
        try:
            self._store._send("HEAD", f"/blobs/{sha256}")
        except NotFoundError:
            return False
        return True

    def missing(self, digests: Sequence[str]) -> list[str]:
        wanted = [check_sha256(d) for d in dict.fromkeys(digests)]
        missing: list[str] = []
        for start in range(0, len(wanted), _MISSING_BATCH):
            body = orjson.dumps({"digests": wanted[start : start + _MISSING_BATCH]})
            missing += self._store._json("POST", "/blobs/missing", content=body)["missing"]
        return missing

    def fetch_into(
        self, sha256: str, path: str, progress: Callable[[int], None] | None = None
    ) -> str:
        """Resumes: bytes already in ``path`` are kept and the rest asked for with ``Range``.

        Each retry after a dropped connection resumes too, from what had landed.
        """
        check_sha256(sha256)
        client = self._store._client

        def attempt() -> str:
            digest = hashlib.sha256()
            with open(path, "ab+") as out:
                out.seek(0)
                while block := out.read(_CHUNK):  # the part an earlier fetch left
                    digest.update(block)
                have = out.tell()
                headers = {"Range": f"bytes={have}-"} if have else {}
                try:
                    with client.stream("GET", f"/blobs/{sha256}", headers=headers) as response:
                        if response.status_code == 416:  # nothing left to send
                            response.read()
                            return digest.hexdigest()
                        if response.status_code >= 400:
                            response.read()
                            self._store._check(response)
                        if response.status_code != 206:  # the whole blob: start over
                            out.truncate(0)
                            digest = hashlib.sha256()
                        for block in response.iter_bytes(_CHUNK):
                            digest.update(block)
                            out.write(block)
                            if progress is not None:
                                progress(len(block))
                except httpx.TransportError as exc:
                    raise _Transient(f"{type(exc).__name__}: {exc}") from exc
            return digest.hexdigest()

        return self._store._retrying(f"GET /blobs/{sha256}", attempt)

    def open(self, sha256: str) -> BinaryIO:
        check_sha256(sha256)
        client = self._store._client

        def attempt() -> BinaryIO:
            out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # noqa: SIM115 - returned open
            try:
                digest = hashlib.sha256()
                with client.stream("GET", f"/blobs/{sha256}") as response:
                    if response.status_code >= 400:
                        response.read()
                        self._store._check(response)
                    for block in response.iter_bytes(_CHUNK):
                        digest.update(block)
                        out.write(block)
                if digest.hexdigest() != sha256:
                    raise _Transient(f"the download of blob {sha256} was corrupted")
                out.seek(0)
                return cast(BinaryIO, out)
            except httpx.TransportError as exc:
                out.close()
                raise _Transient(f"{type(exc).__name__}: {exc}") from exc
            except BaseException:
                out.close()
                raise

        return self._store._retrying(f"GET /blobs/{sha256}", attempt)


# ------------------------------------------------------------------ helpers


def _run_path(run: RunKey) -> str:
    return f"/runs/{_segment(run.entity)}/{_segment(run.project)}/{_segment(run.run_id)}"


def _project_path(entity: str, project: str) -> str:
    return f"/projects/{_segment(entity)}/{_segment(project)}"


def _object_path(entity: str, project: str, kind: str, name: str) -> str:
    return f"{_project_path(entity, project)}/objects/{_segment(kind)}/{_segment(name)}/versions"


def _registries_path(entity: str) -> str:
    return f"/registries/{_segment(entity)}"


def _collection_path(entity: str, registry: str, collection: str) -> str:
    return f"{_registries_path(entity)}/{_segment(registry)}/collections/{_segment(collection)}"


def _automations_path(entity: str) -> str:
    return f"/automations/{_segment(entity)}"


def _strings(values: Sequence[str], what: str) -> list[str]:
    if isinstance(values, str):
        raise UsageError(f"{what} must be a list of strings, not a string")
    return list(values)


def _artifact_path(entity: str, project: str, name: str) -> str:
    return f"{_project_path(entity, project)}/artifacts/{_segment(name)}"


def _version_path(entity: str, project: str, name: str, ref: str) -> str:
    return f"{_artifact_path(entity, project, name)}/versions/{_segment(ref)}"


def _segment(value: str) -> str:
    """A path segment, percent-encoded (names are validated, but never trust a caller)."""
    return quote(value, safe="")


def _params(**values: Any) -> dict[str, Any]:
    """Query parameters without the ``None`` ones; lists become repeated parameters."""
    return {
        k: (list(v) if isinstance(v, (list, tuple)) else v)
        for k, v in values.items()
        if v is not None
    }


def _oversized(record: Record, size: int, why: str) -> InvalidValueError:
    """The error for one record that no request can carry."""
    return InvalidValueError(
        f"record {record.get('seq')} ({record.get('type')}) is {size:,} bytes as a request"
        f" body, {why}"
    )


def _error_of(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of an error answer: ours, or a guess from the status (a proxy's page)."""
    try:
        error = orjson.loads(response.content)["error"]
        return str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        pass
    status = response.status_code
    code = {
        400: UsageError.code,
        404: NotFoundError.code,
        409: ConflictError.code,
        413: UsageError.code,
        422: UsageError.code,
        503: StoreUnavailableError.code,
    }.get(status, HeronError.code)
    text = response.text.strip()[:200] if response.content else response.reason_phrase
    return code, f"HTTP {status} from {response.request.url}: {text}"
