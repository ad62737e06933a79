"""run.summary and define_metric."""

from __future__ import annotations

import math

import pytest

from heron.errors import UsageError
from heron.sdk.client import Client

from .conftest import history, log_records


def test_last_value_by_default_and_explicit_override(client: Client) -> None:
    run = client.init(project="sum")
    run.log({"loss": 1.0, "acc": 0.1})
    run.log({"loss": 0.5})
    assert run.summary["loss"] == 0.5 and run.summary.acc == 0.1
    run.summary["acc"] = 0.99
    run.summary.update({"best_epoch": 3})
    assert run.summary["acc"] == 0.99 and run.summary.get("best_epoch") == 3
    run.finish()
    final = log_records(run, "summary")[-1]["summary"]
    assert final["loss"] == 0.5 and final["acc"] == 0.99 and final["best_epoch"] == 3
    assert final["_step"] == 1


def test_define_metric_aggregates_nested_like_wandb(client: Client) -> None:
    run = client.init(project="sum")
    run.define_metric("loss", summary="min,max,mean,first,last")
    run.define_metric("acc", summary="best", goal="maximize")
    run.define_metric("debug/*", summary="none")
    for loss, acc in [(3.0, 0.2), (1.0, 0.9), (2.0, 0.5)]:
        run.log({"loss": loss, "acc": acc, "debug/x": 1})
    assert run.summary["loss"] == {"min": 1.0, "max": 3.0, "mean": 2.0, "first": 3.0, "last": 2.0}
    assert run.summary["acc"] == {"best": 0.9}
    assert "debug/x" not in run.summary
    run.finish()
    metrics = [r["metric"] for r in log_records(run, "metric")]
    assert [m["name"] for m in metrics] == ["loss", "acc", "debug/*"]
    assert metrics[1]["goal"] == "maximize" and metrics[1]["summary"] == ["best"]


def test_nan_does_not_poison_min_max(client: Client) -> None:
    run = client.init(project="sum")
    run.define_metric("loss", summary="min,max")
    for value in [2.0, math.nan, 1.0]:
        run.log({"loss": value})
    assert run.summary["loss"] == {"min": 1.0, "max": 2.0}


def test_step_metric_is_synced_into_rows(client: Client) -> None:
    run = client.init(project="sum")
    run.define_metric("epoch")
    run.define_metric("val/*", step_metric="epoch")
    run.log({"epoch": 1})
    run.log({"val/loss": 0.5})
    run.finish()
    assert history(run)[1] == {"val/loss": 0.5, "epoch": 1, "_step": 1}
    (m,) = [r["metric"] for r in log_records(run, "metric") if r["metric"]["name"] == "val/*"]
    assert m["step_metric"] == "epoch" and m["step_sync"] is True


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": ""}, "define_metric name"),
        ({"name": "a*b"}, "define_metric name"),
        ({"name": "x", "summary": "median"}, "unknown summary 'median'"),
        ({"name": "x", "summary": "best"}, "needs goal"),
        ({"name": "x", "goal": "up"}, "goal must be"),
    ],
)
def test_define_metric_mistakes(client: Client, kwargs: dict[str, str], match: str) -> None:
    run = client.init(project="sum")
    with pytest.raises(UsageError, match=match):
        run.define_metric(**kwargs)


def test_summary_snapshots_are_coalesced(client: Client) -> None:
    run = client.init(project="sum")
    for i in range(500):
        run.log({"x": i})
    run.finish()
    snapshots = log_records(run, "summary")
    assert 1 <= len(snapshots) <= 3
    assert snapshots[-1]["summary"]["x"] == 499
