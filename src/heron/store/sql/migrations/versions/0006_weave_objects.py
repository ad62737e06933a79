"""Weave versioned objects (objects, ops, datasets, models, evaluations), their row
tables, and the LLM price table for call costs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON_VALUE = sa.Text().with_variant(postgresql.JSONB(), "postgresql")


def _project_fk(name: str, **kwargs: object) -> sa.Column[int]:
    return sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name=name),
        **kwargs,  # type: ignore[arg-type]
    )


def upgrade() -> None:
    op.create_table(
        "weave_objects",
        _project_fk("fk_weave_objects_project", primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("object_id", sa.String(256), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("version_index", sa.Integer, nullable=False),
        sa.Column("base_object_class", sa.String(128), nullable=True),
        sa.Column("val", JSON_VALUE, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float, nullable=True),
        sa.UniqueConstraint(
            "project_id",
            "kind",
            "object_id",
            "version_index",
            name="uq_weave_objects_version",
        ),
    )
    op.create_index(
        "ix_weave_objects_project_kind", "weave_objects", ["project_id", "kind", "created_at"]
    )
    op.create_table(
        "weave_tables",
        _project_fk("fk_weave_tables_project", primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "weave_table_rows",
        _project_fk("fk_weave_table_rows_project", primary_key=True),
        sa.Column("table_digest", sa.String(64), primary_key=True),
        sa.Column("row_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("row_digest", sa.String(64), nullable=False),
        sa.Column("val", JSON_VALUE, nullable=False),
    )
    op.create_table(
        "weave_costs",
        sa.Column("id", sa.String(36), primary_key=True),
        _project_fk("fk_weave_costs_project", nullable=False),
        sa.Column("llm_id", sa.String(256), nullable=False),
        sa.Column("provider_id", sa.String(128), nullable=False),
        sa.Column("prompt_token_cost", sa.Float, nullable=False),
        sa.Column("completion_token_cost", sa.Float, nullable=False),
        sa.Column("prompt_token_cost_unit", sa.String(16), nullable=False),
        sa.Column("completion_token_cost_unit", sa.String(16), nullable=False),
        sa.Column("effective_date", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_weave_costs_project_llm", "weave_costs", ["project_id", "llm_id", "effective_date"]
    )


def downgrade() -> None:
    op.drop_index("ix_weave_costs_project_llm", table_name="weave_costs")
    op.drop_table("weave_costs")
    op.drop_table("weave_table_rows")
    op.drop_table("weave_tables")
    op.drop_index("ix_weave_objects_project_kind", table_name="weave_objects")
    op.drop_table("weave_objects")
