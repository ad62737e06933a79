"""weave.EvaluationLogger: predictions and scores logged by hand make an evaluation's trace."""

from __future__ import annotations

import re
from typing import Any

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient


def calls_by_op(client: WeaveClient) -> dict[str, list[weave.Call]]:
    found: dict[str, list[weave.Call]] = {}
    for call in client.get_calls():
        found.setdefault(call.op_name, []).append(call)
    return found


def test_logged_predictions_make_an_evaluation_trace(client: WeaveClient) -> None:
    ev = weave.EvaluationLogger(model="summarizer", dataset="articles")
    for i in range(4):
        pred = ev.log_prediction(inputs={"article": f"text {i}"}, output={"words": i, "ok": i > 0})
        pred.log_score("correct", i % 2 == 0)
        pred.log_score(weave.scorers.LevenshteinScorer(), {"levenshtein_distance": i})
        pred.finish()
    ev.log_summary({"reviewer": "ada"})
    calls = calls_by_op(client)
    (root,) = calls["Evaluation.evaluate"]
    assert root.parent_id is None and root.exception is None
    assert root.inputs["self"].startswith(
        f"weave:///{client.project_id}/object/articles-evaluation:"
    )
    assert root.inputs["model"].startswith(f"weave:///{client.project_id}/object/summarizer:")
    expected: dict[str, Any] = {
        "correct": {"true_count": 2, "true_fraction": 0.5},
        "LevenshteinScorer": {"levenshtein_distance": {"mean": 1.5}},
        "output": {"words": {"mean": 1.5}, "ok": {"true_count": 3, "true_fraction": 0.75}},
        "reviewer": "ada",
    }
    latency = root.output.pop("model_latency")
    assert root.output == expected and set(latency) == {"mean"}
    rows = calls["Evaluation.predict_and_score"]
    assert len(rows) == 4 and {c.parent_id for c in rows} == {root.id}
    row_ids = {c.id for c in rows}
    for name in ("summarizer.predict", "correct", "LevenshteinScorer"):
        assert len(calls[name]) == 4 and {c.parent_id for c in calls[name]} == row_ids
    first = next(c for c in rows if c.inputs["example"] == {"article": "text 0"})
    assert first.output["scores"] == {
        "correct": True,
        "LevenshteinScorer": {"levenshtein_distance": 0},
    }
    assert first.output["output"] == {"words": 0, "ok": False}
    (summarize,) = calls["Evaluation.summarize"]
    assert summarize.parent_id == root.id
    assert root.summary["status_counts"] == {"success": 1 + 4 * 4 + 1, "error": 0}


def test_open_predictions_are_finished_and_mistakes_refused(client: WeaveClient) -> None:
    model = {"name": "ranker", "temperature": 0.2, "artifact": "me/p/ranker:v3"}
    ev = weave.EvaluationLogger(model=model, dataset=[{"q": "a"}], eval_attributes={"run": 7})
    with ev.log_prediction({"q": "a"}, "A") as pred:
        pred.log_score("exact", 1.0)
    left_open = ev.log_prediction({"q": "b"}, "B")
    left_open.log_score("exact", 0.0)
    ev.finish()
    with pytest.raises(UsageError, match="finished"):
        left_open.log_score("exact", 1.0)
    with pytest.raises(UsageError, match="finished"):
        ev.log_prediction({"q": "c"}, "C")
    (root,) = client.get_calls(filter={"op_names": ["Evaluation.evaluate"]})
    assert root.attributes == {"run": 7, "heron.artifact": "me/p/ranker:v3"}
    assert root.output["exact"] == {"mean": 0.5}
    rows = list(client.get_calls(filter={"op_names": ["Evaluation.predict_and_score"]}))
    assert len(rows) == 2 and all(c.ended_at is not None for c in rows)


def test_a_failed_evaluation_and_bad_arguments(embedded: WeaveClient) -> None:
    ev = weave.EvaluationLogger()
    ev.log_prediction({"x": 1}, 2).finish()
    ev.fail(RuntimeError("the data ran out"))
    (root,) = embedded.get_calls(filter={"op_names": ["Evaluation.evaluate"]})
    assert "the data ran out" in (root.exception or "")
    with pytest.raises(UsageError, match="inputs is a dict"):
        weave.EvaluationLogger().log_prediction(["x"], 1)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="scorer name"):
        weave.EvaluationLogger().log_prediction({"x": 1}).log_score("", 1)
    with pytest.raises(UsageError, match="model is"):
        weave.EvaluationLogger(model=3)  # type: ignore[arg-type]


def test_it_needs_weave_init() -> None:
    with pytest.raises(UsageError, match=re.escape("weave.init")):
        weave.EvaluationLogger()
