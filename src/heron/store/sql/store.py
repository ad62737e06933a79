"""The in-process Store: SQLAlchemy Core on SQLite (embedded default) or PostgreSQL.

>>> store = SqlStore("sqlite:////tmp/heron/heron.db", LocalBlobStore("/tmp/heron/blobs"))
>>> store.apply(RunKey("me", "digits", "abc123"), "log-1", [
...     {"seq": 1, "type": "run", "name": "first"},
...     {"seq": 2, "type": "history", "row": {"_step": 0, "loss": 0.5}},
... ])
2

Every ``apply`` is one transaction: the run row is locked (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises
writers), the stream's watermark read, the new records applied and the
watermark raised, so a batch is applied entirely or not at all, and at most
once however often it is retried.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from heron.artifacts.entities import (
    ArtifactInfo,
    ArtifactType,
    ArtifactVersion,
    LineageEdge,
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
    MAX_LABEL_LENGTH,
    RUN_STATES,
    STREAMS,
    FileInfo,
    KeyInfo,
    OutputPage,
    Project,
    RunGroup,
    RunInfo,
    RunKey,
    Series,
    View,
    check_name,
    check_run_id,
    cut_output_line,
)
from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.records import RECORD_TYPES, Record, decode_value, encode_nonfinite
from heron.settings import Settings
from heron.store.base import DEFAULT_BUCKETS, MAX_OUTPUT_PAGE, OUTPUT_PAGE, BlobStore, Store
from heron.store.blobs import check_sha256, open_blob_store
from heron.store.sql import artifacts as artifact_queries
from heron.store.sql import calls as call_queries
from heron.store.sql import costs as cost_queries
from heron.store.sql import history, migrate, project_queries
from heron.store.sql import objects as object_queries
from heron.store.sql import registry as registry_queries
from heron.store.sql import statements as q
from heron.store.sql.automations import DeliveryWorker
from heron.store.sql.engine import create_engine, read, write
from heron.store.sql.filters import run_filter, run_order, run_search
from heron.store.sql.tables import (
    STREAM_CODES,
    history_chunks,
    history_keys,
    history_values,
    projects,
    run_files,
    run_output,
    run_streams,
    runs,
)

EXIT_STATES = ("finished", "failed", "crashed")
_RECORD_TYPES = frozenset(RECORD_TYPES)
_get_seq = operator.methodcaller("get", "seq")
_get_type = operator.methodcaller("get", "type")
_ACTIVITY_RESOLUTION_S = 1.0
"""projects.last_activity is kept to about this precision."""
_RUN_TEXT_FIELDS = ("name", "notes", "group", "job_type", "host", "user")


class SqlStore(Store):
    """The :class:`~heron.store.base.Store` on a SQL database; see the module docstring.

    ``crash_timeout`` is how long (seconds) a running run may go without a
    heartbeat before reads report it as crashed.
    """

    def __init__(
        self, database_url: str, blobs: BlobStore, *, crash_timeout: float = 120.0
    ) -> None:
        if not crash_timeout > 0:
            raise UsageError("crash_timeout must be a positive number of seconds")
        self.database_url = database_url
        self.blobs = blobs
        self.crash_timeout = float(crash_timeout)
        self.engine = create_engine(database_url)
        self.dialect = self.engine.dialect.name
        migrate.upgrade(self.engine)
        self._deliveries = DeliveryWorker(self.engine)
        self._deliveries.resume()

    @classmethod
    def from_settings(cls, settings: Settings) -> SqlStore:
        """The store the settings describe (default ``<dir>/heron.db`` and ``<dir>/blobs``)."""
        return cls(
            settings.resolved_database_url,
            open_blob_store(settings),
            crash_timeout=settings.crash_timeout,
        )

    def __repr__(self) -> str:
        return f"SqlStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self._deliveries.stop()
        self.engine.dispose()

    # ================================================================== writes

    def apply(self, run: RunKey, stream: str, records: Sequence[Record]) -> int:
        _check_stream_id(stream)
        batch = _validated(records)
        now = time.time()
        with write(self.engine) as conn:
            row, stored_mark = self._lock_run(conn, run, stream)
            new_run = row is None
            if row is None:
                if not any(r["type"] == "run" for r in batch):
                    raise NotFoundError(
                        f"run {run.path} does not exist; its first batch must hold a 'run' record"
                    )
                # Another writer may create it at the same moment: both inserts are
                # "if absent", and the watermark is read only once the row is locked.
                new_run = self._create_run(conn, run, now)
                row, stored_mark = self._lock_run(conn, run, stream)
                assert row is not None
            mark = stored_mark or 0
            fresh = batch[bisect.bisect_right([r["seq"] for r in batch], mark) :]
            changes: dict[str, Any] = {"heartbeat_at": now}
            queued = 0
            watch = registry_queries.run_watch(conn, run.entity, row["id"]) if fresh else None
            if fresh:
                changes.update(self._apply_records(conn, row, fresh, now, new_run=new_run))
                for record in fresh:
                    if record["type"] == "artifact":
                        logged = artifact_queries.apply_record(
                            conn, row["project_id"], self.blobs, run, record, self._insert
                        )
                        if logged.created:
                            event = registry_queries.version_event(logged.version, run)
                            queued += registry_queries.emit(
                                conn, run.entity, run.project, event, now
                            )
                mark = fresh[-1]["seq"]
                if stored_mark is None:
                    params = {"run": row["id"], "stream_id": stream, "watermark": mark}
                    conn.execute(q.INSERT_WATERMARK, params)
                else:
                    params = {"b_run": row["id"], "b_stream": stream, "watermark": mark}
                    conn.execute(q.UPDATE_WATERMARK, params)
            conn.execute(q.UPDATE_RUN, {"b_id": row["id"], **changes})
            if watch is not None:
                queued += registry_queries.run_events(conn, run, row["id"], watch, now)
            # Skipped when recent, so runs of one project do not queue on its row lock.
            before = now - _ACTIVITY_RESOLUTION_S
            if row["project_active"] < before:
                conn.execute(
                    q.UPDATE_PROJECT_ACTIVITY,
                    {"b_id": row["project_id"], "b_before": before, "b_now": now},
                )
        if queued:
            self._deliveries.kick()
        return mark

    def watermark(self, run: RunKey, stream: str) -> int:
        with read(self.engine) as conn:
            row = self._find(conn, run)
            return 0 if row is None else self._watermark(conn, row["id"], stream)

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
        fields: dict[str, Any] = {
            "name": name,
            "tags": tags,
            "notes": notes,
            "group": group,
            "job_type": job_type,
            "config": config,
            "summary": summary,
        }
        changes = _run_changes({k: v for k, v in fields.items() if v is not None})
        with write(self.engine) as conn:
            row = self._find(conn, run, lock=True)
            if row is None:
                raise _run_not_found(run)
            if changes:
                changes["updated_at"] = time.time()
                conn.execute(runs.update().where(runs.c.id == row["id"]).values(**changes))
        return self.get_run(run)

    def delete_run(self, run: RunKey) -> None:
        with write(self.engine) as conn:
            row = self._find(conn, run, lock=True)
            if row is None:
                raise _run_not_found(run)
            pk = row["id"]
            key_ids = sa.select(history_keys.c.id).where(history_keys.c.run == pk)
            conn.execute(history_values.delete().where(history_values.c.key_id.in_(key_ids)))
            conn.execute(history_chunks.delete().where(history_chunks.c.key_id.in_(key_ids)))
            conn.execute(history_keys.delete().where(history_keys.c.run == pk))
            conn.execute(run_files.delete().where(run_files.c.run == pk))
            conn.execute(run_output.delete().where(run_output.c.run == pk))
            conn.execute(run_streams.delete().where(run_streams.c.run == pk))
            conn.execute(runs.delete().where(runs.c.id == pk))

    # ================================================================== calls (weave)

    def apply_calls(self, entity: str, project: str, stream: str, records: Sequence[Record]) -> int:
        return call_queries.apply(self.engine, self.dialect, entity, project, stream, records)

    def calls_watermark(self, entity: str, project: str, stream: str) -> int:
        return call_queries.watermark(self.engine, entity, project, stream)

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
        found = call_queries.get_calls(
            self.engine,
            entity,
            project,
            filter=filter,
            sort_by=sort_by,
            limit=limit,
            offset=offset,
            query=query,
            columns=columns,
        )
        if include_costs:
            cost_queries.attach_costs(self.engine, entity, project, found)
        if include_feedback:
            call_queries.attach_feedback(self.engine, entity, project, found)
        return found

    def count_calls(
        self,
        entity: str,
        project: str,
        *,
        filter: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
    ) -> int:
        return call_queries.count_calls(self.engine, entity, project, filter, query)

    def count_calls_by(
        self, entity: str, project: str, field: str, *, filter: dict[str, Any] | None = None
    ) -> dict[str, int]:
        return call_queries.count_calls_by(self.engine, entity, project, field, filter)

    def get_call(
        self, entity: str, project: str, call_id: str, *, include_costs: bool = False
    ) -> dict[str, Any]:
        found = call_queries.get_call(self.engine, entity, project, call_id)
        if include_costs:
            cost_queries.attach_costs(self.engine, entity, project, [found])
        return found

    def delete_calls(self, entity: str, project: str, call_ids: Sequence[str]) -> int:
        return call_queries.delete_calls(self.engine, entity, project, call_ids)

    def add_feedback(
        self, entity: str, project: str, call_id: str, feedback_type: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return call_queries.add_feedback(
            self.engine, entity, project, call_id, feedback_type, payload
        )

    def list_feedback(self, entity: str, project: str, call_id: str) -> list[dict[str, Any]]:
        return call_queries.list_feedback(self.engine, entity, project, call_id)

    def feedback_counts(
        self, entity: str, project: str, call_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        return call_queries.feedback_counts(self.engine, entity, project, call_ids)

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
        return call_queries.query_feedback(
            self.engine,
            entity,
            project,
            feedback_ids=feedback_ids,
            call_ids=call_ids,
            feedback_types=feedback_types,
            reactions=reactions,
            limit=limit,
            offset=offset,
        )

    def purge_feedback(self, entity: str, project: str, feedback_id: str) -> bool:
        return call_queries.purge_feedback(self.engine, entity, project, feedback_id)

    # ================================================================== weave objects and tables

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
        return object_queries.create_object(
            self.engine, self.dialect, entity, project, name, val, kind, base_object_class
        )

    def get_object(
        self, entity: str, project: str, name: str, version: str = "latest", *, kind: str = "object"
    ) -> dict[str, Any]:
        return object_queries.get_object(self.engine, entity, project, name, version, kind)

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
        return object_queries.list_objects(
            self.engine,
            entity,
            project,
            kind=kind,
            base_object_classes=base_object_classes,
            latest_only=latest_only,
            limit=limit,
            offset=offset,
        )

    def list_object_versions(
        self, entity: str, project: str, name: str, *, kind: str = "object"
    ) -> list[dict[str, Any]]:
        object_queries.check_object_name(name)
        return object_queries.list_objects(
            self.engine,
            entity,
            project,
            kind=kind,
            base_object_classes=None,
            latest_only=False,
            limit=None,
            offset=0,
            name=name,
        )

    def delete_object_version(
        self, entity: str, project: str, name: str, version: str, *, kind: str = "object"
    ) -> dict[str, Any]:
        return object_queries.delete_object_version(
            self.engine, entity, project, name, version, kind
        )

    def create_table(
        self, entity: str, project: str, rows: Sequence[Any], *, base: str | None = None
    ) -> dict[str, Any]:
        return object_queries.create_table(self.engine, self.dialect, entity, project, rows, base)

    def stage_table_rows(
        self, entity: str, project: str, upload_id: str, start: int, rows: Sequence[Any]
    ) -> int:
        return object_queries.stage_rows(
            self.engine, self.dialect, entity, project, upload_id, start, rows
        )

    def commit_table(
        self,
        entity: str,
        project: str,
        upload_id: str,
        row_count: int,
        *,
        base: str | None = None,
    ) -> dict[str, Any]:
        return object_queries.commit_upload(
            self.engine, self.dialect, entity, project, upload_id, row_count, base
        )

    def get_table(self, entity: str, project: str, digest: str) -> dict[str, Any]:
        return object_queries.get_table(self.engine, entity, project, digest)

    def table_rows(
        self, entity: str, project: str, digest: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return object_queries.table_rows(
            self.engine, entity, project, digest, offset=offset, limit=limit
        )

    def add_costs(
        self, entity: str, project: str, costs: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return cost_queries.add_costs(self.engine, self.dialect, entity, project, costs)

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
        return cost_queries.query_costs(
            self.engine,
            entity,
            project,
            llm_ids=llm_ids,
            cost_ids=cost_ids,
            limit=limit,
            offset=offset,
        )

    def purge_costs(self, entity: str, project: str, cost_ids: Sequence[str]) -> int:
        return cost_queries.purge_costs(self.engine, entity, project, cost_ids)

    # ================================================================== reads

    def list_projects(self, entity: str | None = None) -> list[Project]:
        count = sa.func.count(runs.c.id)
        query = (
            sa.select(
                projects.c.entity,
                projects.c.name,
                count,
                projects.c.created_at,
                projects.c.last_activity,
            )
            .outerjoin(runs, runs.c.project_id == projects.c.id)
            .group_by(projects.c.id)
            .order_by(projects.c.last_activity.desc(), projects.c.entity, projects.c.name)
        )
        if entity is not None:
            query = query.where(projects.c.entity == entity)
        with read(self.engine) as conn:
            return [Project(*row) for row in conn.execute(query)]

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
        for name, value in (("limit", limit), ("offset", offset)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UsageError(f"{name} must be a non-negative integer, not {value!r}")
        where = self._where(filters, search)
        order_by = run_order(order, self.dialect)
        query = self._project_runs(entity, project, where, lite=lite).order_by(*order_by)
        query = query.limit(limit).offset(offset)
        self._mark_crashed(entity, project)
        with read(self.engine) as conn:
            return [_run_info(row._mapping) for row in conn.execute(query)]

    def count_runs(
        self,
        entity: str,
        project: str,
        *,
        filters: dict[str, Any] | None = None,
        search: str | None = None,
    ) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(runs)
            .join(projects, projects.c.id == runs.c.project_id)
            .where(self._scope(entity, project, filters, search))
        )
        self._mark_crashed(entity, project)
        with read(self.engine) as conn:
            return int(conn.execute(query).scalar_one())

    # ------------------------------------------------------------------ project views

    def project_columns(self, entity: str, project: str) -> dict[str, list[str]]:
        with read(self.engine) as conn:
            return project_queries.columns(conn, self._project_id(conn, entity, project))

    def project_keys(self, entity: str, project: str, stream: str = "history") -> list[KeyInfo]:
        code = _stream_code(stream)
        with read(self.engine) as conn:
            return project_queries.keys(conn, self._project_id(conn, entity, project), code)

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
        scope = self._scope(entity, project, filters, search)
        self._mark_crashed(entity, project)
        with read(self.engine) as conn:
            return project_queries.group(conn, scope, by, metrics)

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
        code = _stream_code(stream)
        for name, names in (("run_ids", run_ids), ("keys", keys)):
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise UsageError(f"{name} must be a list of strings, not {names!r}")
        wanted = list(dict.fromkeys(run_ids))
        query = (
            sa.select(runs.c.id, runs.c.run_id)
            .join(projects, projects.c.id == runs.c.project_id)
            .where(projects.c.entity == entity, projects.c.name == project)
            .where(runs.c.run_id.in_(wanted))
        )
        with read(self.engine) as conn:
            found = {run_id: pk for pk, run_id in conn.execute(query)}
            pks = {found[r]: r for r in wanted if r in found}  # in the caller's order
            return history.series_many(
                conn,
                pks,
                code,
                keys,
                x_axis=x_axis,
                min_x=min_x,
                max_x=max_x,
                buckets=buckets,
            )

    def get_view(self, entity: str, project: str, name: str) -> View | None:
        with read(self.engine) as conn:
            return project_queries.get_view(conn, self._project_id(conn, entity, project), name)

    def put_view(self, entity: str, project: str, name: str, spec: dict[str, Any]) -> View:
        check_name("view", name)
        stored = project_queries.check_spec(spec)
        with write(self.engine) as conn:
            project_id = self._project_id(conn, entity, project)
            if project_id is None:
                raise NotFoundError(f"project {entity}/{project} not found")
            return project_queries.put_view(conn, project_id, name, stored, time.time())

    def get_run(self, run: RunKey) -> RunInfo:
        with read(self.engine) as conn:
            row = self._find(conn, run)
        if row is None:
            raise _run_not_found(run)
        info = _run_info(row)
        if info.state == "running" and info.heartbeat_at < time.time() - self.crash_timeout:
            with write(self.engine) as conn:
                conn.execute(
                    runs.update()
                    .where(runs.c.id == row["id"], runs.c.state == "running")
                    .where(runs.c.heartbeat_at < time.time() - self.crash_timeout)
                    .values(state="crashed")
                )
                row = self._find(conn, run)
            if row is None:
                raise _run_not_found(run)
            info = _run_info(row)
        return info

    def history_keys(self, run: RunKey, stream: str = "history") -> list[KeyInfo]:
        code = _stream_code(stream)
        with read(self.engine) as conn:
            pk = self._run_pk(conn, run)
            return history.key_infos(conn, pk, code)

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
        code = _stream_code(stream)
        _check_int("min_step", min_step)
        _check_int("max_step", max_step)
        _check_int("limit", limit, minimum=0)
        with read(self.engine) as conn:
            pk = self._run_pk(conn, run)
            key_list = history.key_rows(conn, pk, code, keys)
            return history.read_rows(conn, key_list, min_step, max_step, limit)

    def sample_history(
        self,
        run: RunKey,
        *,
        keys: Sequence[str] | None = None,
        samples: int = 500,
        stream: str = "history",
    ) -> list[dict[str, Any]]:
        code = _stream_code(stream)
        _check_int("samples", samples, minimum=1)
        with read(self.engine) as conn:
            pk = self._run_pk(conn, run)
            key_list = history.key_rows(conn, pk, code, keys)
            return history.sample_rows(conn, key_list, samples)

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
        code = _stream_code(stream)
        with read(self.engine) as conn:
            pk = self._run_pk(conn, run)
            return history.series(
                conn, pk, code, key, x_axis=x_axis, min_x=min_x, max_x=max_x, buckets=buckets
            )

    def list_files(self, run: RunKey) -> list[FileInfo]:
        f = run_files
        with read(self.engine) as conn:
            pk = self._run_pk(conn, run)
            query = (
                sa.select(f.c.name, f.c.sha256, f.c.size, f.c.updated_at)
                .where(f.c.run == pk)
                .order_by(f.c.name)
            )
            return [FileInfo(*row) for row in conn.execute(query)]

    def get_file(self, run: RunKey, name: str) -> FileInfo:
        f = run_files
        with read(self.engine) as conn:
            pk = self._run_pk(conn, run)
            query = sa.select(f.c.name, f.c.sha256, f.c.size, f.c.updated_at).where(
                f.c.run == pk, f.c.name == name
            )
            row = conn.execute(query).first()
        if row is None:
            raise NotFoundError(f"run {run.path} has no file {name!r}")
        return FileInfo(*row)

    def read_output(
        self, run: RunKey, *, start: int = 0, limit: int = OUTPUT_PAGE, search: str | None = None
    ) -> OutputPage:
        _check_int("start", start, minimum=0)
        _check_int("limit", limit, minimum=0)
        if limit > MAX_OUTPUT_PAGE:
            raise UsageError(f"limit must be at most {MAX_OUTPUT_PAGE}, not {limit}")
        o = run_output
        with read(self.engine) as conn:
            pk = self._run_pk(conn, run)
            where = [o.c.run == pk]
            if search:
                where.append(o.c.text.icontains(search, autoescape=True))
            total = conn.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
            query = (
                sa.select(o.c.line_no, o.c.text)
                .where(*where, o.c.line_no >= start)
                .order_by(o.c.line_no)
                .limit(limit)
            )
            lines = [(int(n), text) for n, text in conn.execute(query)]
        return OutputPage(lines, int(total))

    # ================================================================== artifacts

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
        check_name("entity", entity)
        check_name("project", project)
        with write(self.engine) as conn:
            project_id = self._project_id(conn, entity, project)
            if project_id is None:
                now = time.time()
                params = {
                    "entity": entity,
                    "name": project,
                    "created_at": now,
                    "last_activity": now,
                }
                conn.execute(q.INSERT_PROJECT[self.dialect], params)
                project_id = self._project_id(conn, entity, project)
                assert project_id is not None
            logged = artifact_queries.log_version(
                conn,
                project_id,
                self.blobs,
                name,
                type,
                manifest,
                run=run,
                description=description,
                metadata=metadata,
                aliases=aliases,
                insert=self._insert,
            )
            queued = 0
            if logged.created:
                event = registry_queries.version_event(logged.version, run)
                queued = registry_queries.emit(conn, entity, project, event, time.time())
        if queued:
            self._deliveries.kick()
        return logged

    def list_artifact_types(self, entity: str, project: str) -> list[ArtifactType]:
        with read(self.engine) as conn:
            return artifact_queries.list_types(conn, self._project_id(conn, entity, project))

    def list_artifacts(
        self, entity: str, project: str, type: str | None = None
    ) -> list[ArtifactInfo]:
        with read(self.engine) as conn:
            project_id = self._project_id(conn, entity, project)
            return artifact_queries.list_artifacts(conn, project_id, entity, project, type)

    def list_artifact_versions(self, entity: str, project: str, name: str) -> list[ArtifactVersion]:
        with read(self.engine) as conn:
            project_id = self._project_id(conn, entity, project)
            return artifact_queries.list_versions(conn, project_id, entity, project, name)

    def get_artifact_version(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> ArtifactVersion:
        with read(self.engine) as conn:
            pk = self._version_id(conn, entity, project, name, ref)
            return artifact_queries.get_version(conn, pk)

    def get_manifest(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> list[ManifestEntry]:
        with read(self.engine) as conn:
            return artifact_queries.manifest(
                conn, self._version_id(conn, entity, project, name, ref)
            )

    def set_alias(
        self, entity: str, project: str, name: str, alias: str, version: int
    ) -> ArtifactVersion:
        with write(self.engine) as conn:
            project_id = self._project_id(conn, entity, project)
            return artifact_queries.set_alias(
                conn, project_id, entity, project, name, alias, version, self._insert
            )

    def remove_alias(self, entity: str, project: str, name: str, alias: str) -> None:
        with write(self.engine) as conn:
            project_id = self._project_id(conn, entity, project)
            artifact_queries.remove_alias(conn, project_id, entity, project, name, alias)

    def use_artifact(
        self, run: RunKey, entity: str, project: str, name: str, ref: str = "latest"
    ) -> ArtifactVersion:
        RunKey.parse(run.path, "")  # validates the run's names
        with write(self.engine) as conn:
            pk = self._version_id(conn, entity, project, name, ref)
            artifact_queries.add_edge(conn, pk, run, "used", time.time(), self._insert)
            return artifact_queries.get_version(conn, pk)

    def artifact_edges(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> list[LineageEdge]:
        with read(self.engine) as conn:
            return artifact_queries.edges(conn, self._version_id(conn, entity, project, name, ref))

    def run_artifacts(self, run: RunKey, kind: str) -> list[ArtifactVersion]:
        with read(self.engine) as conn:
            return artifact_queries.run_versions(conn, run, kind)

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
        with write(self.engine) as conn:
            pk = self._version_id(conn, entity, project, name, f"v{int(version)}")
            return artifact_queries.update_version(conn, pk, description, metadata)

    def delete_artifact_version(
        self, entity: str, project: str, name: str, version: int, *, delete_aliases: bool = False
    ) -> None:
        with write(self.engine) as conn:
            pk = self._version_id(conn, entity, project, name, f"v{int(version)}")
            artifact_queries.delete_version(
                conn, pk, delete_aliases=delete_aliases, insert=self._insert
            )

    def unreferenced_blobs(self, grace_seconds: float) -> list[tuple[str, int]]:
        # Blobs are listed before the references are read: a blob put after the
        # listing is not considered, one put before it is fresh (grace) or referenced.
        cutoff = time.time() - float(grace_seconds)
        listed = [(sha, size) for sha, size, mtime in self.blobs.list_blobs() if mtime < cutoff]
        with read(self.engine) as conn:
            referenced = artifact_queries.referenced_blobs(conn)
        return [(sha, size) for sha, size in listed if sha not in referenced]

    def _version_id(
        self, conn: sa.Connection, entity: str, project: str, name: str, ref: str
    ) -> int:
        project_id = self._project_id(conn, entity, project)
        return artifact_queries.version_id(conn, project_id, entity, project, name, ref)

    # ================================================================== registry

    def create_registry(
        self, entity: str, name: str, description: str | None = None
    ) -> RegistryInfo:
        with write(self.engine) as conn:
            return registry_queries.create_registry(conn, entity, name, description)

    def list_registries(self, entity: str) -> list[RegistryInfo]:
        with write(self.engine) as conn:  # makes the default registry on first sight
            return registry_queries.list_registries(conn, entity, self._insert)

    def create_collection(
        self,
        entity: str,
        registry: str,
        name: str,
        *,
        description: str | None = None,
        tags: Sequence[str] = (),
    ) -> Collection:
        with write(self.engine) as conn:
            return registry_queries.create_collection(
                conn, entity, registry, name, description, tags, self._insert
            )

    def update_collection(
        self,
        entity: str,
        registry: str,
        name: str,
        *,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Collection:
        with write(self.engine) as conn:
            return registry_queries.update_collection(
                conn, entity, registry, name, description, tags, self._insert
            )

    def list_collections(self, entity: str, registry: str) -> list[Collection]:
        with write(self.engine) as conn:
            return registry_queries.list_collections(conn, entity, registry, self._insert)

    def get_collection(self, entity: str, registry: str, name: str) -> Collection:
        with write(self.engine) as conn:
            return registry_queries.get_collection(conn, entity, registry, name, self._insert)

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
        with write(self.engine) as conn:
            source = self._version_id(conn, source_entity, source_project, source_name, ref)
            linked = registry_queries.link_version(
                conn, entity, registry, collection, source, aliases, actor, self._insert
            )
        self._deliveries.kick()
        return linked

    def list_linked_versions(
        self, entity: str, registry: str, collection: str
    ) -> list[LinkedVersion]:
        with write(self.engine) as conn:
            return registry_queries.list_links(conn, entity, registry, collection, self._insert)

    def get_linked_version(
        self, entity: str, registry: str, collection: str, ref: str = "latest"
    ) -> LinkedVersion:
        with write(self.engine) as conn:
            return registry_queries.get_link(conn, entity, registry, collection, ref, self._insert)

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
        with write(self.engine) as conn:
            linked = registry_queries.set_collection_alias(
                conn, entity, registry, collection, alias, version, actor, self._insert
            )
        self._deliveries.kick()
        return linked

    def remove_collection_alias(
        self, entity: str, registry: str, collection: str, alias: str, *, actor: str | None = None
    ) -> None:
        with write(self.engine) as conn:
            registry_queries.remove_collection_alias(
                conn, entity, registry, collection, alias, actor, self._insert
            )

    def set_alias_rule(
        self,
        entity: str,
        registry: str,
        collection: str,
        alias: str,
        rule: dict[str, Any] | None,
    ) -> Collection:
        with write(self.engine) as conn:
            return registry_queries.set_alias_rule(
                conn, entity, registry, collection, alias, rule, self._insert
            )

    def alias_history(self, entity: str, registry: str, collection: str) -> list[AliasChange]:
        with write(self.engine) as conn:
            return registry_queries.alias_history(conn, entity, registry, collection, self._insert)

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
        with write(self.engine) as conn:
            return registry_queries.create_automation(
                conn, entity, name, trigger, action, project, secret, enabled, self._insert
            )

    def list_automations(self, entity: str) -> list[Automation]:
        with read(self.engine) as conn:
            return registry_queries.list_automations(conn, entity)

    def set_automation_enabled(self, entity: str, automation_id: int, enabled: bool) -> Automation:
        with write(self.engine) as conn:
            return registry_queries.set_enabled(conn, entity, automation_id, enabled)

    def delete_automation(self, entity: str, automation_id: int) -> None:
        with write(self.engine) as conn:
            registry_queries.delete_automation(conn, entity, automation_id)

    def list_deliveries(
        self, entity: str, automation_id: int, *, limit: int = 100, before: int | None = None
    ) -> list[Delivery]:
        with read(self.engine) as conn:
            return registry_queries.list_deliveries(conn, entity, automation_id, limit, before)

    # ================================================================== helpers

    def _find(
        self, conn: sa.Connection, run: RunKey, *, lock: bool = False
    ) -> sa.RowMapping | None:
        query = q.FIND_RUN_FOR_UPDATE if lock else q.FIND_RUN
        params = {"entity": run.entity, "project": run.project, "run_id": run.run_id}
        row = conn.execute(query, params).first()
        return None if row is None else row._mapping

    def _lock_run(
        self, conn: sa.Connection, run: RunKey, stream: str
    ) -> tuple[sa.RowMapping | None, int | None]:
        """The run's row, locked for this transaction, and the stream's watermark (None if new).

        The row has ``project_active`` too: when the project was last active.
        """
        params = {"entity": run.entity, "project": run.project, "run_id": run.run_id}
        if self.dialect != "postgresql":
            found = conn.execute(q.RUN_FOR_WRITE_WITH_MARK, {**params, "stream": stream}).first()
            return (None, None) if found is None else (found._mapping, found.watermark)
        found = conn.execute(q.RUN_FOR_WRITE_LOCKED, params).first()
        if found is None:
            return None, None
        mark = conn.execute(q.WATERMARK, {"b_run": found.id, "b_stream": stream}).scalar()
        return found._mapping, mark

    def _run_pk(self, conn: sa.Connection, run: RunKey) -> int:
        row = self._find(conn, run)
        if row is None:
            raise _run_not_found(run)
        return int(row["id"])

    def _project_runs(
        self, entity: str, project: str, where: Any, *, lite: bool = False
    ) -> sa.Select[Any]:
        return (
            sa.select(*(q.RUN_COLUMNS_LITE if lite else q.RUN_COLUMNS))
            .join(projects, projects.c.id == runs.c.project_id)
            .where(projects.c.entity == entity, projects.c.name == project)
            .where(where)
        )

    def _where(self, filters: dict[str, Any] | None, search: str | None) -> Any:
        return sa.and_(run_filter(filters, self.dialect), run_search(search, self.dialect))

    def _scope(
        self, entity: str, project: str, filters: dict[str, Any] | None, search: str | None
    ) -> Any:
        """The WHERE clause of a project's runs matching ``filters`` and ``search``."""
        return sa.and_(
            projects.c.entity == entity,
            projects.c.name == project,
            self._where(filters, search),
        )

    def _project_id(self, conn: sa.Connection, entity: str, project: str) -> int | None:
        found = conn.execute(q.PROJECT_ID, {"entity": entity, "project": project}).scalar()
        return None if found is None else int(found)

    def _mark_crashed(self, entity: str, project: str) -> None:
        """Record runs of a project that stopped sending heartbeats as crashed."""
        project_id = (
            sa.select(projects.c.id)
            .where(projects.c.entity == entity, projects.c.name == project)
            .scalar_subquery()
        )

        def stale(cutoff: float) -> Any:
            return sa.and_(
                runs.c.project_id == project_id,
                runs.c.state == "running",
                runs.c.heartbeat_at < cutoff,
            )

        with read(self.engine) as conn:
            found = conn.execute(
                sa.select(runs.c.id).where(stale(time.time() - self.crash_timeout)).limit(1)
            ).first()
        if found is not None:
            with write(self.engine) as conn:
                conn.execute(
                    runs.update()
                    .where(stale(time.time() - self.crash_timeout))
                    .values(state="crashed")
                )

    def _watermark(self, conn: sa.Connection, run_pk: int, stream: str) -> int:
        found = conn.execute(
            sa.select(run_streams.c.watermark).where(
                run_streams.c.run == run_pk, run_streams.c.stream_id == stream
            )
        ).scalar()
        return int(found or 0)

    def _insert(self, table: sa.Table) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        return insert(table)

    def _create_run(self, conn: sa.Connection, run: RunKey, now: float) -> bool:
        """Create the run (and its project) unless another writer just did; True if created."""
        check_name("entity", run.entity)
        check_name("project", run.project)
        check_run_id(run.run_id)
        names = {"entity": run.entity, "project": run.project}
        project_id = conn.execute(q.PROJECT_ID, names).scalar()
        if project_id is None:
            conn.execute(
                q.INSERT_PROJECT[self.dialect],
                {
                    "entity": run.entity,
                    "name": run.project,
                    "created_at": now,
                    "last_activity": now,
                },
            )
            project_id = conn.execute(q.PROJECT_ID, names).scalar_one()
        created = conn.execute(
            q.INSERT_RUN[self.dialect],
            {
                "project_id": project_id,
                "run_id": run.run_id,
                "name": run.run_id,
                "state": "running",
                "config": {},
                "summary": {},
                "tags": [],
                "metadata": {},
                "metrics": {},
                "created_at": now,
                "updated_at": now,
                "heartbeat_at": now,
                "last_step": -1,
            },
        )
        return created.first() is not None if created.returns_rows else created.rowcount == 1

    def _apply_records(
        self,
        conn: sa.Connection,
        row: sa.RowMapping,
        records: list[Record],
        now: float,
        *,
        new_run: bool,
    ) -> dict[str, Any]:
        """Apply the records; return the changes to the run's columns they make."""
        changes: dict[str, Any] = {"updated_at": now}
        state = row["state"]
        if state == "crashed":
            # New records prove the process is alive after all (it was only out of touch).
            changes["state"] = state = "running"
        metrics = dict(row["metrics"])
        files: dict[str, dict[str, Any]] = {}
        output: list[dict[str, Any]] = []
        # History rows, nearly all of a big batch, are picked out in a pass of their own.
        rows: dict[int, list[Any]] = {
            code: [r.get("row") for r in records if r["type"] == kind]
            for kind, code in STREAM_CODES.items()
        }
        rows_ok = all(set(map(type, part)) <= {dict} for part in rows.values())
        rest = [r for r in records if r["type"] not in STREAM_CODES] if rows_ok else records
        for record in rest:
            kind = record["type"]
            if kind in STREAM_CODES:  # only when some row is bad: raise at the first, in order
                if type(record.get("row")) is not dict:
                    raise InvalidValueError(f"record {record['seq']}: 'row' must be a dict")
            elif kind == "run":
                names = (*_RUN_TEXT_FIELDS, "tags", "created_at", "metadata")
                fields = {k: record[k] for k in names if record.get(k) is not None}
                changes.update(_run_changes(fields))
                if state != "running":  # a resumed run
                    changes.update(state="running", ended_at=None, exit_code=None)
                    state = "running"
            elif kind in ("config", "summary"):
                changes.update(_run_changes({kind: record.get(kind)}))
            elif kind == "metric":
                metric = record.get("metric")
                if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
                    raise InvalidValueError(
                        f"record {record['seq']}: 'metric' must be a dict with a 'name'"
                    )
                metrics[metric["name"]] = encode_nonfinite(metric)
                changes["metrics"] = metrics
            elif kind == "file":
                file_row = self._file_row(row["id"], record, now)
                files[file_row["name"]] = file_row  # the last record of a name wins
            elif kind == "output":
                output.extend(_output_rows(row["id"], record))
            elif kind == "exit":
                changes.update(_exit_changes(record, now))
                state = changes["state"]
        history.append(conn, row["id"], rows, new_run=new_run)
        if files:
            conn.execute(q.UPSERT_FILE[conn.dialect.name], list(files.values()))
        if output:
            conn.execute(q.INSERT_OUTPUT[conn.dialect.name], output)
        steps = [r["_step"] for r in rows[0]]  # ints: history.append checked them
        if steps and max(steps) > row["last_step"]:
            changes["last_step"] = max(steps)
        return changes

    def _file_row(self, run_pk: int, record: Record, now: float) -> dict[str, Any]:
        """The run_files row of a ``file`` record, once its name, digest, size and blob check."""
        name, sha256, size = record.get("name"), record.get("sha256"), record.get("size")
        if not isinstance(name, str) or not name or len(name) > 1024:
            raise InvalidValueError(f"record {record['seq']}: a file needs a 'name' (1-1024 chars)")
        check_sha256(sha256)  # type: ignore[arg-type]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidValueError(f"record {record['seq']}: file size must be an integer >= 0")
        if not self.blobs.exists(sha256):  # type: ignore[arg-type]
            raise NotFoundError(
                f"file {name!r} names blob {sha256}, which is not in the blob store;"
                " put the bytes in the blob store before sending the record"
            )
        return {"run": run_pk, "name": name, "sha256": sha256, "size": size, "updated_at": now}


# ====================================================================== helpers


def _output_rows(run_pk: int, record: Record) -> list[dict[str, Any]]:
    """The run_output rows of an ``output`` record, lines over 64 KiB cut.

    NUL becomes U+FFFD: PostgreSQL text cannot hold it, and both dialects must read alike.
    """
    start, lines = record.get("start"), record.get("lines")
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise InvalidValueError(f"record {record['seq']}: output 'start' must be an integer >= 0")
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise InvalidValueError(f"record {record['seq']}: output 'lines' must be a list of strings")
    return [
        {
            "run": run_pk,
            "line_no": start + i,
            "text": cut_output_line(line.replace("\x00", "\ufffd")),
        }
        for i, line in enumerate(lines)
    ]


def _run_not_found(run: RunKey) -> NotFoundError:
    return NotFoundError(f"run {run.path} not found")


def _stream_code(stream: str) -> int:
    try:
        return STREAM_CODES[stream]
    except (KeyError, TypeError):
        raise UsageError(
            f"unknown history stream {stream!r}: use one of {', '.join(STREAMS)}"
        ) from None


def _check_stream_id(stream: Any) -> None:
    if not isinstance(stream, str) or not 1 <= len(stream) <= 200:
        raise UsageError(f"invalid stream id {stream!r}: use a string of 1-200 characters")


def _check_int(name: str, value: Any, *, minimum: int | None = None) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise UsageError(f"{name} must be an integer, not {value!r}")
    if minimum is not None and value < minimum:
        raise UsageError(f"{name} must be at least {minimum}, not {value}")


def _validated(records: Sequence[Record]) -> list[Record]:
    """The records sorted by seq (first of equal seqs kept), each with a seq and a known type."""
    if isinstance(records, (str, bytes, dict)) or not isinstance(records, Sequence):
        raise UsageError("records must be a list of record dicts")
    seqs = _plain_seqs(records)
    if seqs is not None:
        return list(records) if all(map(operator.lt, seqs, seqs[1:])) else _sorted_unique(records)
    for record in records:
        if not isinstance(record, dict):
            raise InvalidValueError(f"a record must be a dict, not {type(record).__name__}")
        seq, kind = record.get("seq"), record.get("type")
        if type(seq) is not int or seq < 1:
            raise InvalidValueError(f"a record needs an integer seq >= 1, not {seq!r}")
        if kind not in _RECORD_TYPES:
            raise InvalidValueError(
                f"record {seq} has unknown type {kind!r}: expected one of {', '.join(RECORD_TYPES)}"
            )
    if all(a["seq"] < b["seq"] for a, b in itertools.pairwise(records)):
        return list(records)
    return _sorted_unique(records)


def _plain_seqs(records: Sequence[Any]) -> list[int] | None:
    """The seqs, if every record is a dict with an int seq >= 1 and a known type; else None.

    The common case, checked a column at a time in C (a batch may hold 5,000
    records); for anything else, :func:`_validated` goes record by record to
    name the culprit.
    """
    if not records or set(map(type, records)) != {dict}:
        return None
    seqs = list(map(_get_seq, records))
    try:
        kinds = set(map(_get_type, records))
    except TypeError:  # an unhashable type
        return None
    if set(map(type, seqs)) == {int} and min(seqs) >= 1 and kinds <= _RECORD_TYPES:
        return seqs
    return None


def _sorted_unique(records: Sequence[Record]) -> list[Record]:
    ordered = sorted(records, key=_get_seq)
    return [r for i, r in enumerate(ordered) if i == 0 or r["seq"] != ordered[i - 1]["seq"]]


def _run_changes(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated column values for run attributes (JSON ones with NaN/Inf tagged)."""
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _RUN_TEXT_FIELDS:
            if value is not None and not isinstance(value, str):
                raise InvalidValueError(f"run {name} must be a string, not {value!r}")
            if name == "name" and not value:
                raise InvalidValueError("a run name cannot be empty")
            limit = None if name == "notes" else MAX_LABEL_LENGTH
            if value is not None and limit and len(value) > limit:
                raise InvalidValueError(f"run {name} is longer than {limit} characters")
            changes[name] = value
        elif name == "tags":
            if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
                raise InvalidValueError(f"run tags must be a list of strings, not {value!r}")
            changes["tags"] = list(dict.fromkeys(value))
        elif name in ("config", "summary", "metadata"):
            if not isinstance(value, dict):
                raise InvalidValueError(f"run {name} must be a dict, not {value!r}")
            changes[name] = encode_nonfinite(value)
        elif name == "created_at":
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidValueError(f"run created_at must be unix seconds, not {value!r}")
            changes[name] = float(value)
    return changes


def _exit_changes(record: Record, now: float) -> dict[str, Any]:
    state = record.get("state")
    if state not in EXIT_STATES:
        raise InvalidValueError(
            f"record {record['seq']}: exit state must be one of {', '.join(EXIT_STATES)},"
            f" not {state!r}"
        )
    code = record.get("exit_code")
    if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
        raise InvalidValueError(f"record {record['seq']}: exit_code must be an integer")
    ended = record.get("ended_at")
    if ended is None:
        ended = now
    elif not isinstance(ended, (int, float)) or not math.isfinite(ended):
        raise InvalidValueError(f"record {record['seq']}: ended_at must be unix seconds")
    return {"state": state, "exit_code": code, "ended_at": float(ended)}


def _run_info(row: sa.RowMapping) -> RunInfo:
    state = row["state"]
    return RunInfo(
        entity=row["entity"],
        project=row["project"],
        run_id=row["run_id"],
        name=row["name"],
        state=state if state in RUN_STATES else "running",
        config=decode_value(row["config"]),
        summary=decode_value(row["summary"]),
        tags=list(row["tags"]),
        notes=row["notes"],
        group=row["group"],
        job_type=row["job_type"],
        host=row["host"],
        user=row["user"],
        metadata=decode_value(row["metadata"]) if "metadata" in row else {},
        metrics=decode_value(row["metrics"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        heartbeat_at=row["heartbeat_at"],
        ended_at=row["ended_at"],
        exit_code=row["exit_code"],
        last_step=int(row["last_step"]),
    )
