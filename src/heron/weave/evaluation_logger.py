"""``weave.EvaluationLogger``: log predictions and scores as they come, traced as an evaluation.

For code that already has its own loop: each prediction and score is logged
by hand and the trace has the shape :class:`~heron.weave.evaluation.Evaluation`
makes (``Evaluation.evaluate`` → ``Evaluation.predict_and_score`` per
prediction → the model's ``predict`` and one call per scorer →
``Evaluation.summarize``), so the dashboard shows and compares it like any
evaluation.

>>> ev = weave.EvaluationLogger(model="my-model", dataset="qa")     # doctest: +SKIP
>>> pred = ev.log_prediction(inputs={"q": "1+1"}, output="2")        # doctest: +SKIP
>>> pred.log_score("correct", True)                                  # doctest: +SKIP
>>> pred.finish()                                                    # doctest: +SKIP
>>> ev.log_summary({"note": "baseline"})                             # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
import traceback
from types import TracebackType
from typing import Any

from pydantic import Field

from heron.errors import UsageError
from heron.weave import client as _state
from heron.weave.call import Call, usage_of
from heron.weave.context import current_attributes, get_current_call
from heron.weave.dataset import Dataset, Table
from heron.weave.evaluation import ARTIFACT_ATTRIBUTE, Evaluation
from heron.weave.ids import uuid7
from heron.weave.model import Model
from heron.weave.objects import object_name
from heron.weave.scorer import Scorer, auto_summarize
from heron.weave.serialize import to_json


class LoggedModel(Model):
    """The model an EvaluationLogger names by a string or a dict of settings."""

    config: dict[str, Any] = Field(default_factory=dict)
    artifact: str | None = None


class _Span:
    """One call started and ended by hand (what an op does around its function)."""

    def __init__(
        self,
        client: _state.WeaveClient,
        op_name: str,
        inputs: dict[str, Any],
        parent: Call | None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        now_ns = time.time_ns()
        now = now_ns / 1e9
        call_id = uuid7(now_ns)
        trace_id, parent_id = (parent.trace_id, parent.id) if parent else (call_id, None)
        attrs = {**client.attributes, **current_attributes.get(), **(attributes or {})}
        inputs, attrs = to_json(inputs), to_json(attrs) if attrs else {}
        self.client = client
        self.call = Call.live(
            call_id, trace_id, parent_id, op_name, inputs, attrs, now, client, parent
        )
        client._open(self.call, self.call._start_record())

    def end(self, output: Any, exception: BaseException | None = None) -> None:
        call, now = self.call, time.time()
        summary = call._roll_up(usage_of(output), exception is not None)
        summary["latency_ms"] = (now - call.started_at) * 1000
        call.output = to_json(output)
        call.exception = (
            None
            if exception is None
            else f"{type(exception).__name__}: {exception}\n"
            + "".join(traceback.format_exception(exception))
        )
        call.ended_at = now
        self.client._close(
            call,
            {
                "type": "call_end",
                "id": call.id,
                "output": call.output,
                "exception": call.exception,
                "summary": summary,
                "ended_at": now,
            },
        )


class ScoreLogger:
    """One logged prediction: add scores with :meth:`log_score`, then :meth:`finish`."""

    def __init__(self, logger: EvaluationLogger, inputs: dict[str, Any], output: Any) -> None:
        self._logger = logger
        self.inputs = inputs
        self.output = output
        self.scores: dict[str, Any] = {}
        self._finished = False
        started = time.perf_counter()
        client, root = logger._client, logger._root
        self._span = _Span(
            client,
            "Evaluation.predict_and_score",
            {"self": logger._evaluation, "model": logger.model, "example": inputs},
            root.call,
        )
        predict = _Span(
            client,
            f"{object_name(logger.model.name or 'Model')}.predict",
            {"self": logger.model, **inputs},
            self._span.call,
        )
        predict.end(output)
        self.model_latency = time.perf_counter() - started

    def log_score(self, scorer: str | Scorer, score: Any) -> None:
        """Record ``score`` under ``scorer`` (a name or a Scorer) as a child call."""
        if self._finished:
            raise UsageError("this prediction is finished: log its scores before finish()")
        if isinstance(scorer, Scorer):
            name = object_name(scorer.name or type(scorer).__name__)
        elif isinstance(scorer, str) and scorer:
            name = object_name(scorer)
        else:
            raise UsageError(f"log_score takes a scorer name or a weave.Scorer, not {scorer!r}")
        span = _Span(
            self._logger._client,
            name,
            {"output": self.output, "inputs": self.inputs},
            self._span.call,
        )
        span.end(score)
        self.scores[name] = score

    def finish(self) -> None:
        """End the prediction (its ``predict_and_score`` call); calling it again does nothing."""
        if self._finished:
            return
        self._finished = True
        self._span.end(
            {"output": self.output, "scores": self.scores, "model_latency": self.model_latency}
        )

    def __enter__(self) -> ScoreLogger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish()


class EvaluationLogger:
    """An evaluation logged imperatively.

    ``model`` is a weave.Model, a name, or a dict of settings; ``dataset`` a
    weave.Dataset, a list of rows or a name. ``eval_attributes`` go on the
    evaluate call's attributes; a model's ``artifact`` (or
    ``eval_attributes["heron.artifact"]``) ties the evaluation to an
    artifact version for registry gates. Requires ``weave.init()``.
    """

    def __init__(
        self,
        model: Model | str | dict[str, Any] = "Model",
        dataset: Dataset | list[dict[str, Any]] | str = "Dataset",
        *,
        name: str | None = None,
        eval_attributes: dict[str, Any] | None = None,
    ) -> None:
        client = _state.active
        if client is None:
            raise UsageError("EvaluationLogger needs weave.init() first")
        self._client = client
        self.model = _logged_model(model)
        self.dataset = _logged_dataset(dataset)
        self._evaluation = Evaluation(
            name=name or f"{self.dataset.name or 'Dataset'}-evaluation", dataset=self.dataset
        )
        self._lock = threading.Lock()
        self._predictions: list[ScoreLogger] = []
        self._finished = False
        attrs = dict(eval_attributes or {})
        artifact = getattr(self.model, "artifact", None)
        if isinstance(artifact, str):
            attrs.setdefault(ARTIFACT_ATTRIBUTE, artifact)
        self._root = _Span(
            client,
            "Evaluation.evaluate",
            {"self": self._evaluation, "model": self.model},
            get_current_call(),
            attrs,
        )

    def log_prediction(self, inputs: dict[str, Any], output: Any = None) -> ScoreLogger:
        """Record one prediction: the model's ``inputs`` and ``output``; score it on the result."""
        if self._finished:
            raise UsageError("this evaluation is finished: log predictions before log_summary()")
        if not isinstance(inputs, dict) or not all(isinstance(k, str) for k in inputs):
            raise UsageError(f"inputs is a dict with string keys, not {inputs!r}")
        prediction = ScoreLogger(self, inputs, output)
        with self._lock:
            self._predictions.append(prediction)
        return prediction

    def log_summary(
        self, summary: dict[str, Any] | None = None, auto_summarize: bool = True
    ) -> None:
        """Finish: summarise the scores (unless ``auto_summarize=False``), merge ``summary``,
        and end the evaluation; open predictions are finished first."""
        if self._finished:
            raise UsageError("this evaluation is already finished")
        if summary is not None and not isinstance(summary, dict):
            raise UsageError(f"log_summary takes a dict, not {summary!r}")
        self._finished = True
        with self._lock:
            predictions = list(self._predictions)
        for prediction in predictions:
            prediction.finish()
        rows = [
            {"output": p.output, "scores": p.scores, "model_latency": p.model_latency}
            for p in predictions
        ]
        span = _Span(
            self._client,
            "Evaluation.summarize",
            {"self": self._evaluation, "eval_table": {"rows": len(rows)}},
            self._root.call,
        )
        result: dict[str, Any] = {}
        if auto_summarize:
            names = list(dict.fromkeys(n for p in predictions for n in p.scores))
            for name in names:
                result[name] = _auto([r["scores"].get(name) for r in rows])
            for column in ("output", "model_latency"):
                found = _auto([r[column] for r in rows])
                if found:
                    result[column] = found
        result.update(summary or {})
        span.end(result)
        self._root.end(result)

    def finish(self) -> None:
        """End the evaluation with the automatic summary (does nothing once finished)."""
        if not self._finished:
            self.log_summary()

    def fail(self, exception: BaseException) -> None:
        """End the evaluation as failed with ``exception``."""
        if self._finished:
            return
        self._finished = True
        for prediction in list(self._predictions):
            prediction.finish()
        self._root.end(None, exception)


def _auto(values: list[Any]) -> Any:
    return auto_summarize(values)


def _logged_model(model: Model | str | dict[str, Any]) -> Model:
    if isinstance(model, Model):
        return model
    if isinstance(model, str) and model:
        return LoggedModel(name=model)
    if isinstance(model, dict):
        config = dict(model)
        name = config.pop("name", "Model")
        artifact = config.pop("artifact", None)
        return LoggedModel(name=str(name), config=config, artifact=artifact)
    raise UsageError(f"model is a weave.Model, a name or a dict of settings, not {model!r}")


def _logged_dataset(dataset: Dataset | list[dict[str, Any]] | str) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, str) and dataset:
        return Dataset(name=dataset, rows=Table([]))  # named only: its rows are not known
    if isinstance(dataset, list):
        return Dataset(rows=dataset)
    raise UsageError(f"dataset is a weave.Dataset, a list of rows or a name, not {dataset!r}")
