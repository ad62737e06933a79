"""Migrations: the migrated schema matches the table metadata and a committed snapshot.

After a deliberate schema change, add a migration and refresh the snapshots with
``UPDATE_SCHEMA_SNAPSHOTS=1 pytest tests/store/test_migrations.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from heron.store.sql import SqlStore, migrate
from heron.store.sql.tables import metadata
from tests.store.conftest import SQL_KINDS

SNAPSHOTS = Path(__file__).parent / "snapshots"


def dump_schema(engine: sa.Engine) -> str:
    """A stable text description of every table, column, key and index."""
    inspector = sa.inspect(engine)
    lines = []
    for table in sorted(inspector.get_table_names()):
        lines.append(f"table {table}")
        for col in inspector.get_columns(table):
            null = "NULL" if col["nullable"] else "NOT NULL"
            lines.append(f"  column {col['name']} {col['type']} {null}")
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        lines.append(f"  primary key ({', '.join(pk)})")
        for fk in sorted(inspector.get_foreign_keys(table), key=lambda f: str(f["name"])):
            lines.append(
                f"  foreign key {fk['name']} ({', '.join(fk['constrained_columns'])}) ->"
                f" {fk['referred_table']}({', '.join(fk['referred_columns'])})"
                f" ondelete {(fk.get('options') or {}).get('ondelete')}"
            )
        for uq in sorted(inspector.get_unique_constraints(table), key=lambda u: str(u["name"])):
            lines.append(f"  unique {uq['name']} ({', '.join(uq['column_names'])})")
        for ix in sorted(inspector.get_indexes(table), key=lambda i: str(i["name"])):
            unique = " unique" if ix["unique"] else ""
            cols = ", ".join(str(c) for c in ix["column_names"])
            lines.append(f"  index {ix['name']} ({cols}){unique}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_migrated_schema_matches_the_snapshot(
    kind: str, make_sql_store: Callable[..., SqlStore]
) -> None:
    store = make_sql_store(kind)
    snapshot = SNAPSHOTS / f"schema-{store.dialect}.txt"
    schema = dump_schema(store.engine)
    if os.environ.get("UPDATE_SCHEMA_SNAPSHOTS") == "1":
        snapshot.write_text(schema)
    assert schema == snapshot.read_text(), f"schema differs from {snapshot}; see module docstring"


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_migrations_create_exactly_the_table_metadata(
    kind: str, make_sql_store: Callable[..., SqlStore]
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = make_sql_store(kind)
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    assert migrate.current_revision(store.engine) == migrate.HEAD_REVISION


def test_head_revision_constant_matches_the_scripts() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert scripts.get_current_head() == migrate.HEAD_REVISION


def test_opening_twice_keeps_data(make_sql_store: Callable[..., SqlStore]) -> None:
    from heron.entities import RunKey

    first = make_sql_store("sqlite")
    first.apply(RunKey("me", "p", "r"), "s", [{"seq": 1, "type": "run"}])
    again = make_sql_store("sqlite")
    assert again.get_run(RunKey("me", "p", "r")).run_id == "r"
