"""Alembic migrations of the SQL store (run by :mod:`heron.store.sql.migrate`)."""
