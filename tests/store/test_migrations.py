"""Migrations: the migrated schema matches the table metadata and a committed snapshot.

After a deliberate schema change, add a migration and refresh the snapshots with
``UPDATE_SCHEMA_SNAPSHOTS=1 pytest tests/store/test_migrations.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
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


@pytest.fixture(params=["alembic", "metadata"])
def fresh_engine(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database brought to the head schema by the migrations or by create_all.

    A store opening a brand-new database takes the metadata path; an existing
    one goes through Alembic. Both must give exactly the same schema.
    """
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    migrate.upgrade(engine, create_from_metadata=request.param == "metadata")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_schema_matches_the_snapshot(fresh_engine: sa.Engine) -> None:
    snapshot = SNAPSHOTS / f"schema-{fresh_engine.dialect.name}.txt"
    schema = dump_schema(fresh_engine)
    if os.environ.get("UPDATE_SCHEMA_SNAPSHOTS") == "1":
        snapshot.write_text(schema)
    assert schema == snapshot.read_text(), f"schema differs from {snapshot}; see module docstring"


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_a_new_database_is_stamped_at_head(fresh_engine: sa.Engine) -> None:
    assert migrate.current_revision(fresh_engine) == migrate.HEAD_REVISION
    assert migrate.is_current(fresh_engine)


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_schema_is_exactly_the_table_metadata(fresh_engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with fresh_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_a_new_sqlite_store_imports_neither_alembic_nor_the_postgresql_dialect(
    tmp_path: Path,
) -> None:
    """Both cost ~0.1-0.3 s of a first run's start-up, and SQLite needs neither."""
    code = (
        "import sys; from heron.settings import Settings; from heron.store.sql import SqlStore;"
        "from heron.entities import RunKey;"
        f"store = SqlStore.from_settings(Settings(dir={str(tmp_path)!r}));"
        "store.apply(RunKey('me', 'p', 'r'), 's', [{'seq': 1, 'type': 'run'},"
        " {'seq': 2, 'type': 'history', 'row': {'_step': 0, 'x': 1.0, 's': 'text'}}]);"
        "store.close();"
        "heavy = ('alembic', 'sqlalchemy.dialects.postgresql');"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert (tmp_path / "heron.db").exists()


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
