"""The built-in LLM price table, and how a model name finds its price.

Calls' costs (``get_calls(..., include_costs=True)``) come from a project's
own prices (``add_cost``, stored in ``weave_costs``) where it has one for
the model, else from this table. Prices are list prices in USD per token,
each effective from the date its row names; the row in force when a call
started applies. They go stale: override them per project with
``client.add_cost`` rather than trusting them for billing. Cached-input and
batch discounts are not modelled.

A model name finds its price by its longest dash-separated prefix that has
one: ``gpt-4o-mini-2024-07-18`` → ``gpt-4o-mini``,
``claude-3-5-sonnet-20241022`` → ``claude-3-5-sonnet``; a provider prefix
(``openai/gpt-4o``) is dropped first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

DEFAULT_UNIT = "USD"
DEFAULT_PROVIDER = "default"
_PER_MILLION = 1e-6


@dataclasses.dataclass(frozen=True)
class Price:
    """One row of the price table: per-token costs of a model from ``effective_date`` on."""

    llm_id: str
    provider_id: str
    prompt_token_cost: float
    completion_token_cost: float
    effective_date: float
    """Unix seconds (midnight UTC of the row's date)."""
    prompt_token_cost_unit: str = DEFAULT_UNIT
    completion_token_cost_unit: str = DEFAULT_UNIT


def _row(
    llm_id: str, provider: str, day: str, prompt_per_m: float, completion_per_m: float
) -> Price:
    when = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp()
    return Price(
        llm_id, provider, prompt_per_m * _PER_MILLION, completion_per_m * _PER_MILLION, when
    )


# (model, provider, effective from, USD per million prompt tokens, per million completion tokens)
BUILTIN_PRICES: tuple[Price, ...] = (
    _row("gpt-4o", "openai", "2024-05-13", 5.0, 15.0),
    _row("gpt-4o", "openai", "2024-10-02", 2.5, 10.0),
    _row("gpt-4o-2024-05-13", "openai", "2024-05-13", 5.0, 15.0),
    _row("gpt-4o-2024-08-06", "openai", "2024-08-06", 2.5, 10.0),
    _row("gpt-4o-2024-11-20", "openai", "2024-11-20", 2.5, 10.0),
    _row("gpt-4o-mini", "openai", "2024-07-18", 0.15, 0.6),
    _row("gpt-4.1", "openai", "2025-04-14", 2.0, 8.0),
    _row("gpt-4.1-mini", "openai", "2025-04-14", 0.4, 1.6),
    _row("gpt-4.1-nano", "openai", "2025-04-14", 0.1, 0.4),
    _row("gpt-4-turbo", "openai", "2024-04-09", 10.0, 30.0),
    _row("gpt-4", "openai", "2023-03-14", 30.0, 60.0),
    _row("gpt-3.5-turbo", "openai", "2024-01-25", 0.5, 1.5),
    _row("gpt-5", "openai", "2025-08-07", 1.25, 10.0),
    _row("gpt-5-mini", "openai", "2025-08-07", 0.25, 2.0),
    _row("gpt-5-nano", "openai", "2025-08-07", 0.05, 0.4),
    _row("o1", "openai", "2024-12-17", 15.0, 60.0),
    _row("o1-mini", "openai", "2024-09-12", 3.0, 12.0),
    _row("o3", "openai", "2025-04-16", 10.0, 40.0),
    _row("o3", "openai", "2025-06-10", 2.0, 8.0),
    _row("o3-mini", "openai", "2025-01-31", 1.1, 4.4),
    _row("o4-mini", "openai", "2025-04-16", 1.1, 4.4),
    _row("text-embedding-3-small", "openai", "2024-01-25", 0.02, 0.0),
    _row("text-embedding-3-large", "openai", "2024-01-25", 0.13, 0.0),
    _row("text-embedding-ada-002", "openai", "2022-12-15", 0.1, 0.0),
    _row("claude-3-opus", "anthropic", "2024-02-29", 15.0, 75.0),
    _row("claude-3-sonnet", "anthropic", "2024-02-29", 3.0, 15.0),
    _row("claude-3-haiku", "anthropic", "2024-03-07", 0.25, 1.25),
    _row("claude-3-5-sonnet", "anthropic", "2024-06-20", 3.0, 15.0),
    _row("claude-3-5-haiku", "anthropic", "2024-10-22", 0.8, 4.0),
    _row("claude-3-7-sonnet", "anthropic", "2025-02-19", 3.0, 15.0),
    _row("claude-sonnet-4", "anthropic", "2025-05-14", 3.0, 15.0),
    _row("claude-opus-4", "anthropic", "2025-05-14", 15.0, 75.0),
    _row("claude-opus-4-1", "anthropic", "2025-08-05", 15.0, 75.0),
    _row("claude-sonnet-4-5", "anthropic", "2025-09-29", 3.0, 15.0),
    _row("claude-haiku-4-5", "anthropic", "2025-10-01", 1.0, 5.0),
    _row("claude-opus-4-5", "anthropic", "2025-11-24", 5.0, 25.0),
)


@functools.cache
def _by_id() -> dict[str, tuple[Price, ...]]:
    table: dict[str, list[Price]] = {}
    for price in BUILTIN_PRICES:
        table.setdefault(price.llm_id, []).append(price)
    return {k: tuple(sorted(v, key=lambda p: p.effective_date)) for k, v in table.items()}


def candidate_ids(model: str) -> list[str]:
    """The ids a model's price is looked up under, most specific first.

    >>> candidate_ids("openai/gpt-4o-mini-2024-07-18")[:2]
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini-2024-07']
    """
    name = model.rsplit("/", 1)[-1]
    parts = name.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def effective(rows: tuple[Price, ...] | list[Price], at: float) -> Price | None:
    """The row in force at ``at`` (the newest not after it) of one model's rows, oldest first."""
    found = None
    for row in rows:
        if row.effective_date <= at:
            found = row
    return found


def builtin_price(model: str, at: float) -> Price | None:
    """The built-in price of ``model`` for a call started at ``at`` (Unix seconds), or None.

    Before a model's first dated row, that first row applies.
    """
    table = _by_id()
    for llm_id in candidate_ids(model):
        rows = table.get(llm_id)
        if rows:
            return effective(rows, at) or rows[0]
    return None
