"""Alembic environment for the store's migrations.

Heron runs migrations programmatically (see :mod:`heron.store.sql.migrate`),
handing over an open connection in ``config.attributes["connection"]``; there
is no ``alembic.ini`` to edit and no URL read from the environment.
"""

from __future__ import annotations

from alembic import context

from heron.store.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "heron's migrations run from heron.store.sql.migrate.upgrade(engine), "
        "not from the alembic command line"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
