"""heron's public face: a sorted, checked ``__all__`` and a light import."""

from __future__ import annotations

import subprocess
import sys

import heron

EXPECTED = [
    "Api",
    "Artifact",
    "Audio",
    "ConfigError",
    "ConflictError",
    "HeronError",
    "Histogram",
    "Html",
    "Image",
    "InvalidNameError",
    "InvalidValueError",
    "NotFoundError",
    "NotInitializedError",
    "Object3D",
    "Run",
    "Settings",
    "StepError",
    "StoreError",
    "StoreUnavailableError",
    "Table",
    "UsageError",
    "Video",
    "__version__",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "login",
    "plot",
    "run",
    "save",
    "summary",
    "weave",
]


def test_all_is_sorted_and_complete() -> None:
    assert sorted(heron.__all__) == sorted(EXPECTED)
    assert heron.__all__ == sorted(heron.__all__)


def test_every_name_resolves() -> None:
    for name in heron.__all__:
        if name in ("Api",):
            continue  # written by the API engineer; resolved lazily
        getattr(heron, name)
    assert heron.run is None
    assert isinstance(heron.__version__, str)


def test_import_stays_light() -> None:
    code = (
        "import sys, heron\n"
        "heavy = [m for m in ('sqlalchemy', 'httpx', 'fastapi', 'numpy', 'pandas', 'yaml',"
        " 'pyarrow')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        heron.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
