"""api.run(): attributes, history, scan_history, files, update and delete."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from heron.errors import NotFoundError, UsageError
from tests.api.conftest import T0, make_run, steps


def test_attributes(api: Any, project: str) -> None:
    make_run(
        api,
        project,
        "abc123",
        name="bright-river-1",
        config={"lr": 0.01, "layers": [64, 32]},
        summary={"loss": 0.1, "acc": {"max": 0.9}},
        tags=["a", "b"],
        rows=steps(5),
        metadata={"python": "3.11"},
    )
    run = api.run(f"alice/{project}/abc123")
    assert (run.id, run.name, run.display_name) == ("abc123", "bright-river-1", "bright-river-1")
    assert (run.entity, run.project, run.path) == ("alice", project, ["alice", project, "abc123"])
    assert run.state == "finished"
    assert run.config == {"lr": 0.01, "layers": [64, 32]}
    assert run.summary == {"loss": 0.1, "acc": {"max": 0.9}}
    assert run.summary_metrics is run.summary
    assert run.tags == ["a", "b"]
    assert run.lastHistoryStep == 4
    assert run.metadata == {"python": "3.11"}
    assert run.created_at == "2023-11-14T22:13:20"
    assert run.info.created_at == T0
    if api.settings.base_url:
        assert run.url == f"{api.settings.base_url}/alice/{project}/runs/abc123"
    else:
        assert run.url == f"{api.settings.resolved_database_url}#alice/{project}/abc123"
    assert repr(run) == f"<Run alice/{project}/abc123 (finished)>"


def test_history_is_a_dataframe_with_the_step_columns(api: Any, project: str) -> None:
    rows = steps(20)
    for row in rows[::2]:
        row["acc"] = row["_step"] / 100
    rows[7]["loss"] = math.nan
    make_run(api, project, "h1", rows=rows)
    run = api.run(f"alice/{project}/h1")

    df = run.history()
    assert list(df.columns[:1]) == ["_step"]
    assert {"_step", "_runtime", "_timestamp", "loss", "acc"} <= set(df.columns)
    assert df["_step"].tolist() == list(range(20))
    assert math.isnan(df.loc[df["_step"] == 7, "loss"].item())  # NaN comes back as NaN
    assert df["_timestamp"].iloc[3] == T0 + 3

    sampled = run.history(samples=5)
    assert len(sampled) == 5
    assert sampled["_step"].iloc[0] == 0 and sampled["_step"].iloc[-1] == 19

    only_acc = run.history(keys=["acc"])  # only rows that have every key
    assert only_acc["_step"].tolist() == list(range(0, 20, 2))
    assert set(only_acc.columns) == {"_step", "acc"}

    by_runtime = run.history(keys=["loss"], x_axis="_runtime", pandas=False)
    assert isinstance(by_runtime, list)
    assert all("_runtime" in r and "loss" in r for r in by_runtime)
    assert len(by_runtime) == 20

    with pytest.raises(UsageError, match="list of key names"):
        run.history(keys="loss")
    with pytest.raises(UsageError, match="stream"):
        run.history(stream="nope")


def test_system_stream(api: Any, project: str) -> None:
    system = [
        {"_step": i, "_runtime": 15.0 * i, "_timestamp": T0 + 15 * i, "system/cpu": 10.0 + i}
        for i in range(3)
    ]
    make_run(api, project, "s1", rows=steps(2), system_rows=system)
    run = api.run(f"alice/{project}/s1")
    df = run.history(stream="system")
    assert df["system/cpu"].tolist() == [10.0, 11.0, 12.0]
    assert "loss" not in df.columns
    assert run.system_metrics["system/cpu"] == 12.0
    assert "system/cpu" in run.history_keys(stream="system")
    assert "loss" in run.history_keys()


def test_scan_history_keys_and_steps(api: Any, project: str) -> None:
    rows = steps(25)
    for row in rows[::5]:
        row["val/acc"] = 0.5
    make_run(api, project, "scan", rows=rows)
    run = api.run(f"alice/{project}/scan")

    every = list(run.scan_history(page_size=4))
    assert [r["_step"] for r in every] == list(range(25))
    assert every[5]["val/acc"] == 0.5 and "val/acc" not in every[6]

    both = list(run.scan_history(keys=["loss", "val/acc"], page_size=2))
    assert [r["_step"] for r in both] == [0, 5, 10, 15, 20]
    assert all(set(r) == {"_step", "loss", "val/acc"} for r in both)

    window = list(run.scan_history(keys=["loss"], min_step=10, max_step=13))
    assert [r["_step"] for r in window] == [10, 11, 12]

    with pytest.raises(UsageError, match="page_size"):
        run.scan_history(page_size=0)


def test_files_and_download(api: Any, project: str, tmp_path: Path) -> None:
    files = {"config.yaml": b"lr: 0.01\n", "media/plot.txt": b"\x00\x01binary"}
    make_run(api, project, "f1", files=files)
    run = api.run(f"alice/{project}/f1")

    listed = run.files()
    assert [f.name for f in listed] == ["config.yaml", "media/plot.txt"]
    assert [f.size for f in listed] == [9, 8]
    assert [f.name for f in run.files(names=["media/plot.txt"])] == ["media/plot.txt"]

    f = run.file("config.yaml")
    with f.download(root=tmp_path) as fh:
        assert fh.read() == "lr: 0.01\n"
    assert (tmp_path / "config.yaml").read_bytes() == b"lr: 0.01\n"
    run.file("media/plot.txt").download(root=tmp_path).close()
    assert (tmp_path / "media" / "plot.txt").read_bytes() == files["media/plot.txt"]
    assert f.read_bytes() == b"lr: 0.01\n"

    (tmp_path / "config.yaml").write_text("edited\n")
    with pytest.raises(UsageError, match="replace=True"):
        f.download(root=tmp_path)
    with f.download(root=tmp_path, exist_ok=True) as fh:
        assert fh.read() == "edited\n"
    f.download(root=tmp_path, replace=True).close()
    assert (tmp_path / "config.yaml").read_text() == "lr: 0.01\n"

    with pytest.raises(NotFoundError):
        run.file("nope.txt")


def test_update_saves_edits(api: Any, project: str) -> None:
    make_run(api, project, "u1", name="old", config={"lr": 0.1}, summary={"acc": 0.5}, tags=["x"])
    run = api.run(f"alice/{project}/u1")
    run.name = "new-name"
    run.tags.append("reviewed")
    run.notes = "looks good"
    run.group = "g1"
    run.job_type = "eval"
    run.config["batch"] = 32
    run.summary["acc"] = 0.75
    run.update()

    again = api.run(f"alice/{project}/u1")
    assert again.name == "new-name"
    assert again.tags == ["x", "reviewed"]
    assert (again.notes, again.group, again.job_type) == ("looks good", "g1", "eval")
    assert again.config == {"lr": 0.1, "batch": 32}
    assert again.summary["acc"] == 0.75

    run.name = "unsaved"
    run.load()
    assert run.name == "new-name"
    assert run.refresh() is run

    run.tags = "not-a-list"  # type: ignore[assignment]
    with pytest.raises(UsageError, match="tags"):
        run.update()


def test_delete(api: Any, project: str) -> None:
    make_run(api, project, "d1", rows=steps(3))
    make_run(api, project, "d2")
    api.run(f"alice/{project}/d1").delete()
    with pytest.raises(NotFoundError):
        api.run(f"alice/{project}/d1")
    assert [r.id for r in api.runs(f"alice/{project}")] == ["d2"]


def test_running_run(api: Any, project: str) -> None:
    make_run(api, project, "live", rows=steps(3), state=None)
    run = api.run(f"alice/{project}/live")
    assert run.state == "running"
    assert run.ended_at is None
