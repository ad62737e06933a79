"""Fixtures for the artifact tests: the SDK's ``online`` stores (embedded and a real server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heron.settings import Settings
from tests.sdk.conftest import online, online_client, sdk_server

__all__ = ["blob_dir", "online", "online_client", "sdk_server"]


@pytest.fixture
def blob_dir(request: pytest.FixtureRequest, online: Settings) -> Path:
    """The blob folder the ``online`` store writes to (the server's, for the server case)."""
    if online.base_url:
        return Path(request.getfixturevalue("sdk_server").data_dir) / "blobs"
    return Path(online.resolved_blob_url)


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    return sum(
        os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(folder) for f in files
    )


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads default to ./artifacts: keep them out of the repository."""
    monkeypatch.chdir(tmp_path)
