"""Fixtures for the SDK tests: isolated clients on the ``settings`` fixture's folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heron.records import LogReader
from heron.sdk.client import Client
from heron.settings import Settings
from tests.helpers.live_server import LiveServer


@pytest.fixture
def offline(settings: Settings) -> Settings:
    return settings.replace(mode="offline", meta=False, silent=True)


@pytest.fixture(scope="module")
def sdk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real ``heron server`` subprocess shared by a test module's "server" cases."""
    with LiveServer(tmp_path_factory.mktemp("sdk-server")) as server:
        yield server


@pytest.fixture(params=["embedded", "server"])
def online(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Online settings: the embedded store under the test's HERON_DIR, or a real server.

    The server is shared by the module's tests, so each test sends as its own
    entity (the store tests do the same) and never sees another test's runs.
    """
    online = settings.replace(meta=False, silent=True, heartbeat_interval=0.2)
    if request.param == "server":
        server = request.getfixturevalue("sdk_server")
        online = online.replace(base_url=server.base_url, entity=f"e{uuid.uuid4().hex[:12]}")
    return online


@pytest.fixture
def client(offline: Settings) -> Iterator[Client]:
    """A client writing offline run logs (no store needed)."""
    c = Client(offline, install_hooks=False)
    yield c
    c.teardown()


@pytest.fixture
def online_client(online: Settings) -> Iterator[Client]:
    """A client sending to the store of ``online``: embedded, or the test server."""
    c = Client(online, install_hooks=False)
    yield c
    c.teardown()


def log_records(run: Any, kind: str | None = None) -> list[dict[str, Any]]:
    """The records of a (finished) run's log, optionally of one type."""
    return [r for r in LogReader(run.log_path) if kind is None or r["type"] == kind]


def history(run: Any) -> list[dict[str, Any]]:
    """The committed history rows of a run, without the time stamps."""
    rows = []
    for record in log_records(run, "history"):
        row = dict(record["row"])
        row.pop("_runtime")
        row.pop("_timestamp")
        rows.append(row)
    return rows
