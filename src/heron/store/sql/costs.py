"""LLM prices of a project (``weave_costs``) and the costs of calls computed from them.

:class:`heron.store.sql.SqlStore` delegates its cost methods here. A call's
cost is computed when it is read (``include_costs``), never stored: a price
added later applies to past calls that started after its effective date.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from heron.entities import check_name
from heron.errors import UsageError
from heron.store import prices
from heron.store.sql import statements as q
from heron.store.sql.engine import read, write
from heron.store.sql.tables import projects, weave_costs

COST_FIELDS = (
    "id",
    "llm_id",
    "provider_id",
    "prompt_token_cost",
    "completion_token_cost",
    "prompt_token_cost_unit",
    "completion_token_cost_unit",
    "effective_date",
    "created_at",
)
_REQUIRED = ("llm_id", "prompt_token_cost", "completion_token_cost")
_OPTIONAL = (
    "effective_date",
    "prompt_token_cost_unit",
    "completion_token_cost_unit",
    "provider_id",
)
_COLUMNS = [weave_costs.c[name] for name in COST_FIELDS]
_IN_CHUNK = 500


# ------------------------------------------------------------------ prices


def check_cost(cost: Any, now: float) -> dict[str, Any]:
    """One price to add, validated, with defaults filled in; UsageError names the problem."""
    if not isinstance(cost, dict):
        raise UsageError(f"a cost must be a dict, not {type(cost).__name__}")
    unknown = set(cost) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise UsageError(
            f"unknown cost field(s) {', '.join(sorted(unknown))}:"
            f" use {', '.join(_REQUIRED + _OPTIONAL)}"
        )
    missing = [k for k in _REQUIRED if cost.get(k) is None]
    if missing:
        raise UsageError(f"a cost needs {', '.join(missing)}")
    llm_id = cost["llm_id"]
    if not isinstance(llm_id, str) or not 1 <= len(llm_id) <= 256:
        raise UsageError(f"llm_id must be a string of 1-256 characters, not {llm_id!r}")
    row: dict[str, Any] = {"llm_id": llm_id}
    for key in ("prompt_token_cost", "completion_token_cost"):
        value = cost[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise UsageError(f"{key} must be a non-negative number (per token), not {value!r}")
        row[key] = float(value)
    for key, default, most in (
        ("prompt_token_cost_unit", prices.DEFAULT_UNIT, 16),
        ("completion_token_cost_unit", prices.DEFAULT_UNIT, 16),
        ("provider_id", prices.DEFAULT_PROVIDER, 128),
    ):
        value = cost.get(key)
        value = default if value is None else value
        if not isinstance(value, str) or not 1 <= len(value) <= most:
            raise UsageError(f"{key} must be a string of 1-{most} characters, not {value!r}")
        row[key] = value
    when = cost.get("effective_date")
    if when is None:
        when = now
    if isinstance(when, bool) or not isinstance(when, (int, float)) or not math.isfinite(when):
        raise UsageError(f"effective_date must be a time in Unix seconds, not {when!r}")
    row["effective_date"] = float(when)
    return row


def add_costs(
    engine: sa.Engine, dialect: str, entity: str, project: str, costs: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """See :meth:`heron.store.base.Store.add_costs`."""
    check_name("entity", entity)
    check_name("project", project)
    if isinstance(costs, dict) or not isinstance(costs, Sequence):
        raise UsageError("costs must be a list of cost dicts")
    now = time.time()
    rows = [check_cost(cost, now) for cost in costs]
    if not rows:
        return []
    for row in rows:
        row["id"] = str(uuid.uuid4())
        row["created_at"] = now
    with write(engine) as conn:
        names = {"entity": entity, "project": project}
        project_id = conn.execute(q.PROJECT_ID, names).scalar()
        if project_id is None:
            conn.execute(
                q.INSERT_PROJECT[dialect],
                {"entity": entity, "name": project, "created_at": now, "last_activity": now},
            )
            project_id = conn.execute(q.PROJECT_ID, names).scalar_one()
        conn.execute(weave_costs.insert(), [{**row, "project_id": project_id} for row in rows])
    return [{name: row[name] for name in COST_FIELDS} for row in rows]


def _project_id(entity: str, project: str) -> Any:
    return (
        sa.select(projects.c.id)
        .where(projects.c.entity == entity, projects.c.name == project)
        .scalar_subquery()
    )


def _strings(values: Any, what: str) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise UsageError(f"{what} must be a list of strings, not {values!r}")
    if not all(isinstance(v, str) for v in values):
        raise UsageError(f"{what} must hold only strings, not {values!r}")
    return list(values)


def query_costs(
    engine: sa.Engine,
    entity: str,
    project: str,
    *,
    llm_ids: Sequence[str] | None,
    cost_ids: Sequence[str] | None,
    limit: int | None,
    offset: int,
) -> list[dict[str, Any]]:
    """See :meth:`heron.store.base.Store.query_costs`."""
    wanted_llms = _strings(llm_ids, "llm_ids")
    wanted_ids = _strings(cost_ids, "cost_ids")
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise UsageError(f"{name} must be a non-negative integer, not {value!r}")
    query = sa.select(*_COLUMNS).where(weave_costs.c.project_id == _project_id(entity, project))
    if wanted_llms is not None:
        query = query.where(weave_costs.c.llm_id.in_(wanted_llms))
    if wanted_ids is not None:
        query = query.where(weave_costs.c.id.in_(wanted_ids))
    query = query.order_by(
        weave_costs.c.llm_id, weave_costs.c.effective_date.desc(), weave_costs.c.id
    )
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    with read(engine) as conn:
        return [dict(zip(COST_FIELDS, row, strict=True)) for row in conn.execute(query)]


def purge_costs(engine: sa.Engine, entity: str, project: str, cost_ids: Sequence[str]) -> int:
    """See :meth:`heron.store.base.Store.purge_costs`."""
    ids = _strings(cost_ids, "cost_ids") or []
    purged = 0
    with write(engine) as conn:
        project_id = conn.execute(q.PROJECT_ID, {"entity": entity, "project": project}).scalar()
        if project_id is None:
            return 0
        for chunk in _chunks(list(dict.fromkeys(ids))):
            result = conn.execute(
                weave_costs.delete().where(
                    weave_costs.c.project_id == project_id, weave_costs.c.id.in_(chunk)
                )
            )
            purged += result.rowcount or 0
    return purged


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


# ------------------------------------------------------------------ costs of calls


def attach_costs(
    engine: sa.Engine, entity: str, project: str, calls: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Add ``summary["weave"]["costs"]`` to each call whose usage names a priced model.

    One query fetches the project's prices for every model of the page;
    see :meth:`heron.store.base.Store.get_calls` for the shape.
    """
    models: set[str] = set()
    for call in calls:
        usage = _usage(call)
        if usage:
            models.update(str(m) for m in usage)
    if not models:
        return calls
    ids = sorted({llm_id for m in models for llm_id in prices.candidate_ids(m)})
    own: dict[str, list[dict[str, Any]]] = {}
    with read(engine) as conn:
        for chunk in _chunks(ids):
            query = (
                sa.select(*_COLUMNS)
                .where(
                    weave_costs.c.project_id == _project_id(entity, project),
                    weave_costs.c.llm_id.in_(chunk),
                )
                .order_by(weave_costs.c.effective_date, weave_costs.c.created_at)
            )
            for row in conn.execute(query):
                cost = dict(zip(COST_FIELDS, row, strict=True))
                own.setdefault(cost["llm_id"], []).append(cost)
    pricing_id = f"{entity}/{project}"
    for call in calls:
        usage = _usage(call)
        if not usage:
            continue
        costs = {}
        for model, counts in usage.items():
            if isinstance(counts, dict):
                found = _price_of(str(model), call.get("started_at") or 0.0, own, pricing_id)
                if found is not None:
                    costs[str(model)] = cost_entry(counts, found)
        if costs:
            summary = call.get("summary")
            summary = dict(summary) if isinstance(summary, dict) else {}
            weave = summary.get("weave")
            summary["weave"] = {**(weave if isinstance(weave, dict) else {}), "costs": costs}
            call["summary"] = summary
    return calls


def _usage(call: dict[str, Any]) -> dict[str, Any] | None:
    summary = call.get("summary")
    usage = summary.get("usage") if isinstance(summary, dict) else None
    return usage if isinstance(usage, dict) else None


def _price_of(
    model: str, at: float, own: dict[str, list[dict[str, Any]]], pricing_id: str
) -> dict[str, Any] | None:
    """The project's price in force at ``at`` (most specific id first), else the built-in one."""
    for llm_id in prices.candidate_ids(model):
        in_force = None
        for row in own.get(llm_id, ()):
            if row["effective_date"] <= at:
                in_force = row
        if in_force is not None:
            return {**in_force, "pricing_level": "project", "pricing_level_id": pricing_id}
    price = prices.builtin_price(model, at)
    if price is None:
        return None
    return {
        "id": None,
        "llm_id": price.llm_id,
        "provider_id": price.provider_id,
        "prompt_token_cost": price.prompt_token_cost,
        "completion_token_cost": price.completion_token_cost,
        "prompt_token_cost_unit": price.prompt_token_cost_unit,
        "completion_token_cost_unit": price.completion_token_cost_unit,
        "effective_date": price.effective_date,
        "created_at": None,
        "pricing_level": "default",
        "pricing_level_id": "default",
    }


def _count(counts: dict[str, Any], *keys: str) -> float:
    for key in keys:
        value = counts.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return 0


def cost_entry(counts: dict[str, Any], price: dict[str, Any]) -> dict[str, Any]:
    """One model's entry of ``summary["weave"]["costs"]``: its usage with the price applied.

    Prompt tokens are ``prompt_tokens`` (OpenAI) or ``input_tokens``
    (Anthropic, the Responses API); completion tokens likewise
    ``completion_tokens`` or ``output_tokens``.
    """
    prompt = _count(counts, "prompt_tokens", "input_tokens")
    completion = _count(counts, "completion_tokens", "output_tokens")
    entry: dict[str, Any] = {k: v for k, v in counts.items() if isinstance(v, (int, float))}
    entry.setdefault("requests", 0)
    entry["prompt_tokens"] = prompt
    entry["completion_tokens"] = completion
    entry.setdefault("total_tokens", prompt + completion)
    entry.update(
        {
            "prompt_tokens_total_cost": prompt * price["prompt_token_cost"],
            "completion_tokens_total_cost": completion * price["completion_token_cost"],
            "prompt_token_cost": price["prompt_token_cost"],
            "completion_token_cost": price["completion_token_cost"],
            "prompt_token_cost_unit": price["prompt_token_cost_unit"],
            "completion_token_cost_unit": price["completion_token_cost_unit"],
            "effective_date": _iso(price["effective_date"]),
            "provider_id": price["provider_id"],
            "pricing_level": price["pricing_level"],
            "pricing_level_id": price["pricing_level_id"],
            "llm_id": price["llm_id"],
            "cost_id": price["id"],
            "created_at": _iso(price["created_at"]),
        }
    )
    return entry


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat()
