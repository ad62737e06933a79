"""The first schema: projects, runs, streams, chunked history, run files.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_activity", sa.Float, nullable=False),
        sa.UniqueConstraint("entity", "name", name="uq_projects_entity_name"),
    )
    op.create_table(
        "runs",
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
        sa.Column("config", JSON, nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("group", sa.String(256), nullable=True),
        sa.Column("job_type", sa.String(256), nullable=True),
        sa.Column("host", sa.String(256), nullable=True),
        sa.Column("user", sa.String(256), nullable=True),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("heartbeat_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=True),
        sa.Column("exit_code", sa.Integer, nullable=True),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("project_id", "run_id", name="uq_runs_project_run_id"),
    )
    op.create_index("ix_runs_project_created", "runs", ["project_id", "created_at"])
    op.create_index("ix_runs_state_heartbeat", "runs", ["state", "heartbeat_at"])
    op.create_table(
        "run_streams",
        sa.Column(
            "run",
            sa.Integer,
            sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_streams_run"),
            primary_key=True,
        ),
        sa.Column("stream_id", sa.String(200), primary_key=True),
        sa.Column("watermark", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "history_keys",
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
    op.create_table(
        "history_chunks",
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
    )
    op.create_index("ix_history_chunks_key_first_step", "history_chunks", ["key_id", "first_step"])
    op.create_table(
        "history_values",
        sa.Column(
            "key_id",
            sa.Integer,
            sa.ForeignKey("history_keys.id", ondelete="CASCADE", name="fk_history_values_key"),
            primary_key=True,
        ),
        sa.Column("step", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "run_files",
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


def downgrade() -> None:
    for name in (
        "run_files",
        "history_values",
        "history_chunks",
        "history_keys",
        "run_streams",
        "runs",
        "projects",
    ):
        op.drop_table(name)
