"""Fixtures for the server tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server._support import CaptureServer


@pytest.fixture
def capture() -> Iterator[CaptureServer]:
    with CaptureServer() as server:
        yield server
