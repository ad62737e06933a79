"""weave.Evaluation: summary shape, the trace it makes, concurrency, trials, errors."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from typing import Any

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient

ROWS = [
    {"question": "2+2", "answer": "4"},
    {"question": "3+3", "answer": "6"},
    {"question": "1+1", "answer": "3"},  # the model gets this one "wrong"
]


class Adder(weave.Model):
    offset: int = 0

    @weave.op
    async def predict(self, question: str) -> dict[str, Any]:
        a, b = question.split("+")
        total = int(a) + int(b) + self.offset
        return {"text": str(total), "confidence": 0.5, "sure": total % 2 == 0}


@weave.op
def exact(answer: str, output: dict[str, Any]) -> dict[str, Any]:
    correct = output["text"] == answer
    return {"correct": correct, "score": 1.0 if correct else 0.0, "detail": {"len": 1, "ok": True}}


@weave.op
def length(output: dict[str, Any]) -> int:
    return len(output["text"])


def calls_by_op(client: WeaveClient) -> dict[str, list[weave.Call]]:
    found: dict[str, list[weave.Call]] = {}
    for call in client.get_calls():
        found.setdefault(call.op_name, []).append(call)
    return found


def test_summary_has_weave_shape(client: WeaveClient) -> None:
    evaluation = weave.Evaluation(dataset=ROWS, scorers=[exact, length])
    summary = asyncio.run(evaluation.evaluate(Adder()))
    latency = summary.pop("model_latency")
    assert set(latency) == {"mean"} and 0 <= latency["mean"] < 1
    assert summary == {
        "exact": {
            "correct": {"true_count": 2, "true_fraction": pytest.approx(2 / 3)},
            "score": {"mean": pytest.approx(2 / 3)},
            "detail": {"len": {"mean": 1.0}, "ok": {"true_count": 3, "true_fraction": 1.0}},
        },
        "length": {"mean": 1.0},
        "output": {
            "confidence": {"mean": 0.5},
            "sure": {"true_count": 3, "true_fraction": 1.0},
        },
    }


def test_the_evaluation_is_one_trace(client: WeaveClient) -> None:
    evaluation = weave.Evaluation(dataset=ROWS, scorers=[exact])
    model = Adder()
    summary = asyncio.run(evaluation.evaluate(model))
    calls = calls_by_op(client)
    (root,) = calls["Evaluation.evaluate"]
    assert root.parent_id is None
    assert root.inputs == {"self": evaluation.ref.uri(), "model": model.ref.uri()}
    assert root.output == summary
    rows = calls["Evaluation.predict_and_score"]
    assert len(rows) == 3 and {c.parent_id for c in rows} == {root.id}
    assert sorted(c.inputs["example"]["question"] for c in rows) == ["1+1", "2+2", "3+3"]
    row_ids = {c.id for c in rows}
    assert {c.parent_id for c in calls["Adder.predict"]} == row_ids
    assert {c.parent_id for c in calls["exact"]} == row_ids
    by_question = {c.inputs["example"]["question"]: c for c in rows}
    wrong = by_question["1+1"].output
    assert set(wrong) == {"output", "scores", "model_latency"}
    assert wrong["output"]["text"] == "2" and wrong["scores"]["exact"]["correct"] is False
    (summarize,) = calls["Evaluation.summarize"]
    assert summarize.parent_id == root.id and summarize.output == summary
    assert {c.trace_id for cs in calls.values() for c in cs} == {root.trace_id}
    assert root.summary["status_counts"] == {"success": 3 + 3 + 3 + 2, "error": 0}


@weave.op
def fake_completion(prompt: str) -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "choices": [{"message": {"content": prompt.upper()}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14},
    }


class Shouter(weave.Model):
    @weave.op
    def predict(self, question: str) -> str:
        response = fake_completion(question)
        return str(response["choices"][0]["message"]["content"])


def test_token_usage_rolls_up_to_the_evaluate_call(client: WeaveClient) -> None:
    evaluation = weave.Evaluation(dataset=ROWS, scorers=[])
    asyncio.run(evaluation.evaluate(Shouter()))
    (root,) = client.get_calls(filter={"op_names": ["Evaluation.evaluate"]})
    assert root.summary["usage"] == {
        "gpt-4o-mini": {
            "requests": 3,
            "prompt_tokens": 30,
            "completion_tokens": 12,
            "total_tokens": 42,
        }
    }
    # The LLM calls sit under the model's, under each row.
    llm = list(client.get_calls(filter={"op_names": ["fake_completion"]}))
    predicts = {c.id: c for c in client.get_calls(filter={"op_names": ["Shouter.predict"]})}
    assert len(llm) == 3 and all(c.parent_id in predicts for c in llm)


class Sleeper(weave.Model):
    seconds: float

    @weave.op
    async def predict(self, question: str) -> str:
        await asyncio.sleep(self.seconds)
        return question


class SyncSleeper(weave.Model):
    seconds: float

    @weave.op
    def predict(self, question: str) -> str:
        time.sleep(self.seconds)
        return threading.current_thread().name


def test_rows_run_concurrently(embedded: WeaveClient) -> None:
    rows = [{"question": str(i)} for i in range(10)]
    evaluation = weave.Evaluation(dataset=rows, scorers=[])
    started = time.perf_counter()
    asyncio.run(evaluation.evaluate(Sleeper(seconds=0.3)))
    assert time.perf_counter() - started < 10 * 0.3 / 2
    # Synchronous models run in threads, and their calls still nest under their rows.
    started = time.perf_counter()
    asyncio.run(evaluation.evaluate(SyncSleeper(seconds=0.3)))
    assert time.perf_counter() - started < 10 * 0.3 / 2
    rows_by_id = {
        c.id for c in embedded.get_calls(filter={"op_names": ["Evaluation.predict_and_score"]})
    }
    predicts = list(embedded.get_calls(filter={"op_names": ["SyncSleeper.predict"]}))
    assert len(predicts) == 10 and all(c.parent_id in rows_by_id for c in predicts)
    assert len({c.output for c in predicts}) > 1  # more than one worker thread


def test_weave_parallelism_one_runs_rows_one_at_a_time(
    embedded: WeaveClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEAVE_PARALLELISM", "1")
    evaluation = weave.Evaluation(dataset=[{"question": str(i)} for i in range(5)])
    started = time.perf_counter()
    asyncio.run(evaluation.evaluate(Sleeper(seconds=0.1)))
    assert time.perf_counter() - started >= 5 * 0.1
    predicts = sorted(
        embedded.get_calls(filter={"op_names": ["Sleeper.predict"]}), key=lambda c: c.started_at
    )
    for before, after in itertools.pairwise(predicts):
        assert before.ended_at is not None and before.ended_at <= after.started_at
    monkeypatch.setenv("WEAVE_PARALLELISM", "none")
    with pytest.raises(UsageError, match="WEAVE_PARALLELISM"):
        asyncio.run(evaluation.evaluate(Sleeper(seconds=0)))


def test_trials_and_preprocess_model_input(client: WeaveClient) -> None:
    def rename(example: dict[str, Any]) -> dict[str, Any]:
        return {"question": example["q"]}

    evaluation = weave.Evaluation(
        dataset=[{"q": "1+2", "answer": "3"}, {"q": "2+2", "answer": "5"}],
        scorers=[exact],
        preprocess_model_input=rename,
        trials=3,
    )
    summary = asyncio.run(evaluation.evaluate(Adder()))
    assert summary["exact"]["correct"] == {"true_count": 3, "true_fraction": 0.5}
    calls = calls_by_op(client)
    assert len(calls["Evaluation.predict_and_score"]) == 6
    assert sorted(c.inputs["question"] for c in calls["Adder.predict"]) == ["1+2"] * 3 + ["2+2"] * 3
    assert len(calls["rename"]) == 6
    with pytest.raises(ValueError, match="trials must be at least 1"):
        weave.Evaluation(dataset=ROWS, trials=0)


def test_a_plain_function_is_a_model_and_a_scorer(client: WeaveClient) -> None:
    def model(question: str) -> str:
        return question

    def echoed(question: str, output: str) -> bool:
        return question == output

    summary = asyncio.run(weave.Evaluation(dataset=ROWS, scorers=[echoed]).evaluate(model))
    assert summary["echoed"] == {"true_count": 3, "true_fraction": 1.0}
    assert len(list(client.get_calls(filter={"op_names": ["model"]}))) == 3


def test_model_output_is_accepted_with_a_deprecation_warning(client: WeaveClient) -> None:
    @weave.op
    def old_style(answer: str, model_output: dict[str, Any]) -> bool:
        return model_output["text"] == answer

    with pytest.warns(DeprecationWarning, match="model_output"):
        evaluation = weave.Evaluation(dataset=ROWS, scorers=[old_style])
    summary = asyncio.run(evaluation.evaluate(Adder()))
    assert summary["old_style"] == {"true_count": 2, "true_fraction": pytest.approx(2 / 3)}
    assert summary["model_output"]["confidence"] == {"mean": 0.5}
    row = next(iter(client.get_calls(filter={"op_names": ["Evaluation.predict_and_score"]})))
    assert set(row.output) == {"model_output", "scores", "model_latency"}


class Raiser(weave.Model):
    @weave.op
    def predict(self, question: str) -> dict[str, Any]:
        if question == "3+3":
            raise RuntimeError("cannot add sixes")
        a, b = question.split("+")
        return {"text": str(int(a) + int(b))}


def test_a_failing_model_row_has_output_none_and_no_scores(client: WeaveClient) -> None:
    evaluation = weave.Evaluation(dataset=ROWS, scorers=[exact])
    summary = asyncio.run(evaluation.evaluate(Raiser()))
    assert summary["exact"]["correct"] == {"true_count": 1, "true_fraction": 0.5}
    calls = calls_by_op(client)
    assert len(calls.get("exact", [])) == 2  # the scorers did not run on the failed row
    (failed,) = [c for c in calls["Raiser.predict"] if c.exception]
    assert "cannot add sixes" in failed.exception
    rows = {c.inputs["example"]["question"]: c for c in calls["Evaluation.predict_and_score"]}
    assert rows["3+3"].output["output"] is None and rows["3+3"].output["scores"] == {}
    assert rows["3+3"].exception is None
    (root,) = calls["Evaluation.evaluate"]
    assert root.exception is None and root.summary["status_counts"]["error"] == 1


def test_a_failing_scorer_fails_only_its_row(client: WeaveClient) -> None:
    @weave.op
    def picky(answer: str, output: dict[str, Any]) -> bool:
        if answer == "6":
            raise ValueError("no sixes")
        return True

    summary = asyncio.run(weave.Evaluation(dataset=ROWS, scorers=[picky]).evaluate(Adder()))
    # As in weave, the failed row's score is {} and counts as not true.
    assert summary["picky"] == {"true_count": 2, "true_fraction": pytest.approx(2 / 3)}
    rows = {
        c.inputs["example"]["answer"]: c
        for c in client.get_calls(filter={"op_names": ["Evaluation.predict_and_score"]})
    }
    assert "no sixes" in (rows["6"].exception or "")
    assert rows["4"].exception is None


def test_argument_mistakes_stop_the_evaluation(client: WeaveClient) -> None:
    @weave.op
    def wants_label(label: str, output: Any) -> bool:
        return True

    evaluation = weave.Evaluation(dataset=ROWS, scorers=[wants_label])
    with pytest.raises(UsageError, match=r"'label'.*not a dataset column"):
        asyncio.run(evaluation.evaluate(Adder()))

    def needs_prompt(prompt: str) -> str:
        return prompt

    with pytest.raises(UsageError, match="'prompt'"):
        asyncio.run(weave.Evaluation(dataset=ROWS).evaluate(needs_prompt))
    with pytest.raises(UsageError, match=re.escape("weave.Model, an op or a function")):
        asyncio.run(weave.Evaluation(dataset=ROWS).evaluate(42))
    with pytest.raises(ValueError, match=re.escape("weave.Dataset or a list of dicts")):
        weave.Evaluation(dataset="rows.csv")


def test_a_published_dataset_and_a_display_name(client: WeaveClient) -> None:
    dataset = weave.Dataset(name="sums", rows=ROWS)
    weave.publish(dataset)
    stored = weave.ref("sums").get()
    evaluation = weave.Evaluation(dataset=stored, scorers=[exact], evaluation_name="nightly")
    assert evaluation.name == "sums-evaluation"
    summary = asyncio.run(evaluation.evaluate(Adder()))
    assert summary["exact"]["correct"]["true_count"] == 2
    (root,) = client.get_calls(filter={"op_names": ["Evaluation.evaluate"]})
    assert root.display_name == "nightly"
    assert evaluation.ref is not None and evaluation.ref.name == "sums-evaluation"
