"""Bring a database up to the store's schema when a store opens.

Opening a store costs one cheap ``SELECT version_num FROM alembic_version``.
A brand-new, empty database is created straight from the table metadata and
stamped with the head revision (Alembic's own recipe for new databases), so
the first run on a fresh machine does not pay ~0.3 s to import Alembic; a
test keeps that schema identical to what the migrations build. Alembic itself
is imported only for a database that exists but is behind. Two processes
opening the same new database at once must not both create the tables:
SQLite files are guarded by a lock file next to the database, PostgreSQL by a
transaction-level advisory lock.

>>> upgrade(engine)   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from heron.errors import StoreError
from heron.store.sql.engine import write

HEAD_REVISION = "0007"
"""The newest revision in ``migrations/versions`` (a test keeps the two in step)."""

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x6865726F6E  # "heron"


def current_revision(engine: sa.Engine) -> str | None:
    """The database's Alembic revision, None for a database without Heron's tables."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def is_current(engine: sa.Engine) -> bool:
    """True when the schema is at :data:`HEAD_REVISION` (one SELECT)."""
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return False  # no alembic_version table yet
    return version == HEAD_REVISION


def alembic_config(connection: sa.Connection | None = None) -> Any:
    """An Alembic ``Config`` for the packaged migrations, bound to ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, *, create_from_metadata: bool = True) -> None:
    """Migrate the database to the newest schema if it is not there yet.

    ``create_from_metadata=False`` runs the Alembic migrations even on an
    empty database (the tests compare both ways of creating the schema).
    """
    if is_current(engine):
        return
    with _migration_lock(engine):
        # Another process may have finished while this one waited for the lock.
        if is_current(engine):
            return
        try:
            with write(engine) as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                    version = _version_in(conn)
                    if version == HEAD_REVISION:
                        return
                if create_from_metadata and not sa.inspect(conn).get_table_names():
                    _create_at_head(conn)
                else:
                    from alembic import command

                    command.upgrade(alembic_config(conn), "head")
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"could not migrate the database {engine.url!r}: {exc}") from exc


def _create_at_head(conn: sa.Connection) -> None:
    """Create every table of an empty database and stamp it at :data:`HEAD_REVISION`."""
    from heron.store.sql.tables import metadata

    metadata.create_all(conn)
    # The table Alembic keeps its revision in, exactly as Alembic creates it.
    version_table = sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version_table.create(conn)
    conn.execute(version_table.insert().values(version_num=HEAD_REVISION))


def _version_in(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


@contextlib.contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    """An exclusive file lock beside a SQLite database file (no-op for other databases)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl

    lock_path = f"{database}.migrate-lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
