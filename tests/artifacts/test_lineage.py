"""Lineage: which run logged a version, which runs used it, and the graph around it."""

from __future__ import annotations

from pathlib import Path

import pytest

import heron
from heron.api import Api
from heron.sdk.client import Client
from heron.settings import Settings


def test_logged_by_used_by_and_the_lineage_graph(
    online_client: Client, online: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # use_model downloads into ./artifacts
    prep = online_client.init(project="lin", job_type="prep")
    data = heron.Artifact("digits", "dataset")
    with data.new_file("rows.csv") as f:
        f.write("x,y\n1,2\n")
    prep.log_artifact(data)
    prep.finish()

    train = online_client.init(project="lin", job_type="train")
    train.use_artifact(f"{train.entity}/lin/digits:latest", type="dataset")
    model = tmp_path / "model.pt"
    model.write_bytes(b"m")
    train.log_model(model, name="cnn")
    train.finish()

    evaluate = online_client.init(project="lin", job_type="eval")
    evaluate.use_model("cnn:latest")
    evaluate.finish()

    api = Api(settings=online)
    digits = api.artifact(f"{prep.entity}/lin/digits:v0")
    logged_by = digits.logged_by()
    assert logged_by is not None and logged_by.id == prep.id
    assert [r.id for r in digits.used_by()] == [train.id]

    api_train = api.run(f"{train.entity}/lin/{train.id}")
    assert [a.qualified_name for a in api_train.used_artifacts()] == [digits.qualified_name]
    assert [a.name for a in api_train.logged_artifacts()] == ["cnn"]

    graph = digits.lineage(depth=4, direction="downstream")
    assert {a.name for a in graph.artifacts} == {"digits", "cnn"}
    assert set(graph.runs) == {train.path, evaluate.path}
    kinds = {(e.run.rsplit("/", 1)[1], e.kind, e.artifact.rsplit("/", 1)[1]) for e in graph.edges}
    assert kinds == {
        (train.id, "used", "digits:v0"),
        (train.id, "logged", "cnn:v0"),
        (evaluate.id, "used", "cnn:v0"),
    }
    upstream = api.artifact(f"{prep.entity}/lin/cnn:v0").lineage(direction="upstream")
    assert set(upstream.runs) == {train.path, prep.path}
    api.close()


def test_media_and_tables_go_in_as_stub_and_files(online_client: Client, tmp_path: Path) -> None:
    table = heron.Table(columns=["x", "label"], data=[[1, "a"], [2, "b"]])
    art = heron.Artifact("preds", "predictions")
    stub = art.add(table, "val")
    assert stub.path == "val.table.json"
    assert any(e.path.endswith(".parquet") for e in art.files())
    run = online_client.init(project="lin")
    run.log_artifact(art)
    root = Path(run.use_artifact("preds:v0").download(tmp_path / "out"))
    assert '"_type": "table-file"' in (root / "val.table.json").read_text()
    run.finish()
