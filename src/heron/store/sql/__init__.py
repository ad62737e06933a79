"""The SQL store: :class:`SqlStore` on SQLite (embedded default) or PostgreSQL.

Modules: ``tables`` (the schema), ``engine`` (SQLite tuning, write
transactions), ``migrate`` (Alembic on open), ``history`` (chunked metric
history), ``statements`` (the write path's prebuilt SQL), ``filters``
(MongoDB-style run queries), ``store`` (the Store).
"""

from heron.store.sql.store import SqlStore

__all__ = ["SqlStore"]
