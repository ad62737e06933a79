"""Conversation threads on weave calls: ``calls.thread_id`` and ``calls.turn_id``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy on SQLite): the calls table may be large.
    op.add_column("calls", sa.Column("thread_id", sa.String(36), nullable=True))
    op.add_column("calls", sa.Column("turn_id", sa.String(36), nullable=True))
    op.create_index("ix_calls_project_thread", "calls", ["project_id", "thread_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_project_thread", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("turn_id")
        batch.drop_column("thread_id")
