"""Fixtures shared by every test folder: an isolated HERON_DIR, Settings, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.settings import Settings

PG_ADMIN_URL = os.environ.get("HERON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's ~/.heron or their HERON_*/WANDB_* variables."""
    for name in list(os.environ):
        if name.startswith(("HERON_", "WANDB_")) and name != "HERON_TEST_PG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HERON_DIR", str(tmp_path / "heron-home"))


@pytest.fixture
def heron_dir(tmp_path: Path) -> Path:
    return tmp_path / "heron-home"


@pytest.fixture
def settings(heron_dir: Path) -> Settings:
    """Embedded-store settings in a fresh folder, with the slow context capture off."""
    return Settings(dir=heron_dir, stats=False, git=False, console="off")


def _pg_admin():  # type: ignore[no-untyped-def]
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'heron[postgres]'")
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = _pg_admin()
    name = f"heron_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
