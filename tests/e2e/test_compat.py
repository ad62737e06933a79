"""A wandb training script runs unchanged under ``import heron as wandb``.

The script (scripts/train_compat.py) runs in its own process, as a user runs
it; everything it did is then checked through ``heron.Api()``: embedded,
against a live server named by ``HERON_BASE_URL``, and by ``WANDB_BASE_URL``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import heron
from heron.settings import Settings
from tests.e2e._util import run_path, run_script
from tests.helpers.live_server import LiveServer

pytestmark = pytest.mark.timeout(120)

TRAIN_STEPS = [s for s in range(33) if s not in (10, 21, 32)]
EPOCH_STEPS = [10, 21, 32]


def check_compat_run(api: heron.Api, path: str) -> None:
    run = api.run(path)
    assert run.state == "finished"
    assert run.name == "compat-run"
    assert sorted(run.tags) == ["compat", "e2e"]
    assert run.notes == "runs unchanged under heron"
    assert run.config == {
        "lr": 0.01,
        "epochs": 3,
        "batch_size": 32,
        "model": {"layers": 2},
        "optimizer": "adam",
        "dropout": 0.1,
    }

    # log() without step: one row per call; commit=False joins the next call's row.
    loss_rows = list(run.scan_history(keys=["train/loss"]))
    assert [r["_step"] for r in loss_rows] == TRAIN_STEPS
    losses = [r["train/loss"] for r in loss_rows]
    assert losses[:-1] == pytest.approx([1.0 / (1 + n) for n in range(29)])
    assert losses[-1] == pytest.approx(1.0 / 30 + 0.5)
    epoch_rows = list(run.scan_history(keys=["val/acc", "epoch", "train/epoch_time"]))
    assert [r["_step"] for r in epoch_rows] == EPOCH_STEPS
    assert [r["epoch"] for r in epoch_rows] == [0, 1, 2]
    assert [r["val/acc"] for r in epoch_rows] == pytest.approx([0.5, 0.6, 0.7])
    # log(step=...) jumps ahead.
    assert [r["_step"] for r in run.scan_history(keys=["final/score"])] == [100]
    assert run.lastHistoryStep == 100
    sampled = run.history(samples=500, keys=["train/lr"], pandas=False)
    assert len(sampled) == 30
    assert sampled[-1]["train/lr"] == pytest.approx(0.01 * math.exp(-0.2))

    # summary: last values, define_metric aggregates, explicit assignments.
    summary = run.summary
    assert summary["train/loss"] == {"min": pytest.approx(1.0 / 29)}
    assert summary["val/acc"] == pytest.approx(0.7)
    assert summary["final/score"] == 0.9
    assert summary["best_acc"] == 0.7
    assert summary["completed"] is True
    assert run.info.metrics["val/*"]["step_metric"] == "epoch"

    # Context capture: metadata and run files.
    assert run.metadata["python"]
    assert run.metadata["program"].endswith("train_compat.py")
    names = {f.name for f in run.files()}
    assert {"output.log", "requirements.txt"} <= names
    log = run.file("output.log").read_bytes().decode()
    assert "epoch 0 done\n" in log and "epoch 2 done\n" in log
    assert "epoch 1: 10/10\n" in log and "epoch 1: 9/10" not in log  # \r collapsed


def test_embedded(tmp_path: Path) -> None:
    stdout = run_script("train_compat.py", cwd=tmp_path)
    with heron.Api() as api:
        check_compat_run(api, run_path(stdout))


@pytest.mark.slow
@pytest.mark.parametrize("variable", ["HERON_BASE_URL", "WANDB_BASE_URL"])
def test_against_a_live_server(tmp_path: Path, variable: str) -> None:
    with LiveServer(tmp_path / "server") as server:
        stdout = run_script("train_compat.py", cwd=tmp_path, **{variable: server.base_url})
        with heron.Api(settings=Settings.from_env(base_url=server.base_url)) as api:
            check_compat_run(api, run_path(stdout))
    # Nothing went to the embedded store of the client.
    assert not (tmp_path / "heron-home" / "heron.db").exists()
