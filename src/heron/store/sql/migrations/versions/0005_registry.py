"""The model registry (registries, collections, linked versions, aliases, promotion rules,
alias history) and automations with their deliveries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _collection_fk(name: str, **kwargs: object) -> sa.Column[int]:
    return sa.Column(
        "collection_id",
        sa.Integer,
        sa.ForeignKey("registry_collections.id", ondelete="CASCADE", name=name),
        **kwargs,  # type: ignore[arg-type]
    )


def upgrade() -> None:
    op.create_table(
        "registries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("entity", "name", name="uq_registries_entity_name"),
    )
    op.create_table(
        "registry_collections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "registry_id",
            sa.Integer,
            sa.ForeignKey(
                "registries.id", ondelete="CASCADE", name="fk_registry_collections_registry"
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("registry_id", "name", name="uq_registry_collections_name"),
    )
    op.create_table(
        "registry_links",
        sa.Column("id", sa.Integer, primary_key=True),
        _collection_fk("fk_registry_links_collection", nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey(
                "artifact_versions.id", ondelete="CASCADE", name="fk_registry_links_source"
            ),
            nullable=False,
        ),
        sa.Column("linked_at", sa.Float, nullable=False),
        sa.Column("linked_by", sa.String(330), nullable=True),
        sa.UniqueConstraint("collection_id", "version", name="uq_registry_links_version"),
        sa.UniqueConstraint("collection_id", "source_id", name="uq_registry_links_source"),
    )
    op.create_table(
        "registry_aliases",
        _collection_fk("fk_registry_aliases_collection", primary_key=True),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column(
            "link_id",
            sa.Integer,
            sa.ForeignKey("registry_links.id", ondelete="CASCADE", name="fk_registry_aliases_link"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "registry_rules",
        _collection_fk("fk_registry_rules_collection", primary_key=True),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column("rule", JSON, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "registry_alias_history",
        sa.Column("id", sa.Integer, primary_key=True),
        _collection_fk("fk_registry_history_collection", nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("from_version", sa.Integer, nullable=True),
        sa.Column("to_version", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(330), nullable=True),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_registry_alias_history_collection", "registry_alias_history", ["collection_id", "id"]
    )
    op.create_table(
        "automations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("project", sa.String(128), nullable=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("trigger", JSON, nullable=False),
        sa.Column("action", JSON, nullable=False),
        sa.Column("secret", sa.Text, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("entity", "name", name="uq_automations_entity_name"),
    )
    op.create_table(
        "automation_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "automation_id",
            sa.Integer,
            sa.ForeignKey("automations.id", ondelete="CASCADE", name="fk_deliveries_automation"),
            nullable=False,
        ),
        sa.Column("event", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", JSON, nullable=False),
        sa.Column("request", JSON, nullable=True),
        sa.Column("response_code", sa.Integer, nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", sa.Float, nullable=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_deliveries_status_next", "automation_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index("ix_deliveries_automation", "automation_deliveries", ["automation_id", "id"])


def downgrade() -> None:
    op.drop_table("automation_deliveries")
    op.drop_table("automations")
    op.drop_table("registry_alias_history")
    op.drop_table("registry_rules")
    op.drop_table("registry_aliases")
    op.drop_table("registry_links")
    op.drop_table("registry_collections")
    op.drop_table("registries")
