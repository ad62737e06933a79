"""Weave calls, their per-stream watermarks and their feedback.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
JSON_VALUE = sa.Text().with_variant(postgresql.JSONB(), "postgresql")
"""Any JSON value: TEXT on SQLite, whose JSON columns would turn the text ``8`` into 8."""


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_calls_project"),
            primary_key=True,
        ),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("trace_id", sa.String(36), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=True),
        sa.Column("op_name", sa.String(512), nullable=False),
        sa.Column("display_name", sa.String(512), nullable=True),
        sa.Column("inputs", JSON, nullable=False),
        sa.Column("output", JSON_VALUE, nullable=True),
        sa.Column("exception", sa.Text, nullable=True),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=True),
    )
    op.create_index("ix_calls_project_started", "calls", ["project_id", "started_at"])
    op.create_index("ix_calls_project_trace", "calls", ["project_id", "trace_id"])
    op.create_index("ix_calls_project_parent", "calls", ["project_id", "parent_id"])
    op.create_index("ix_calls_project_op_started", "calls", ["project_id", "op_name", "started_at"])
    op.create_table(
        "call_streams",
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_call_streams_project"),
            primary_key=True,
        ),
        sa.Column("stream_id", sa.String(200), primary_key=True),
        sa.Column("watermark", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "call_feedback",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_call_feedback_project"),
            nullable=False,
        ),
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("feedback_type", sa.String(256), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id", "call_id"],
            ["calls.project_id", "calls.id"],
            ondelete="CASCADE",
            name="fk_call_feedback_call",
        ),
    )
    op.create_index(
        "ix_call_feedback_call", "call_feedback", ["project_id", "call_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("call_feedback")
    op.drop_table("call_streams")
    op.drop_table("calls")
