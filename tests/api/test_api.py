"""heron.Api settings, laziness and input checks (no store needed for most)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from heron.api import Api
from heron.api._util import normalize_filters, normalize_order, parse_time
from heron.errors import UsageError
from heron.settings import Settings


def test_reads_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HERON_DIR", str(tmp_path / "h"))
    monkeypatch.setenv("WANDB_ENTITY", "team")
    monkeypatch.setenv("WANDB_PROJECT", "digits")
    api = Api()
    assert api.settings.dir == tmp_path / "h"
    assert api.default_entity == "team"
    assert api.settings.project == "digits"
    assert api._store is None  # nothing opened until used


def test_overrides_timeout_and_key(settings: Settings) -> None:
    api = Api(
        overrides={"entity": "e", "base_url": "http://h:1/"},
        timeout=3,
        api_key="k",
        settings=settings,
    )
    assert (api.settings.entity, api.settings.base_url) == ("e", "http://h:1")
    assert (api.settings.http_timeout, api.settings.api_key) == (3, "k")
    assert (
        api._run_url(__import__("heron").entities.RunKey("e", "p", "r")) == "http://h:1/e/p/runs/r"
    )
    with pytest.raises(UsageError, match="unknown Api override"):
        Api(overrides={"bogus": 1}, settings=settings)


def test_default_entity_is_the_os_user(settings: Settings) -> None:
    from heron.sdk.names import default_entity

    assert Api(settings=settings).default_entity == default_entity()


def test_import_stays_light() -> None:
    code = (
        "import sys, heron.api; "
        "print(sorted(m for m in ('sqlalchemy','httpx','fastapi','numpy','pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_filter_normalisation() -> None:
    assert normalize_filters(None) is None
    assert normalize_filters({"createdAt": {"$gt": "2024-01-01"}}) == {
        "created_at": {"$gt": parse_time("2024-01-01T00:00:00Z")}
    }
    assert normalize_filters({"$or": [{"id": "x"}, {"state": "finished"}]}) == {
        "$or": [{"run_id": "x"}, {"state": "finished"}]
    }
    assert normalize_order("-createdAt") == "-created_at"
    assert normalize_order("summary_metrics.acc") == "summary_metrics.acc"
    assert parse_time("2024-01-01T01:00:00+01:00") == parse_time("2024-01-01")
