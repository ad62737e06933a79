"""The write path's SQL statements, built once at import with bind parameters.

Building a SQLAlchemy Core statement and its cache key costs several times
more than executing it once it is built (about 260 µs against 35 µs for a
small SELECT on a 2-core machine), and ``apply`` runs a dozen statements per
call, so the ones it runs every time are built here once; every value is a
bind parameter and SQLAlchemy's compiled cache does the rest. Statements
whose cost does not matter are still written where they are used.

An UPDATE built without ``.values()`` sets the columns named by the keys of
the parameters it is executed with (``b_id`` and other ``b_`` names are the
WHERE clause's), so one statement serves every set of changed columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from heron.store.sql.tables import (
    CHUNK_POINTS,
    history_chunks,
    history_keys,
    history_values,
    projects,
    run_files,
    run_output,
    run_streams,
    runs,
)

_p = sa.bindparam


class PerDialect:
    """A statement built per dialect on first use: ``INSERT_RUN[conn.dialect.name]``.

    Building lazily keeps ``sqlalchemy.dialects.postgresql`` (~0.1 s to import)
    out of processes that only ever use SQLite.
    """

    def __init__(self, build: Callable[[Any, str], Any]) -> None:
        self._build = build
        self._built: dict[str, Any] = {}

    def __getitem__(self, dialect: str) -> Any:
        statement = self._built.get(dialect)
        if statement is None:
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
            statement = self._built[dialect] = self._build(insert, dialect)
        return statement


RUN_COLUMNS = [projects.c.entity, projects.c.name.label("project"), *(c for c in runs.c)]
"""A run row as readers see it: its project's entity and name, and every runs column."""

RUN_COLUMNS_LITE = [c for c in RUN_COLUMNS if c.name != "metadata"]
"""A run row for tables: :data:`RUN_COLUMNS` without ``metadata`` (the biggest, least shown)."""

FIND_RUN = (
    sa.select(*RUN_COLUMNS)
    .join(projects, projects.c.id == runs.c.project_id)
    .where(
        projects.c.entity == _p("entity"),
        projects.c.name == _p("project"),
        runs.c.run_id == _p("run_id"),
    )
)
"""The run named by ``entity``, ``project``, ``run_id``."""

FIND_RUN_FOR_UPDATE = FIND_RUN.with_for_update(of=runs)

RUN_FOR_WRITE = FIND_RUN.add_columns(projects.c.last_activity.label("project_active"))
"""The run and when its project was last active (so a recent one needs no update)."""

RUN_FOR_WRITE_LOCKED = RUN_FOR_WRITE.with_for_update(of=runs)
"""PostgreSQL: lock the run row; the watermark is read after the lock (:data:`WATERMARK`)."""

RUN_FOR_WRITE_WITH_MARK = RUN_FOR_WRITE.add_columns(run_streams.c.watermark).outerjoin(
    run_streams,
    sa.and_(run_streams.c.run == runs.c.id, run_streams.c.stream_id == _p("stream")),
)
"""SQLite: the run with the watermark of ``stream`` (NULL when the stream is new).

SQLite's ``BEGIN IMMEDIATE`` makes the whole transaction one writer's, so one
read is enough. PostgreSQL must read the watermark in a statement of its own
after taking the row lock: a ``SELECT … FOR UPDATE`` that waited for another
writer re-reads the locked row but not the rows joined to it.
"""

WATERMARK = sa.select(run_streams.c.watermark).where(
    run_streams.c.run == _p("b_run"), run_streams.c.stream_id == _p("b_stream")
)
INSERT_WATERMARK = run_streams.insert()
UPDATE_WATERMARK = run_streams.update().where(
    run_streams.c.run == _p("b_run"), run_streams.c.stream_id == _p("b_stream")
)

PROJECT_ID = sa.select(projects.c.id).where(
    projects.c.entity == _p("entity"), projects.c.name == _p("project")
)
UPDATE_RUN = runs.update().where(runs.c.id == _p("b_id"))
UPDATE_PROJECT_ACTIVITY = (
    projects.update()
    .where(projects.c.id == _p("b_id"), projects.c.last_activity < _p("b_before"))
    .values(last_activity=_p("b_now"))
)
"""Skipped by the database when the project was active since ``b_before``."""

INSERT_PROJECT = PerDialect(
    lambda insert, _: insert(projects).on_conflict_do_nothing(index_elements=["entity", "name"])
)
"""Per dialect: create a project unless another writer just did."""


def _insert_run(insert: Any, dialect: str) -> Any:
    stmt = insert(runs).on_conflict_do_nothing(index_elements=["project_id", "run_id"])
    return stmt.returning(runs.c.id) if dialect == "postgresql" else stmt


INSERT_RUN = PerDialect(_insert_run)
"""Per dialect: create a run unless another writer just did.

Whether it did: SQLite's rowcount says (any version); on PostgreSQL, whose
rowcount SQLAlchemy's RETURNING hides, the returned id does.
"""

# ---------------------------------------------------------------------- history

KNOWN_KEYS = sa.select(
    history_keys.c.stream,
    history_keys.c.id,
    history_keys.c.key,
    history_keys.c.count,
    history_keys.c.min_step,
    history_keys.c.max_step,
    history_keys.c.numeric,
    history_keys.c.integer,
).where(history_keys.c.run == _p("run"), history_keys.c.stream.in_(_p("codes", expanding=True)))
"""A run's keys of some streams: the stream code, then the fields of a ``history.KeyRow``."""

INSERT_KEYS = history_keys.insert()
INSERT_KEYS_RETURNING = history_keys.insert().returning(
    history_keys.c.stream, history_keys.c.key, history_keys.c.id
)
UPDATE_KEYS = history_keys.update().where(history_keys.c.id == _p("b_id"))

_newest_chunks = (
    sa.select(sa.func.max(history_chunks.c.id))
    .where(history_chunks.c.key_id.in_(_p("key_ids", expanding=True)))
    .group_by(history_chunks.c.key_id)
)
OPEN_CHUNKS = sa.select(
    history_chunks.c.id,
    history_chunks.c.key_id,
    history_chunks.c.n,
    history_chunks.c.steps,
    history_chunks.c["values"],
).where(history_chunks.c.id.in_(_newest_chunks), history_chunks.c.n < CHUNK_POINTS)
"""The last chunk of each of ``key_ids`` that still has room."""

INSERT_CHUNKS = history_chunks.insert()
UPDATE_CHUNKS = history_chunks.update().where(history_chunks.c.id == _p("b_id"))


def _upsert_values(insert: Any, dialect: str) -> Any:
    stmt = insert(history_values)
    return stmt.on_conflict_do_update(
        index_elements=[history_values.c.key_id, history_values.c.step],
        set_={"payload": stmt.excluded.payload},
    )


UPSERT_VALUES = PerDialect(_upsert_values)
"""Per dialect: insert a non-numeric value, or replace the one at the same step."""


# ---------------------------------------------------------------------- files


def _upsert_file(insert: Any, dialect: str) -> Any:
    stmt = insert(run_files)
    return stmt.on_conflict_do_update(
        index_elements=[run_files.c.run, run_files.c.name],
        set_={
            "sha256": stmt.excluded.sha256,
            "size": stmt.excluded.size,
            "updated_at": stmt.excluded.updated_at,
        },
    )


UPSERT_FILE = PerDialect(_upsert_file)
"""Per dialect: record a run file, or point an existing name at its new content."""


# ---------------------------------------------------------------------- console output

INSERT_OUTPUT = PerDialect(
    lambda insert, _: insert(run_output).on_conflict_do_nothing(
        index_elements=[run_output.c.run, run_output.c.line_no]
    )
)
"""Per dialect: store console lines; a line number already stored keeps its text (replays)."""
