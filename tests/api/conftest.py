"""Fixtures for the query API: an ``Api`` on each kind of store, and a way to fill it.

Runs are written with ``Store.apply`` (the same records the SDK sends), so
these tests need only the store and, for the ``http`` kind, a real server.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heron.entities import RunKey
from heron.settings import Settings
from tests.helpers.live_server import LiveServer

T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real ``python -m heron.server`` per test module (tests use their own projects)."""
    with LiveServer(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "http"])
def api(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """A ``heron.Api`` on an embedded SQLite store, on PostgreSQL, or on a live server."""
    from heron.api import Api

    if request.param == "sqlite":
        api = Api(settings=settings)
    elif request.param == "postgres":
        pg_url = request.getfixturevalue("pg_url")
        api = Api(settings=settings.replace(database_url=pg_url))
    else:
        server = request.getfixturevalue("live_server")
        api = Api(settings=Settings(dir=tmp_path / "client", base_url=server.base_url))
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def project() -> str:
    """A project name no other test uses (the http kind shares one server per module)."""
    return f"p-{uuid.uuid4().hex[:10]}"


def make_run(
    api: Any,
    project: str,
    run_id: str,
    *,
    entity: str = "alice",
    name: str | None = None,
    config: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    rows: list[dict[str, Any]] | None = None,
    system_rows: list[dict[str, Any]] | None = None,
    files: dict[str, bytes] | None = None,
    state: str | None = "finished",
    created_at: float = T0,
    metadata: dict[str, Any] | None = None,
) -> RunKey:
    """Write a run through ``api.store.apply`` as the SDK's sender would."""
    from heron.records import encode_nonfinite

    store = api.store
    key = RunKey(entity, project, run_id)
    records: list[dict[str, Any]] = [
        {
            "type": "run",
            "name": name or run_id,
            "tags": tags or [],
            "created_at": created_at,
            "metadata": metadata or {},
        },
        {"type": "config", "config": config or {}},
    ]
    for row in rows or []:
        records.append({"type": "history", "row": encode_nonfinite(row)})
    for name_, data in (files or {}).items():
        sha = store.blobs.put(data)
        records.append({"type": "file", "name": name_, "sha256": sha, "size": len(data)})
    if summary is not None:
        records.append({"type": "summary", "summary": summary})
    if state is not None:
        records.append(
            {"type": "exit", "state": state, "exit_code": 0, "ended_at": created_at + 60}
        )
    for seq, record in enumerate(records, start=1):
        record["seq"] = seq
    store.apply(key, "main", records)
    if system_rows:
        sys_records = [
            {"seq": i, "type": "system", "row": row} for i, row in enumerate(system_rows, 1)
        ]
        store.apply(key, "system", sys_records)
    return key


def steps(n: int, **extra: Any) -> list[dict[str, Any]]:
    """``n`` history rows with ``_step``, ``_runtime``, ``_timestamp`` and ``loss``."""
    return [
        {"_step": i, "_runtime": i * 0.5, "_timestamp": T0 + i, "loss": 1.0 / (i + 1), **extra}
        for i in range(n)
    ]


def now() -> float:
    return time.time()
