"""The ``store`` fixture: one Store per backend (SQLite, PostgreSQL, HTTP), same tests for each.

The HTTP backend runs one real ``python -m heron.server`` for the whole session
(starting one per test would dominate the run time); each test gets its own
entity name (``entity`` fixture), so tests never see each other's runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from heron.settings import Settings
from heron.store.base import Store
from heron.store.blobs import LocalBlobStore
from heron.store.sql import SqlStore
from tests.helpers.live_server import LiveServer

STORE_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "http"]
SQL_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One heron server for the session."""
    with LiveServer(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture
def entity() -> str:
    """An entity name no other test uses (the HTTP backend's server is shared)."""
    return f"e{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_sql_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., SqlStore]]:
    """Build SqlStores on this test's database: ``make_sql_store("sqlite", crash_timeout=1)``."""
    opened: list[SqlStore] = []

    def make(kind: str, **kwargs: Any) -> SqlStore:
        blobs = LocalBlobStore(tmp_path / "blobs")
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'db' / 'heron.db'}"
        else:
            url = request.getfixturevalue("pg_url")
        store = SqlStore(url, blobs, **kwargs)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(params=SQL_KINDS)
def sql_store(request: pytest.FixtureRequest, make_sql_store: Callable[..., SqlStore]) -> SqlStore:
    return make_sql_store(request.param)


@pytest.fixture(params=STORE_KINDS)
def store(
    request: pytest.FixtureRequest, make_sql_store: Callable[..., SqlStore], tmp_path: Path
) -> Iterator[Store]:
    if request.param != "http":
        yield make_sql_store(request.param)
        return
    server = request.getfixturevalue("live_server")
    from heron.store.http import HttpStore

    client = HttpStore(Settings(dir=tmp_path / "client", base_url=server.base_url))
    try:
        yield client
    finally:
        client.close()
