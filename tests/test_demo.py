"""``heron demo`` trains and logs a real run that heron.Api() can read back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_demo_logs_a_run(heron_dir: Path) -> None:
    pytest.importorskip("sklearn", reason="the demo extra: pip install 'heron[demo]'")
    env = {**os.environ, "HERON_DISABLE_STATS": "1", "HERON_DISABLE_GIT": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "heron.cli", "demo", "--project", "demo-test", "--epochs", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "epoch   3/3" in out.stdout
    assert "heron ui" in out.stdout and "heron.Api().run(" in out.stdout

    from heron.api import Api

    with Api() as api:
        runs = list(api.runs("demo-test"))
        assert len(runs) == 1
        run = runs[0]
        assert f"Logged run {'/'.join(run.path)}." in out.stdout
        assert run.state == "finished"
        assert run.config["epochs"] == 3 and run.config["model"] == "MLPClassifier"
        assert run.tags == ["demo"]
        epochs = list(run.scan_history(keys=["epoch", "val/accuracy", "val/loss", "train/loss"]))
        assert [r["epoch"] for r in epochs] == [1, 2, 3]
        accuracies = [r["val/accuracy"] for r in epochs]
        assert all(0.5 < a <= 1.0 for a in accuracies)  # it really learns the digits
        assert run.summary["val/accuracy"]["max"] == max(accuracies)
        assert run.summary["val/loss"]["min"] == min(r["val/loss"] for r in epochs)
        assert run.config["train_size"] == 1437 and run.config["val_size"] == 360
        df = run.history(keys=["val/accuracy"])
        assert len(df) == 3


def test_demo_refuses_zero_epochs() -> None:
    from heron.demo import run_demo
    from heron.errors import UsageError

    with pytest.raises(UsageError, match="epochs"):
        run_demo(epochs=0)
