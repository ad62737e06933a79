"""``weave.Evaluation``: run a model over a dataset, score each row, summarise the scores.

``await evaluation.evaluate(model)`` is one trace::

    Evaluation.evaluate                     output: the summary
    ├─ Evaluation.predict_and_score  × rows × trials
    │    ├─ Model.predict (or the op)     the model's own calls beneath it
    │    └─ <scorer> …                    one call per scorer
    └─ Evaluation.summarize

Rows run concurrently, at most ``WEAVE_PARALLELISM`` (default 10) at a time;
synchronous models and scorers run in a thread pool that carries the trace
context, so their calls nest where they should. The model is a
``weave.Model`` (its ``predict``/``invoke``/``infer``/``forward``) or an
op (a plain function is made one); its arguments, like a scorer's, are
matched by name to the row's columns. A row whose model raises is recorded
with output None, its latency and no scores (the scorers do not run); a
row whose scorer raises counts as output None too, as in weave.

The summary has, per scorer, its ``summarize`` (numbers → ``{"mean"}``,
booleans → ``{"true_count", "true_fraction"}``, dicts key by key), the same
for the model's ``output``, and ``model_latency: {"mean"}`` in seconds;
token usage of LLM calls beneath is on the evaluate call's ``summary["usage"]``.

A Model with an ``artifact`` attribute (``"entity/project/name:v3"``), or a
block under ``weave.attributes({"heron.artifact": ...})``, associates the
evaluation with that artifact version, for registry gates (docs/registry.md).

>>> evaluation = weave.Evaluation(dataset=[{"q": "1+1", "a": "2"}], scorers=[exact])
>>> asyncio.run(evaluation.evaluate(model))  # doctest: +SKIP
{'exact': {'correct': {'true_count': 1, 'true_fraction': 1.0}}, 'model_latency': {'mean': ...}}
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import logging
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

from pydantic import field_validator

from heron.errors import UsageError
from heron.weave import client as _state
from heron.weave.call import Call
from heron.weave.context import attributes
from heron.weave.dataset import Dataset, Table
from heron.weave.model import Model
from heron.weave.objects import Object
from heron.weave.op import BoundOp, Op, op
from heron.weave.scorer import (
    Scorer,
    as_scorer,
    auto_summarize,
    score_arguments,
    scorer_name,
    summarize_fn,
    uses_model_output,
)

log = logging.getLogger("heron")

DEFAULT_PARALLELISM = 10
ARTIFACT_ATTRIBUTE = "heron.artifact"
"""The call attribute that names the artifact version an evaluation evaluated."""


def parallelism() -> int:
    """``WEAVE_PARALLELISM`` (rows evaluated at once), default 10; UsageError if not ≥ 1."""
    raw = os.environ.get("WEAVE_PARALLELISM", "").strip()
    if not raw:
        return DEFAULT_PARALLELISM
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"WEAVE_PARALLELISM must be a whole number ≥ 1, not {raw!r}")
    return value


class EvaluationResults(Object):
    """The rows of one evaluation (``output``, ``scores``, ``model_latency`` each)."""

    rows: Table


class Evaluation(Object):
    """A dataset and scorers; ``await evaluate(model)`` runs, traces and summarises.

    ``dataset`` is a ``weave.Dataset`` or a list of dicts; ``scorers`` are
    functions, ops or ``weave.Scorer`` instances; ``preprocess_model_input``
    maps a row to the model's arguments; every row runs ``trials`` times;
    ``evaluation_name`` (a string or a function of the call) is the
    display name of the evaluate call.
    """

    dataset: Dataset
    scorers: list[Any] | None = None
    preprocess_model_input: Any = None
    trials: int = 1
    metadata: dict[str, Any] | None = None
    evaluation_name: Any = None

    @field_validator("dataset", mode="before")
    @classmethod
    def _to_dataset(cls, value: Any) -> Any:
        if isinstance(value, Dataset):
            return value
        if isinstance(value, (list, tuple, Table)):
            return Dataset(rows=value)
        raise UsageError(
            f"an Evaluation's dataset is a weave.Dataset or a list of dicts, not {value!r}"
        )

    @field_validator("scorers", mode="before")
    @classmethod
    def _to_scorers(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            raise UsageError("an Evaluation's scorers are a list (of functions, ops or Scorers)")
        return [as_scorer(s) for s in value]

    @field_validator("preprocess_model_input", mode="before")
    @classmethod
    def _to_op(cls, value: Any) -> Any:
        if value is None or isinstance(value, Op):
            return value
        if not callable(value):
            raise UsageError("preprocess_model_input is a function from a row to model inputs")
        return op(value)

    @field_validator("trials")
    @classmethod
    def _check_trials(cls, value: int) -> int:
        if value < 1:
            raise UsageError(f"trials must be at least 1, not {value}")
        return value

    @field_validator("evaluation_name")
    @classmethod
    def _check_name(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if callable(value):
            return op(value) if not isinstance(value, Op) else value
        raise UsageError("evaluation_name is a string or a function of the call")

    def model_post_init(self, context: Any) -> None:
        if self.name is None and self.dataset.name is not None:
            self.__dict__["name"] = f"{self.dataset.name}-evaluation"
        names = [scorer_name(s) for s in self.scorers or []]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UsageError(
                f"two scorers are named {', '.join(duplicates)}: give Scorer instances"
                " distinct name= values (their results are keyed by name)"
            )
        if any(uses_model_output(s) for s in self.scorers or []):
            warnings.warn(
                "scorers that take 'model_output' are deprecated: name the argument 'output'",
                DeprecationWarning,
                stacklevel=3,
            )

    @property
    def _output_key(self) -> str:
        legacy = any(uses_model_output(s) for s in self.scorers or [])
        return "model_output" if legacy else "output"

    def _heron_ref_uri(self) -> str | None:
        # Encoded once per evaluate, not once per row: a ref in this project means unchanged.
        ref, client = self.ref, _state.active
        if (
            ref is not None
            and client is not None
            and f"{ref.entity}/{ref.project}" == client.project_id
        ):
            return str(ref.uri())
        return super()._heron_ref_uri()

    async def evaluate(self, model: Any) -> dict[str, Any]:
        """Evaluate ``model`` (a weave.Model, an op or a function); return the summary."""
        model = _as_model(model)
        found = getattr(model, "artifact", None) if isinstance(model, Model) else None
        run = _evaluate_op
        if self.evaluation_name is not None:
            run = Op(_evaluate, name="Evaluation.evaluate", call_display_name=_display(self))
        tag = attributes({ARTIFACT_ATTRIBUTE: found}) if isinstance(found, str) else None
        with tag or contextlib.nullcontext():
            return await run(self, model)

    @op(name="Evaluation.predict_and_score")
    async def predict_and_score(self, model: Any, example: dict[str, Any]) -> dict[str, Any]:
        """Run the model on one row, then every scorer on its output."""
        key = self._output_key
        pool = _POOL.get()
        row = example
        if self.preprocess_model_input is not None:
            row = await _run(pool, self.preprocess_model_input, (example,), {})
            if not isinstance(row, dict):
                raise UsageError(
                    f"preprocess_model_input must return a dict of model inputs, not {row!r}"
                )
        infer = model.get_infer_method() if isinstance(model, Model) else model
        kwargs = _model_arguments(infer, row)
        started = time.perf_counter()
        try:
            output = await _run(pool, infer, (), kwargs)
        except Exception as exc:
            latency = time.perf_counter() - started
            log.warning("heron: the model raised %r on a row; scored as output None", exc)
            return {key: None, "scores": {}, "model_latency": latency}
        latency = time.perf_counter() - started
        scorers = self.scorers or []
        results = await asyncio.gather(
            *(_run(pool, _score_op(s), (), _score_args(s, example, output)) for s in scorers)
        )
        scores = {scorer_name(s): r for s, r in zip(scorers, results, strict=True)}
        return {key: output, "scores": scores, "model_latency": latency}

    @op(name="Evaluation.summarize")
    async def summarize(self, eval_table: EvaluationResults) -> dict[str, Any]:
        """Summarise the rows: each scorer's summary, then the other columns'."""
        rows = list(eval_table.rows)
        columns: dict[str, list[Any]] = {}
        for row in rows:
            for name, value in row.items():
                columns.setdefault(name, []).append(value)
        summary: dict[str, Any] = {}
        for name, values in columns.items():
            if name == "scores":
                for scorer in self.scorers or []:
                    key = scorer_name(scorer)
                    summary[key] = summarize_fn(scorer)([v.get(key) for v in values])
            else:
                found = auto_summarize(values)
                if found:
                    summary[name] = found
        return summary


async def _evaluate(self: Evaluation, model: Any) -> dict[str, Any]:
    key = self._output_key
    names = [scorer_name(s) for s in self.scorers or []]
    examples = list(self.dataset.rows)
    bad = next((r for r in examples if not isinstance(r, dict)), None)
    if bad is not None:
        raise UsageError(f"dataset rows must be dicts, not {bad!r}")
    jobs = [row for _ in range(self.trials) for row in examples]
    width = parallelism()
    gate = asyncio.Semaphore(width)
    pool = concurrent.futures.ThreadPoolExecutor(width, thread_name_prefix="heron-evaluate")
    token = _POOL.set(pool)

    async def one(example: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            try:
                row = await self.predict_and_score(model, example)
            except UsageError:
                raise
            except Exception as exc:
                log.warning("heron: predict_and_score failed on a row: %r", exc)
                row = {key: None, "scores": {}}
        row.setdefault("scores", {})
        for name in names:
            row["scores"].setdefault(name, {})
        return row

    try:
        rows = await asyncio.gather(*(one(example) for example in jobs))
    finally:
        _POOL.reset(token)
        pool.shutdown(wait=False)
    return await self.summarize(EvaluationResults(rows=Table(rows)))


_evaluate_op = Op(_evaluate, name="Evaluation.evaluate")
_POOL: contextvars.ContextVar[concurrent.futures.Executor | None] = contextvars.ContextVar(
    "heron_evaluation_pool", default=None
)


def _display(evaluation: Evaluation) -> str | Callable[[Call], str]:
    name = evaluation.evaluation_name
    return name.fn if isinstance(name, Op) else name


def _as_model(model: Any) -> Any:
    if isinstance(model, Model):
        model.get_infer_method()  # a UsageError now rather than once per row
        return model
    if isinstance(model, (Op, BoundOp)):
        return model
    if callable(model) and not isinstance(model, type):
        return op(model)
    raise UsageError(
        f"evaluate() takes a weave.Model, an op or a function, not {type(model).__name__}"
    )


def _model_arguments(infer: Any, row: dict[str, Any]) -> dict[str, Any]:
    fn = infer.op.fn if isinstance(infer, BoundOp) else infer.fn if isinstance(infer, Op) else infer
    params = dict(inspect.signature(fn).parameters)
    if isinstance(infer, BoundOp) or (isinstance(infer, Op) and "self" in params):
        params.pop("self", None)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(row)
    kwargs = {name: row[name] for name in params if name in row}
    missing = [
        name
        for name, p in params.items()
        if name not in row
        and p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if missing:
        raise UsageError(
            f"the model takes {', '.join(map(repr, missing))}, not columns of the dataset"
            f" ({', '.join(map(str, row))}); rename the arguments or use preprocess_model_input"
        )
    return kwargs


def _score_op(scorer: Op | Scorer) -> Any:
    return scorer.score if isinstance(scorer, Scorer) else scorer


def _score_args(scorer: Op | Scorer, example: dict[str, Any], output: Any) -> dict[str, Any]:
    return score_arguments(scorer, example, output)


async def _run(
    pool: concurrent.futures.Executor | None, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Await an async op or function; run a sync one in the pool, in a copy of this context."""
    target = fn.op if isinstance(fn, BoundOp) else fn
    is_async = (
        target._kind in ("async",) if isinstance(target, Op) else inspect.iscoroutinefunction(fn)
    )
    if is_async:
        return await fn(*args, **kwargs)
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, call)
