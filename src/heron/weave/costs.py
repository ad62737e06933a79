"""LLM prices of a project, as ``client.add_cost`` / ``query_costs`` / ``purge_costs`` see them.

The costs of calls are computed by the store from these prices and the
built-in table (:mod:`heron.store.prices`); read them with
``client.get_calls(include_costs=True)`` under ``summary["weave"]["costs"]``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from heron.errors import UsageError


@dataclasses.dataclass(frozen=True)
class CostCreateRes:
    """What ``add_cost`` answers: ``ids`` holds ``(llm_id, cost id)`` pairs."""

    ids: list[tuple[str, str]]


@dataclasses.dataclass(frozen=True)
class Cost:
    """One price of the project: per-token costs of ``llm_id`` from ``effective_date`` on."""

    id: str
    llm_id: str
    provider_id: str
    prompt_token_cost: float
    completion_token_cost: float
    prompt_token_cost_unit: str
    completion_token_cost_unit: str
    effective_date: dt.datetime
    created_at: dt.datetime

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Cost:
        """From a store row, whose dates are Unix seconds (these are aware UTC datetimes)."""
        fields = {f.name: row[f.name] for f in dataclasses.fields(cls)}
        for key in ("effective_date", "created_at"):
            fields[key] = dt.datetime.fromtimestamp(row[key], dt.timezone.utc)
        return cls(**fields)


def to_seconds(when: Any) -> float | None:
    """``effective_date`` as Unix seconds: a datetime (naive means UTC), a date (its
    midnight UTC), an ISO 8601 string, or a number of seconds; None stays None."""
    if when is None:
        return None
    if isinstance(when, str):
        try:
            when = dt.datetime.fromisoformat(when)
        except ValueError:
            raise UsageError(
                f"effective_date {when!r} is not an ISO 8601 date such as 2025-04-22"
            ) from None
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return when.timestamp()
    if isinstance(when, dt.date):
        return dt.datetime(when.year, when.month, when.day, tzinfo=dt.timezone.utc).timestamp()
    if isinstance(when, (int, float)) and not isinstance(when, bool) and math.isfinite(when):
        return float(when)
    raise UsageError(
        "effective_date must be a datetime, a date, an ISO 8601 string or Unix seconds,"
        f" not {when!r}"
    )
