"""``heron.plot``: wandb's preset charts, each a Vega-Lite v5 spec over a logged table.

>>> table = heron.Table(data=[[x, x * x] for x in range(10)], columns=["x", "y"])  # doctest: +SKIP
>>> run.log({"squares": heron.plot.line(table, "x", "y", title="x²")})           # doctest: +SKIP
>>> run.log({"roc": heron.plot.roc_curve(y_true, y_probas, labels=names)})       # doctest: +SKIP

Every function returns a :class:`Plot`, logged as ``{"_type": "plot", "title",
"spec", "table"}``: ``spec`` is a Vega-Lite v5 spec whose data is
``{"name": "table"}`` and ``table`` the stub of the logged :class:`Table`
holding the points, so the chart can be redrawn, re-styled or exported from
its data. The curves (ROC, precision-recall, the confusion matrix) are
computed here with numpy; scikit-learn is not needed. ``split_table`` is
accepted for wandb compatibility: the table is always logged with the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from heron.data_types.base import Media, MediaSink
from heron.data_types.table import Table
from heron.errors import InvalidValueError, UsageError

__all__ = [
    "Plot",
    "bar",
    "confusion_matrix",
    "histogram",
    "line",
    "line_series",
    "pr_curve",
    "roc_curve",
    "scatter",
]

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MAX_CURVE_POINTS = 1000
"""A ROC curve keeps at most this many points per class (evenly spread, ends kept)."""


class Plot(Media):
    """A chart: a Vega-Lite v5 spec drawn from the rows of ``table``."""

    _type: ClassVar[str] = "plot"

    def __init__(self, table: Table, spec: dict[str, Any], title: str | None = None) -> None:
        if not isinstance(table, Table):
            raise UsageError(f"a plot needs a heron.Table, not {type(table).__name__}")
        self.table, self.spec, self.title = table, spec, title

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        return {
            "_type": self._type,
            "title": self.title,
            "spec": self.spec,
            "table": self.table._heron_serialize(sink, key),
        }

    def __repr__(self) -> str:
        return f"<heron.plot.Plot {self.title!r} over {self.table!r}>"


# ---------------------------------------------------------------------- specs


def _field(name: str) -> str:
    """A column name as a Vega-Lite field: dots and brackets would mean nested access."""
    return name.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def _channel(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"field": _field(name), "type": kind, "title": name, **extra}


def _spec(title: str | None, mark: Any, encoding: dict[str, Any], **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "data": {"name": "table"},
        "mark": mark,
        "encoding": encoding,
        **extra,
    }
    if title:
        spec["title"] = title
    return spec


def _check_columns(table: Any, *names: str | None) -> None:
    if not isinstance(table, Table):
        raise UsageError(f"the first argument must be a heron.Table, not {type(table).__name__}")
    for name in names:
        if name is not None and name not in table.columns:
            raise UsageError(f"the table has no column {name!r}; its columns are {table.columns}")


# ---------------------------------------------------------------------- table charts


def line(
    table: Table,
    x: str,
    y: str,
    stroke: str | None = None,
    title: str | None = None,
    split_table: bool = False,
) -> Plot:
    """A line of ``y`` over ``x``; one line per value of the ``stroke`` column, if given."""
    _check_columns(table, x, y, stroke)
    encoding = {"x": _channel(x, "quantitative"), "y": _channel(y, "quantitative")}
    if stroke is not None:
        encoding["color"] = _channel(stroke, "nominal")
    return Plot(table, _spec(title, {"type": "line", "interpolate": "linear"}, encoding), title)


def scatter(
    table: Table, x: str, y: str, title: str | None = None, split_table: bool = False
) -> Plot:
    """A point for each row at (``x``, ``y``)."""
    _check_columns(table, x, y)
    encoding = {"x": _channel(x, "quantitative"), "y": _channel(y, "quantitative")}
    return Plot(table, _spec(title, {"type": "point"}, encoding), title)


def bar(
    table: Table, label: str, value: str, title: str | None = None, split_table: bool = False
) -> Plot:
    """A horizontal bar of length ``value`` for each row, named by ``label`` (as wandb draws it)."""
    _check_columns(table, label, value)
    encoding = {
        "y": _channel(label, "nominal", sort=None),
        "x": _channel(value, "quantitative"),
    }
    return Plot(table, _spec(title, {"type": "bar"}, encoding), title)


def histogram(
    table: Table, value: str, title: str | None = None, split_table: bool = False
) -> Plot:
    """The distribution of the ``value`` column, binned."""
    _check_columns(table, value)
    encoding = {
        "x": _channel(value, "quantitative", bin={"maxbins": 30}),
        "y": {"aggregate": "count", "type": "quantitative", "title": "count"},
    }
    return Plot(table, _spec(title, {"type": "bar"}, encoding), title)


def line_series(
    xs: Sequence[Any],
    ys: Sequence[Sequence[Any]],
    keys: Sequence[str] | None = None,
    title: str | None = None,
    xname: str = "x",
    split_table: bool = False,
) -> Plot:
    """Several lines on one chart: ``ys[i]`` over ``xs`` (or ``xs[i]``), named ``keys[i]``.

    ``xs`` is one list of x values shared by every line, or one list per
    line. The table has columns ``step``, ``lineKey`` and ``lineVal``, as wandb's.
    """
    ys = [list(_values(series)) for series in _values(ys)]
    if not ys or not all(isinstance(v, list) for v in ys):
        raise UsageError("ys must be a list of lists of y values, one list per line")
    xs = list(_values(xs))
    per_line = bool(xs) and all(_is_sequence(x) for x in xs)
    xs_list = [list(_values(x)) for x in xs] if per_line else [xs] * len(ys)
    if len(xs_list) != len(ys):
        raise UsageError(f"xs has {len(xs_list)} lists for {len(ys)} lines in ys")
    names = [f"key_{i}" for i in range(len(ys))] if keys is None else [str(k) for k in keys]
    if len(names) != len(ys):
        raise UsageError(f"keys has {len(names)} names for {len(ys)} lines in ys")
    table = Table(columns=["step", "lineKey", "lineVal"])
    for name, line_xs, line_ys in zip(names, xs_list, ys, strict=True):
        if len(line_xs) != len(line_ys):
            raise UsageError(f"line {name!r} has {len(line_ys)} y values for {len(line_xs)} xs")
        for x, y in zip(line_xs, line_ys, strict=True):
            table.add_data(x, name, y)
    encoding = {
        "x": _channel("step", "quantitative", title=xname),
        "y": _channel("lineVal", "quantitative", title="y"),
        "color": _channel("lineKey", "nominal", title="key"),
    }
    return Plot(table, _spec(title, {"type": "line"}, encoding), title)


def _values(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) >= 1


# ---------------------------------------------------------------------- classifier charts


def confusion_matrix(
    probs: Any = None,
    y_true: Any = None,
    preds: Any = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    split_table: bool = False,
) -> Plot:
    """Counts of (actual, predicted) class pairs; ``probs`` (n, classes) stand in for ``preds``.

    With ``class_names``, classes are the indexes ``0 .. len(class_names) - 1``;
    without, they are the sorted values seen in ``y_true`` and the predictions,
    named ``Class_1``, ``Class_2``, … as wandb names them.
    """
    import numpy as np

    if (probs is None) == (preds is None):
        raise UsageError("give confusion_matrix either probs or preds (not both)")
    if y_true is None:
        raise UsageError("confusion_matrix needs y_true, the true class of each example")
    truth = np.asarray(y_true).ravel().tolist()
    if probs is not None:
        scores = np.asarray(probs)
        if scores.ndim != 2:
            raise InvalidValueError("probs must be 2-D: one row of class scores per example")
        predicted = np.argmax(scores, axis=1).tolist()
    else:
        predicted = np.asarray(preds).ravel().tolist()
    if len(predicted) != len(truth):
        raise InvalidValueError(f"{len(predicted)} predictions for {len(truth)} true labels")
    if class_names is not None:
        names = [str(n) for n in class_names]
        order = list(range(len(names)))
        outside = sorted({v for v in truth + predicted if v not in set(order)}, key=str)
        if outside:
            raise InvalidValueError(
                f"class indexes {outside[:5]} are outside class_names (0..{len(names) - 1})"
            )
    else:
        order = sorted(set(truth) | set(predicted))
        names = [f"Class_{i + 1}" for i in range(len(order))]
    index = {value: i for i, value in enumerate(order)}
    n = len(order)
    pairs = np.array([index[t] * n + index[p] for t, p in zip(truth, predicted, strict=True)])
    counts = np.bincount(pairs, minlength=n * n) if len(pairs) else np.zeros(n * n, dtype=int)
    table = Table(columns=["Actual", "Predicted", "nPredictions"])
    for i in range(n):
        for j in range(n):
            table.add_data(names[i], names[j], int(counts[i * n + j]))
    axis = {"sort": names}
    encoding = {
        "x": _channel("Predicted", "nominal", **axis),
        "y": _channel("Actual", "nominal", **axis),
    }
    layers = [
        {
            "mark": {"type": "rect"},
            "encoding": {"color": _channel("nPredictions", "quantitative", title="count")},
        },
        {
            "mark": {"type": "text"},
            "encoding": {"text": _channel("nPredictions", "quantitative")},
        },
    ]
    spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "data": {"name": "table"},
        "encoding": encoding,
        "layer": layers,
    }
    title = "Confusion Matrix" if title is None else title
    if title:
        spec["title"] = title
    return Plot(table, spec, title)


def _classes(
    y_true: Any, y_probas: Any, labels: Sequence[Any] | None, classes_to_plot: Any
) -> tuple[Any, Any, list[tuple[int, Any, str]]]:
    """(truth, scores, [(score column, class value, label)]) for a one-vs-rest curve.

    Column ``i`` of ``y_probas`` scores the ``i``-th of the sorted classes in
    ``y_true`` (for classes ``0..k-1``, column ``c`` scores class ``c``), as in wandb.
    """
    import numpy as np

    truth = np.asarray(y_true).ravel()
    scores = np.asarray(y_probas, dtype=float)
    if scores.ndim == 1:  # one score per example: the positive class's probability
        scores = np.stack([1 - scores, scores], axis=1)
    if scores.ndim != 2 or len(scores) != len(truth):
        raise InvalidValueError(
            f"y_probas must be (examples, classes) with one row per label; got shape"
            f" {scores.shape} for {len(truth)} labels"
        )
    classes = np.unique(truth)
    if len(classes) > scores.shape[1]:
        raise InvalidValueError(
            f"y_true has {len(classes)} classes but y_probas scores {scores.shape[1]}"
        )
    wanted = classes if classes_to_plot is None else np.asarray(classes_to_plot).ravel()
    picked = []
    for i, value in enumerate(classes.tolist()):
        if value not in wanted.tolist():
            continue
        if labels is None:
            label = str(value)
        elif isinstance(value, int) and 0 <= value < len(labels):
            label = str(labels[value])
        else:
            label = str(labels[i])
        picked.append((i, value, label))
    if not picked:
        raise UsageError(f"classes_to_plot names none of the classes in y_true {classes.tolist()}")
    return truth, scores, picked


def _ranked(positive: Any, score: Any) -> tuple[Any, Any]:
    """True and false positives when the threshold is at each distinct score, high to low."""
    import numpy as np

    order = np.argsort(-score, kind="stable")
    score, positive = score[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]  # end of each run of ties
    tps = np.cumsum(positive)[last]
    fps = (last + 1) - tps
    return tps.astype(float), fps.astype(float)


def _thin(*columns: Any, limit: int = MAX_CURVE_POINTS) -> list[Any]:
    import numpy as np

    n = len(columns[0])
    if n <= limit:
        return list(columns)
    keep = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return [c[keep] for c in columns]


def roc_curve(
    y_true: Any,
    y_probas: Any,
    labels: Sequence[Any] | None = None,
    classes_to_plot: Any = None,
    title: str | None = None,
    split_table: bool = False,
) -> Plot:
    """One-vs-rest ROC curves (true against false positive rate), one per class.

    The table has columns ``class``, ``fpr`` and ``tpr``; each curve starts at (0, 0).
    """
    import numpy as np

    truth, scores, picked = _classes(y_true, y_probas, labels, classes_to_plot)
    table = Table(columns=["class", "fpr", "tpr"])
    for column, value, label in picked:
        positive = truth == value
        tps, fps = _ranked(positive, scores[:, column])
        pos, neg = max(int(positive.sum()), 1), max(int((~positive).sum()), 1)
        fpr, tpr = _thin(np.r_[0.0, fps / neg], np.r_[0.0, tps / pos])
        for f, t in zip(fpr.tolist(), tpr.tolist(), strict=True):
            table.add_data(label, f, t)
    encoding = {
        "x": _channel("fpr", "quantitative", title="False positive rate"),
        "y": _channel("tpr", "quantitative", title="True positive rate"),
        "color": _channel("class", "nominal"),
    }
    title = "ROC" if title is None else title
    return Plot(table, _spec(title, {"type": "line"}, encoding), title)


def pr_curve(
    y_true: Any,
    y_probas: Any,
    labels: Sequence[Any] | None = None,
    classes_to_plot: Any = None,
    interp_size: int = 21,
    title: str | None = None,
    split_table: bool = False,
) -> Plot:
    """One-vs-rest precision-recall curves at ``interp_size`` recall levels from 0 to 1.

    Precision at a recall level is the best precision at that recall or more
    (the usual interpolation, which makes each curve non-increasing). The
    table has columns ``class``, ``recall`` and ``precision``.
    """
    import numpy as np

    if not isinstance(interp_size, int) or interp_size < 2:
        raise UsageError("interp_size must be an int of at least 2")
    truth, scores, picked = _classes(y_true, y_probas, labels, classes_to_plot)
    levels = np.linspace(0.0, 1.0, interp_size)
    table = Table(columns=["class", "recall", "precision"])
    for column, value, label in picked:
        positive = truth == value
        tps, fps = _ranked(positive, scores[:, column])
        recall = np.r_[0.0, tps / max(int(positive.sum()), 1)]
        precision = np.r_[1.0, tps / np.maximum(tps + fps, 1)]
        best_after = np.maximum.accumulate(precision[::-1])[::-1]
        at = np.searchsorted(recall, levels, side="left")  # first point reaching each level
        inside = at < len(recall)
        interp = np.where(inside, best_after[np.minimum(at, len(recall) - 1)], 0.0)
        for r, p in zip(levels.tolist(), interp.tolist(), strict=True):
            table.add_data(label, r, p)
    encoding = {
        "x": _channel("recall", "quantitative", title="Recall"),
        "y": _channel("precision", "quantitative", title="Precision"),
        "color": _channel("class", "nominal"),
    }
    title = "Precision-Recall" if title is None else title
    return Plot(table, _spec(title, {"type": "line"}, encoding), title)
