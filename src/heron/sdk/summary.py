"""``run.summary`` and ``define_metric``: one value per key that describes the run.

By default a key's summary is its last logged value. ``define_metric`` can
instead keep aggregates, nested like wandb's (``{"loss": {"min": 0.1}}``), or
remove the key (``summary="none"``). Assigning ``run.summary[key] = v``
overrides the value until the key is logged again.

>>> s = Summary()
>>> s.define(MetricDefinition("loss", summary=("min", "last")))
>>> s.observe_row({"_step": 0, "loss": 0.5}); s.observe_row({"_step": 1, "loss": 0.7})
>>> s["loss"]
{'min': 0.5, 'last': 0.7}
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from heron.errors import UsageError
from heron.sdk.dictview import DictView

SUMMARY_OPTIONS = ("min", "max", "mean", "first", "last", "best", "copy", "none")
_ATOMIC = frozenset({float, int, str, bool, type(None)})
_GOALS = {"minimize": "minimize", "min": "minimize", "maximize": "maximize", "max": "maximize"}


@dataclasses.dataclass(frozen=True)
class MetricDefinition:
    """One ``define_metric`` call; ``name`` may end in ``*`` to match a key prefix."""

    name: str
    step_metric: str | None = None
    step_sync: bool | None = None
    hidden: bool | None = None
    summary: tuple[str, ...] = ()
    goal: str | None = None

    @classmethod
    def build(
        cls,
        name: object,
        step_metric: str | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | Iterable[str] | None = None,
        goal: str | None = None,
    ) -> MetricDefinition:
        """Validate ``define_metric``'s arguments (raising UsageError) and build a definition."""
        if not isinstance(name, str) or not name or "*" in name[:-1]:
            raise UsageError(
                f"define_metric name must be a key, optionally ending in '*', not {name!r}"
            )
        if step_metric is not None and (not isinstance(step_metric, str) or not step_metric):
            raise UsageError(f"step_metric must be a key name, not {step_metric!r}")
        options: tuple[str, ...] = ()
        if summary is not None:
            parts = summary.split(",") if isinstance(summary, str) else list(summary)
            options = tuple(p.strip().lower() for p in parts if p.strip())
            for option in options:
                if option not in SUMMARY_OPTIONS:
                    raise UsageError(
                        f"unknown summary {option!r} for metric {name!r};"
                        f" use some of {', '.join(SUMMARY_OPTIONS)}"
                    )
        if goal is not None:
            if goal not in _GOALS:
                raise UsageError(f"goal must be 'minimize' or 'maximize', not {goal!r}")
            goal = _GOALS[goal]
        if "best" in options and goal is None:
            raise UsageError(f"summary 'best' for metric {name!r} needs goal='minimize'/'maximize'")
        if step_metric is not None and step_sync is None:
            step_sync = True
        return cls(name, step_metric, step_sync, hidden, options, goal)

    def matches(self, key: str) -> bool:
        if self.name.endswith("*"):
            return key.startswith(self.name[:-1])
        return key == self.name

    def to_record(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["summary"] = list(self.summary)
        return {k: v for k, v in data.items() if v is not None}


class _Aggregate:
    __slots__ = ("count", "first", "last", "max", "min", "total")

    def __init__(self, value: float) -> None:
        self.first = self.last = self.min = self.max = value
        self.total = value if not math.isnan(value) else 0.0
        self.count = 0 if math.isnan(value) else 1

    def add(self, value: float) -> None:
        self.last = value
        if math.isnan(value):
            return
        if math.isnan(self.min) or value < self.min:
            self.min = value
        if math.isnan(self.max) or value > self.max:
            self.max = value
        self.total += value
        self.count += 1

    def view(self, options: tuple[str, ...], goal: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for option in options:
            if option == "mean":
                out["mean"] = self.total / self.count if self.count else math.nan
            elif option == "best":
                out["best"] = self.min if goal == "minimize" else self.max
            elif option in ("min", "max", "first", "last"):
                out[option] = getattr(self, option)
        return out


class Summary(DictView):
    """The run's summary: a dict with attribute access; see the module docstring."""

    _kind = "summary"

    def __init__(self, initial: Mapping[str, Any] | None = None, sink: Any = None) -> None:
        object.__setattr__(self, "_data", dict(initial or {}))
        object.__setattr__(self, "_sink", sink)  # where media assigned here keeps its files
        object.__setattr__(self, "_defs", [])
        object.__setattr__(self, "_resolved", {})
        object.__setattr__(self, "_aggregates", {})
        object.__setattr__(self, "_last", {})
        object.__setattr__(self, "dirty", False)

    # ---------------------------------------------------------------- metrics

    def define(self, definition: MetricDefinition) -> None:
        """Add (or replace) a metric definition; later rows follow it."""
        self._defs[:] = [d for d in self._defs if d.name != definition.name] + [definition]
        self._resolved.clear()

    @property
    def has_definitions(self) -> bool:
        return bool(self._defs)

    def definition_for(self, key: str) -> MetricDefinition | None:
        """The definition that applies to ``key``: an exact name wins over the longest glob."""
        try:
            return self._resolved[key]
        except KeyError:
            pass
        best: MetricDefinition | None = None
        for d in self._defs:
            if d.name == key:
                best = d
                break
            if d.matches(key) and (best is None or len(d.name) > len(best.name)):
                best = d
        self._resolved[key] = best
        return best

    def observe_row(self, row: dict[str, Any]) -> None:
        """Update the summary from a committed history row (and fill synced step metrics)."""
        object.__setattr__(self, "dirty", True)
        if not self._defs:
            self._data.update(row)
            return
        data, last = self._data, self._last
        for key in list(row):
            d = self.definition_for(key)
            metric = d.step_metric if d is not None and d.step_sync else None
            if metric and metric not in row and metric in last:
                row[metric] = last[metric]
        last.update(row)
        for key, value in row.items():
            d = self.definition_for(key)
            if d is None or not d.summary or d.summary == ("copy",):
                data[key] = value
            elif "none" in d.summary:
                data.pop(key, None)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                agg = self._aggregates.get(key)
                if agg is None:
                    agg = self._aggregates[key] = _Aggregate(float(value))
                else:
                    agg.add(float(value))
                data[key] = agg.view(d.summary, d.goal)
            elif "last" in d.summary:
                data[key] = {"last": value}

    def snapshot(self) -> dict[str, Any]:
        """A copy to put in a ``summary`` record; clears the dirty flag."""
        object.__setattr__(self, "dirty", False)
        # Most values are numbers or strings: copy only the others deeply.
        return {k: v if type(v) in _ATOMIC else copy.deepcopy(v) for k, v in self._data.items()}

    # ---------------------------------------------------------------- dict face

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        object.__setattr__(self, "dirty", True)

    def update(self, d: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        """Set summary values explicitly (they override the last logged value)."""
        from heron.sdk.values import prepare_row

        changes = {**(d or {}), **kwargs}
        for key, value in changes.items():
            if not isinstance(key, str):
                raise UsageError(f"summary keys must be strings, not {key!r}")
            if isinstance(value, Mapping):
                # Nested dicts stay nested in the summary (as in wandb).
                prepare_row({key: dict(value)}, self._sink)
                self._data[key] = copy.deepcopy(dict(value))
            else:
                self._data[key] = prepare_row({key: value}, self._sink)[0][key]
        object.__setattr__(self, "dirty", True)

    _as_dict = DictView.as_dict

    def __repr__(self) -> str:
        return f"Summary({self._data!r})"
