"""Scorers: functions and ``weave.Scorer`` classes that grade a model's output, and summaries.

A scorer's arguments are matched by name: ``output`` receives the model's
output (``model_output``, the old name, still works with a
DeprecationWarning), every other argument the dataset column of that name,
or the column ``column_map`` names for it (``{argument: column}``). A
function scorer is summarised by :func:`auto_summarize`; a Scorer class may
override ``summarize(score_rows)``.

>>> class Exact(weave.Scorer):
...     @weave.op
...     def score(self, *, output: str, answer: str) -> dict:
...         return {"correct": output == answer}
>>> auto_summarize([{"correct": True}, {"correct": False}])
{'correct': {'true_count': 1, 'true_fraction': 0.5}}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from numbers import Number
from typing import Any

from pydantic import BaseModel

from heron.errors import UsageError
from heron.weave.objects import Object, object_name
from heron.weave.op import BoundOp, Op
from heron.weave.op import op as make_op

OUTPUT_ARGS = ("output", "model_output")


class Scorer(Object):
    """A scorer with settings: subclass it and define ``score(self, *, output, **columns)``.

    ``score`` and ``summarize`` are traced (a plain method is made an op).
    ``column_map`` maps ``score``'s argument names to dataset columns.
    """

    column_map: dict[str, str] | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        for method in ("score", "summarize"):
            fn = cls.__dict__.get(method)
            if fn is not None and not isinstance(fn, Op) and callable(fn):
                setattr(cls, method, make_op(fn, name=f"{cls.__name__}.{method}"))
        super().__pydantic_init_subclass__(**kwargs)

    def model_post_init(self, context: Any) -> None:
        params = _parameters(self.score)
        if "output" in params and "model_output" in params:
            raise UsageError(
                f"{type(self).__name__}.score takes both 'output' and 'model_output':"
                " keep only 'output' (the model's output)"
            )

    @make_op(name="Scorer.score")
    def score(self, *args: Any, **kwargs: Any) -> Any:
        """Score one row: keyword ``output`` (the model's) and the columns it names."""
        raise NotImplementedError(f"{type(self).__name__} must define score(self, *, output, ...)")

    @make_op(name="Scorer.summarize")
    def summarize(self, score_rows: list[Any]) -> dict[str, Any] | None:
        """Summarise the scores of every row (default: :func:`auto_summarize`)."""
        return auto_summarize(score_rows)


def auto_summarize(data: list[Any]) -> dict[str, Any] | None:
    """Summarise values: numbers to ``{"mean"}``, booleans to ``{"true_count", "true_fraction"}``,
    dicts key by key (recursively); None values are left out, other types ignored.

    An empty list is ``{}``; all None (or nothing summarisable) is None.
    """
    if not data:
        return {}
    values = [x for x in data if x is not None]
    if not values:
        return None
    first = values[0]
    if isinstance(first, bool):
        true_count = sum(1 for x in values if x)
        return {"true_count": true_count, "true_fraction": true_count / len(values)}
    if isinstance(first, Number):
        numbers = [float(x) for x in values if isinstance(x, Number)]  # type: ignore[arg-type]
        return {"mean": sum(numbers) / len(numbers)}
    if isinstance(first, dict):
        dicts = [x for x in values if isinstance(x, dict)]
        result: dict[str, Any] = {}
        for key in dict.fromkeys(k for d in dicts for k in d):
            summary = auto_summarize([d.get(key) for d in dicts])
            if summary is None:
                continue
            if key in summary:  # a nested dict with the same key: flatten one level
                result.update(summary)
            else:
                result[key] = summary
        return result or None
    if isinstance(first, BaseModel):
        return auto_summarize([x.model_dump() for x in values if isinstance(x, BaseModel)])
    return None


def as_scorer(value: Any) -> Op | Scorer:
    """A scorer as an Evaluation holds it: a Scorer, or an op (a plain function is made one)."""
    if isinstance(value, (Scorer, Op)):
        return value
    if isinstance(value, BoundOp):
        return value.op
    if isinstance(value, type) and issubclass(value, Scorer):
        raise UsageError(f"pass an instance of {value.__name__} as a scorer, not the class")
    if callable(value):
        return make_op(value)
    raise UsageError(f"a scorer is a function, an op or a weave.Scorer, not {value!r}")


def scorer_name(scorer: Op | Scorer) -> str:
    """The key of a scorer's results: the Scorer's name (or class name), or the op's name."""
    if isinstance(scorer, Scorer):
        return object_name(scorer.name or type(scorer).__name__)
    return object_name(scorer.name)


def summarize_fn(scorer: Op | Scorer) -> Callable[[list[Any]], Any]:
    return scorer.summarize if isinstance(scorer, Scorer) else auto_summarize


def uses_model_output(scorer: Op | Scorer) -> bool:
    fn = scorer.score if isinstance(scorer, Scorer) else scorer
    params = _parameters(fn)
    return "model_output" in params and "output" not in params


def score_arguments(scorer: Op | Scorer, row: dict[str, Any], output: Any) -> dict[str, Any]:
    """The keyword arguments to call the scorer with for one dataset row and model output.

    UsageError (naming the columns) when an argument has no column, or
    ``column_map`` names a missing one.
    """
    name = scorer_name(scorer)
    params = _parameters(scorer.score if isinstance(scorer, Scorer) else scorer)
    params.pop("self", None)
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    names = [n for n, p in params.items() if p.kind not in _VARIADIC]
    column_map = scorer.column_map if isinstance(scorer, Scorer) else None
    args: dict[str, Any] = {}
    if column_map is not None:
        for key in column_map:
            if key not in names:
                raise UsageError(
                    f"{name}: column_map has the key {key!r}, which is not an argument of"
                    f" score ({', '.join(names)}); keys are argument names, values dataset columns"
                )
    for arg in names:
        if arg in OUTPUT_ARGS:
            continue
        column = column_map.get(arg, arg) if column_map else arg
        if column in row:
            args[arg] = row[column]
        elif arg in row:
            args[arg] = row[arg]
        elif params[arg].default is inspect.Parameter.empty:
            mapped = f" (mapped to {column!r})" if column != arg else ""
            raise UsageError(
                f"scorer {name} takes {arg!r}{mapped}, which is not a dataset column"
                f" ({', '.join(map(str, row))}); rename the argument or set column_map"
                " on a weave.Scorer ({argument: column})"
            )
    if var_kw:
        for key, value in row.items():
            args.setdefault(key, value)
    if "output" in params:
        args["output"] = output
    elif "model_output" in params:
        args["model_output"] = output
    else:
        raise UsageError(f"scorer {name} must take an 'output' argument (the model's output)")
    return args


_VARIADIC = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)


def _parameters(fn: Any) -> dict[str, inspect.Parameter]:
    target = fn.op.fn if isinstance(fn, BoundOp) else fn.fn if isinstance(fn, Op) else fn
    try:
        return dict(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return {}
