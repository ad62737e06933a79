"""Engines for the store: SQLite tuned for one file shared by many processes, or PostgreSQL.

SQLite runs in WAL mode (readers never block the writer), with
``synchronous=NORMAL`` (durable at each checkpoint, safe against corruption), a
30 s busy timeout, and foreign keys on. SQLAlchemy, not the ``sqlite3`` module,
emits ``BEGIN``: write transactions (connections opened by :func:`write`) use
``BEGIN IMMEDIATE`` so they take the write lock up front and wait their turn in
the busy handler, instead of failing with "database is locked" when two
deferred transactions try to upgrade at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event

from heron.errors import MissingDependencyError, UsageError

BUSY_TIMEOUT_S = 30.0
_WRITE = "heron_write"


def _json_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        import json

        return json.dumps(value, default=str)


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    The folder of a SQLite file is created if missing.
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"invalid database URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        if backend == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            return sa.create_engine(
                parsed,
                pool_pre_ping=True,
                json_serializer=_json_dumps,
                json_deserializer=orjson.loads,
            )
    except ModuleNotFoundError as exc:
        raise MissingDependencyError.for_extra(exc.name or "psycopg", "postgres") from None
    except sa.exc.NoSuchModuleError as exc:
        raise UsageError(f"unsupported database URL {url!r}: {exc}") from None
    raise UsageError(
        f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql+psycopg://..."
    )


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) emit BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextlib.contextmanager
def write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a write transaction, committed when the block ends without error."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a read transaction (one consistent snapshot), rolled back at the end."""
    with engine.connect() as conn, conn.begin() as tx:
        yield conn
        tx.rollback()
