"""heron.plot: wandb's preset charts as Vega-Lite specs over logged tables, and their numbers."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import heron
from heron.api import Api
from heron.data_types import MemorySink, Table
from heron.data_types.plot import VEGA_LITE_SCHEMA, Plot
from heron.errors import InvalidValueError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings

Y_TRUE = [0, 0, 1, 1]
Y_PROBAS = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]]  # sklearn's classic example


def points() -> Table:
    return Table(
        columns=["x", "y", "group", "name"],
        data=[[1, 1.0, "a", "p"], [2, 4.0, "a", "q"], [3, 9.0, "b", "r.s"]],
    )


def all_plots() -> dict[str, Plot]:
    return {
        "line": heron.plot.line(points(), "x", "y", stroke="group", title="squares"),
        "scatter": heron.plot.scatter(points(), "x", "y"),
        "bar": heron.plot.bar(points(), "name", "y", title="bars"),
        "histogram": heron.plot.histogram(points(), "y"),
        "series": heron.plot.line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]], keys=["up", "down"]),
        "confusion": heron.plot.confusion_matrix(
            y_true=[0, 1, 2, 2], preds=[0, 2, 2, 1], class_names=["a", "b", "c"]
        ),
        "roc": heron.plot.roc_curve(Y_TRUE, Y_PROBAS, labels=["neg", "pos"]),
        "pr": heron.plot.pr_curve(Y_TRUE, Y_PROBAS, classes_to_plot=[1], interp_size=5),
    }


def test_every_plot_logs_its_spec_and_table_and_reads_back(
    online_client: Client, online: Settings
) -> None:
    plots = all_plots()
    run = online_client.init(project="plots")
    run.log(dict(plots))
    run.finish()
    (row,) = online_client.store(online).read_history(run._key, keys=sorted(plots))
    api = Api(settings=online)
    try:
        remote = api.run(f"{run.entity}/{run.project}/{run.id}")
        for key, plot in plots.items():
            stub = row[key]
            assert stub["_type"] == "plot"
            assert stub["title"] == plot.title
            assert stub["spec"] == plot.spec
            assert stub["spec"]["$schema"] == VEGA_LITE_SCHEMA
            assert stub["spec"]["data"] == {"name": "table"}
            assert stub["table"]["_type"] == "table-file"
            assert stub["table"]["columns"] == plot.table.columns
            assert remote.table(key) == plot.table, key
    finally:
        api.close()


def fields(spec: dict[str, Any]) -> dict[str, Any]:
    return {name: channel.get("field") for name, channel in spec["encoding"].items()}


def test_table_charts() -> None:
    plots = all_plots()
    assert plots["line"].spec["mark"]["type"] == "line"
    assert fields(plots["line"].spec) == {"x": "x", "y": "y", "color": "group"}
    assert plots["line"].spec["title"] == "squares"
    assert plots["scatter"].spec["mark"] == {"type": "point"}
    assert "title" not in plots["scatter"].spec
    assert fields(plots["bar"].spec) == {"y": "name", "x": "y"}
    assert plots["histogram"].spec["encoding"]["x"]["bin"] == {"maxbins": 30}
    dotted = heron.plot.scatter(points(), "x", "name").spec["encoding"]["y"]
    assert dotted["field"] == "name" and dotted["title"] == "name"
    escaped = Table(columns=["a.b", "c[0]"], data=[[1, 2]])
    spec = heron.plot.scatter(escaped, "a.b", "c[0]").spec
    assert fields(spec) == {"x": "a\\.b", "y": "c\\[0\\]"}  # not nested field access
    with pytest.raises(UsageError, match="no column 'z'"):
        heron.plot.line(points(), "x", "z")
    with pytest.raises(UsageError, match=r"must be a heron\.Table"):
        heron.plot.scatter([[1, 2]], "x", "y")  # type: ignore[arg-type]


def test_line_series() -> None:
    plot = all_plots()["series"]
    assert plot.table.data == [
        [0, "up", 1],
        [1, "up", 2],
        [2, "up", 3],
        [0, "down", 3],
        [1, "down", 2],
        [2, "down", 1],
    ]
    own_xs = heron.plot.line_series([[0, 1], [5]], [[1, 2], [3]], xname="epoch")
    assert own_xs.table.data == [[0, "key_0", 1], [1, "key_0", 2], [5, "key_1", 3]]
    assert own_xs.spec["encoding"]["x"]["title"] == "epoch"
    with pytest.raises(UsageError, match="keys has 1 names for 2 lines"):
        heron.plot.line_series([0], [[1], [2]], keys=["only"])
    with pytest.raises(UsageError, match="has 1 y values for 2 xs"):
        heron.plot.line_series([0, 1], [[1]])


def test_confusion_matrix_counts_pairs() -> None:
    plot = all_plots()["confusion"]
    counts = {(a, p): n for a, p, n in plot.table.data}
    assert len(counts) == 9
    assert {k: n for k, n in counts.items() if n} == {
        ("a", "a"): 1,
        ("b", "c"): 1,
        ("c", "c"): 1,
        ("c", "b"): 1,
    }
    from_probs = heron.plot.confusion_matrix(probs=Y_PROBAS, y_true=Y_TRUE)
    assert from_probs.table.data == [
        ["Class_1", "Class_1", 2],
        ["Class_1", "Class_2", 0],
        ["Class_2", "Class_1", 1],
        ["Class_2", "Class_2", 1],
    ]
    assert from_probs.title == "Confusion Matrix"
    with pytest.raises(UsageError, match="either probs or preds"):
        heron.plot.confusion_matrix(y_true=[0])
    with pytest.raises(InvalidValueError, match=r"class indexes \[5\] are outside"):
        heron.plot.confusion_matrix(y_true=[0, 5], preds=[0, 0], class_names=["a", "b"])
    with pytest.raises(InvalidValueError, match="2 predictions for 1 true labels"):
        heron.plot.confusion_matrix(y_true=[0], preds=[0, 1])


def test_roc_curve_matches_the_hand_computed_one() -> None:
    plot = all_plots()["roc"]
    by_class: dict[str, list[tuple[float, float]]] = {}
    for label, fpr, tpr in plot.table.data:
        by_class.setdefault(label, []).append((fpr, tpr))
    curve = [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
    assert by_class == {"neg": curve, "pos": curve}
    assert plot.title == "ROC"
    only = heron.plot.roc_curve(["x", "y", "y"], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]], None, ["y"])
    assert {row[0] for row in only.table.data} == {"y"}
    assert only.table.data[-1][1:] == [1.0, 1.0]
    with pytest.raises(UsageError, match="names none of the classes"):
        heron.plot.roc_curve(Y_TRUE, Y_PROBAS, classes_to_plot=[7])
    with pytest.raises(InvalidValueError, match="y_probas must be"):
        heron.plot.roc_curve(Y_TRUE, [[0.1, 0.9]])


def test_roc_curves_of_many_examples_are_thinned() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 50_000)
    scores = np.clip(truth * 0.3 + rng.random(50_000) * 0.7, 0, 1)
    plot = heron.plot.roc_curve(truth, np.stack([1 - scores, scores], axis=1))
    rows = [r for r in plot.table.data if r[0] == "1"]
    assert len(rows) <= 1000
    assert rows[0][1:] == [0.0, 0.0] and rows[-1][1:] == [1.0, 1.0]
    assert all(a[2] <= b[2] for a, b in itertools.pairwise(rows))


def test_pr_curve_interpolates_precision_at_recall_levels() -> None:
    plot = all_plots()["pr"]
    assert plot.table.columns == ["class", "recall", "precision"]
    assert plot.table.data == [
        ["1", 0.0, 1.0],
        ["1", 0.25, 1.0],
        ["1", 0.5, 1.0],
        ["1", 0.75, pytest.approx(2 / 3)],
        ["1", 1.0, pytest.approx(2 / 3)],
    ]
    with pytest.raises(UsageError, match="interp_size must be"):
        heron.plot.pr_curve(Y_TRUE, Y_PROBAS, interp_size=1)


def test_plots_need_a_table_and_keep_it_in_the_stub() -> None:
    with pytest.raises(UsageError, match=r"needs a heron\.Table"):
        Plot("not a table", {})  # type: ignore[arg-type]
    sink = MemorySink()
    stub = all_plots()["scatter"].to_stub(sink, "chart")
    assert stub["table"]["path"] in sink.files
    assert stub["table"]["path"].startswith("media/tables/chart_")
