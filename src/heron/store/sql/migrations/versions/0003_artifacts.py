"""Artifacts: collections, versions with their manifests, aliases and lineage edges.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_artifacts_project"),
            nullable=False,
        ),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_artifacts_project_name"),
    )
    op.create_table(
        "artifact_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "artifact_id",
            sa.Integer,
            sa.ForeignKey("artifacts.id", ondelete="CASCADE", name="fk_artifact_versions_artifact"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(330), nullable=True),
        sa.UniqueConstraint("artifact_id", "version", name="uq_artifact_versions_version"),
        sa.UniqueConstraint("artifact_id", "digest", name="uq_artifact_versions_digest"),
    )
    op.create_table(
        "artifact_files",
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey(
                "artifact_versions.id", ondelete="CASCADE", name="fk_artifact_files_version"
            ),
            primary_key=True,
        ),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("digest", sa.String(512), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("ref", sa.Text, nullable=True),
    )
    op.create_index("ix_artifact_files_digest", "artifact_files", ["digest"])
    op.create_table(
        "artifact_aliases",
        sa.Column(
            "artifact_id",
            sa.Integer,
            sa.ForeignKey("artifacts.id", ondelete="CASCADE", name="fk_artifact_aliases_artifact"),
            primary_key=True,
        ),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey(
                "artifact_versions.id", ondelete="CASCADE", name="fk_artifact_aliases_version"
            ),
            nullable=False,
        ),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "artifact_lineage",
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey(
                "artifact_versions.id", ondelete="CASCADE", name="fk_artifact_lineage_version"
            ),
            primary_key=True,
        ),
        sa.Column("run_path", sa.String(330), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_artifact_lineage_run", "artifact_lineage", ["run_path", "kind"])


def downgrade() -> None:
    op.drop_index("ix_artifact_lineage_run", table_name="artifact_lineage")
    op.drop_table("artifact_lineage")
    op.drop_table("artifact_aliases")
    op.drop_index("ix_artifact_files_digest", table_name="artifact_files")
    op.drop_table("artifact_files")
    op.drop_table("artifact_versions")
    op.drop_table("artifacts")
