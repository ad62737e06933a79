"""Heron's benchmarks: ``python -m benchmarks.run`` runs them all and prints one table.

A benchmark module holds functions named ``bench_*`` that take ``quick: bool``
and return a :class:`Result` (or a list of them). ``run.py`` finds them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Result:
    """One measured number, with the target it must meet (``None``: no target)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    """The value must stay at or below this (lower is better for every number here)."""
    baseline: float | None = None
    """The same measure for the plain-Python baseline, when there is one."""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def ok(self) -> bool | None:
        return None if self.target is None else self.value <= self.target

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Result:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})  # type: ignore[arg-type]
