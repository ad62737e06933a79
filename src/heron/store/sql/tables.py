"""The SQL tables of the store (SQLAlchemy Core), shared by both dialects.

Metric history is stored column-wise, not one row per point: each logged key
of a run has a ``history_keys`` row, and its numeric points live in
``history_chunks`` of up to :data:`CHUNK_POINTS` points, each chunk holding two
packed arrays (steps as little-endian int64, values as little-endian float64,
NaN and infinities kept in binary). Values that are not numbers (strings,
bools, lists, dicts, media stubs) are rows of ``history_values`` with the JSON
text of the value. This keeps a 100,000-row ``log()`` burst to a few hundred
inserts, and a chart read to a few blobs.

Migrations (``migrations/versions``) must create exactly these tables; a test
compares the migrated database with this metadata.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

CHUNK_POINTS = 4096
"""A key's last chunk takes new points until it holds this many; then a new chunk starts."""

STREAM_CODES = {"history": 0, "system": 1}
"""History streams as stored in ``history_keys.stream``."""

metadata = sa.MetaData()


class _JsonColumn(sa.types.TypeDecorator[Any]):
    """JSON text on SQLite, JSONB on PostgreSQL (indexable, compared by value).

    A decorator rather than ``JSON().with_variant(JSONB(), ...)`` so that
    defining the tables does not import SQLAlchemy's PostgreSQL dialect
    (~0.1 s) in processes that only use SQLite.
    """

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


JsonType = _JsonColumn()

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(128), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_activity", sa.Float, nullable=False),
    sa.UniqueConstraint("entity", "name", name="uq_projects_entity_name"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_runs_project"),
        nullable=False,
    ),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("config", JsonType, nullable=False),
    sa.Column("summary", JsonType, nullable=False),
    sa.Column("tags", JsonType, nullable=False),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("group", sa.String(256), nullable=True),
    sa.Column("job_type", sa.String(256), nullable=True),
    sa.Column("host", sa.String(256), nullable=True),
    sa.Column("user", sa.String(256), nullable=True),
    sa.Column("metadata", JsonType, nullable=False),
    sa.Column("metrics", JsonType, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("heartbeat_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("project_id", "run_id", name="uq_runs_project_run_id"),
    sa.Index("ix_runs_project_created", "project_id", "created_at"),
    sa.Index("ix_runs_state_heartbeat", "state", "heartbeat_at"),
)

run_streams = sa.Table(
    "run_streams",
    metadata,
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_streams_run"),
        primary_key=True,
    ),
    sa.Column("stream_id", sa.String(200), primary_key=True),
    sa.Column("watermark", sa.BigInteger, nullable=False),
)

history_keys = sa.Table(
    "history_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_history_keys_run"),
        nullable=False,
    ),
    sa.Column("stream", sa.SmallInteger, nullable=False),
    sa.Column("key", sa.String(512), nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("min_step", sa.BigInteger, nullable=False),
    sa.Column("max_step", sa.BigInteger, nullable=False),
    sa.Column("numeric", sa.Boolean, nullable=False),
    sa.Column("integer", sa.Boolean, nullable=False),
    sa.UniqueConstraint("run", "stream", "key", name="uq_history_keys_run_stream_key"),
)
"""``count`` counts every value (numeric or not); ``numeric`` is True while every value
was a number; ``integer`` while every numeric value was an int (they read back as ints)."""

history_chunks = sa.Table(
    "history_chunks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "key_id",
        sa.Integer,
        sa.ForeignKey("history_keys.id", ondelete="CASCADE", name="fk_history_chunks_key"),
        nullable=False,
    ),
    sa.Column("first_step", sa.BigInteger, nullable=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("steps", sa.LargeBinary, nullable=False),
    sa.Column("values", sa.LargeBinary, nullable=False),
    sa.Column("vmin", sa.Float, nullable=True),
    sa.Column("vmax", sa.Float, nullable=True),
    sa.Index("ix_history_chunks_key_first_step", "key_id", "first_step"),
)
"""``first_step``/``last_step`` are the smallest and largest step in the chunk;
``vmin``/``vmax`` the finite extremes (NULL when the chunk has none)."""

history_values = sa.Table(
    "history_values",
    metadata,
    sa.Column(
        "key_id",
        sa.Integer,
        sa.ForeignKey("history_keys.id", ondelete="CASCADE", name="fk_history_values_key"),
        primary_key=True,
    ),
    sa.Column("step", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("payload", sa.Text, nullable=False),
)

run_files = sa.Table(
    "run_files",
    metadata,
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_files_run"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(1024), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

views = sa.Table(
    "views",
    metadata,
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_views_project"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("spec", JsonType, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""Saved dashboard state of a project (the runs table's ``runset``, the ``workspace`` layout),
kept on the server so it survives reloads and is shared by every replica."""

run_output = sa.Table(
    "run_output",
    metadata,
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_output_run"),
        primary_key=True,
    ),
    sa.Column("line_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text, nullable=False),
)
"""Console output, one row per completed line (``\\r`` redraws already collapsed), numbered
from 0 in the order the run printed them, so the Logs page can tail a running run."""
