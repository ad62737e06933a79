"""The ``client`` fixture: ``weave.init`` on the embedded store and against a real server.

The server runs once for the session; each test traces into its own entity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heron import weave
from heron.settings import Settings
from heron.weave.client import WeaveClient
from tests.helpers.live_server import LiveServer


@pytest.fixture(scope="session")
def weave_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with LiveServer(tmp_path_factory.mktemp("weave-server")) as server:
        yield server


@pytest.fixture(params=["embedded", "server"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WeaveClient]:
    """A traced project; ops trace into it until the test ends."""
    base_url = None
    if request.param == "server":
        base_url = request.getfixturevalue("weave_server").base_url
    settings = Settings(dir=tmp_path / "home", base_url=base_url, heartbeat_interval=0.5)
    client = weave.init(f"e{uuid.uuid4().hex[:10]}/tracing", settings=settings)
    try:
        yield client
    finally:
        weave.finish()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[WeaveClient]:
    """A traced project on the embedded store only (for tests that do not need both)."""
    client = weave.init("me/tracing", settings=Settings(dir=tmp_path / "home"))
    try:
        yield client
    finally:
        weave.finish()
