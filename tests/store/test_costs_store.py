"""The LLM prices part of the Store contract, and calls' costs, on SQLite, PostgreSQL and HTTP."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from heron.errors import UsageError
from heron.store import prices
from heron.store.base import Store

PROJECT = "costs"
JAN_2025 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc).timestamp()
JUN_2025 = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc).timestamp()


def a_call(seq: int, call_id: str, started_at: float, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "call",
        "id": call_id,
        "trace_id": call_id,
        "parent_id": None,
        "op_name": "llm",
        "display_name": None,
        "inputs": {},
        "attributes": {},
        "started_at": started_at,
        "output": None,
        "exception": None,
        "summary": {"status_counts": {"success": 1, "error": 0}, "usage": usage},
        "ended_at": started_at + 1,
    }


def test_add_query_purge(store: Store, entity: str) -> None:
    before = time.time()
    added = store.add_costs(
        entity,
        PROJECT,
        [
            {"llm_id": "m-1", "prompt_token_cost": 0.5, "completion_token_cost": 1},
            {
                "llm_id": "m-2",
                "prompt_token_cost": 2e-6,
                "completion_token_cost": 8e-6,
                "effective_date": JAN_2025,
                "provider_id": "acme",
                "prompt_token_cost_unit": "EUR",
                "completion_token_cost_unit": "EUR",
            },
            {
                "llm_id": "m-2",
                "prompt_token_cost": 1e-6,
                "completion_token_cost": 4e-6,
                "effective_date": JUN_2025,
            },
        ],
    )
    assert [c["llm_id"] for c in added] == ["m-1", "m-2", "m-2"]
    assert len({c["id"] for c in added}) == 3
    first = added[0]
    assert first["provider_id"] == "default"
    assert first["prompt_token_cost_unit"] == first["completion_token_cost_unit"] == "USD"
    assert before <= first["effective_date"] <= time.time()
    assert first["prompt_token_cost"] == 0.5 and first["completion_token_cost"] == 1.0

    listed = store.query_costs(entity, PROJECT)
    assert listed == sorted(added, key=lambda c: (c["llm_id"], -c["effective_date"]))
    only_m2 = store.query_costs(entity, PROJECT, llm_ids=["m-2"])
    assert [c["effective_date"] for c in only_m2] == [JUN_2025, JAN_2025]
    assert only_m2[1]["provider_id"] == "acme" and only_m2[1]["prompt_token_cost_unit"] == "EUR"
    assert store.query_costs(entity, PROJECT, cost_ids=[first["id"]]) == [first]
    assert store.query_costs(entity, PROJECT, limit=1, offset=1) == [listed[1]]
    assert store.query_costs(entity, "no-such-project") == []

    assert store.purge_costs(entity, PROJECT, [first["id"], "unknown-id"]) == 1
    assert [c["llm_id"] for c in store.query_costs(entity, PROJECT)] == ["m-2", "m-2"]
    assert store.purge_costs(entity, PROJECT, [first["id"]]) == 0


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ({"llm_id": "m", "prompt_token_cost": -1, "completion_token_cost": 1}, "prompt_token_cost"),
        ({"prompt_token_cost": 1, "completion_token_cost": 1}, "llm_id"),
        (
            {"llm_id": "m", "prompt_token_cost": 1, "completion_token_cost": 1, "price": 3},
            "price",
        ),
        (
            {"llm_id": "m", "prompt_token_cost": 1, "completion_token_cost": "x"},
            "completion_token_cost",
        ),
    ],
)
def test_bad_costs_are_refused_and_nothing_is_added(
    store: Store, entity: str, cost: dict[str, Any], message: str
) -> None:
    good = {"llm_id": "ok", "prompt_token_cost": 1, "completion_token_cost": 1}
    with pytest.raises(UsageError, match=message):
        store.add_costs(entity, PROJECT, [good, cost])
    assert store.query_costs(entity, PROJECT) == []


def test_calls_carry_costs_only_when_asked(store: Store, entity: str) -> None:
    usage = {"gpt-4o-mini-2024-07-18": {"requests": 2, "prompt_tokens": 1000, "total_tokens": 1500}}
    usage["gpt-4o-mini-2024-07-18"]["completion_tokens"] = 500
    store.apply_calls(entity, PROJECT, "log", [a_call(1, "c1", JAN_2025, usage)])

    plain = store.get_calls(entity, PROJECT)[0]
    assert "weave" not in plain["summary"]

    (call,) = store.get_calls(entity, PROJECT, include_costs=True)
    costs = call["summary"]["weave"]["costs"]
    entry = costs["gpt-4o-mini-2024-07-18"]
    builtin = prices.builtin_price("gpt-4o-mini", JAN_2025)
    assert builtin is not None
    assert entry["requests"] == 2
    assert entry["prompt_tokens"] == 1000 and entry["completion_tokens"] == 500
    assert entry["prompt_token_cost"] == pytest.approx(0.15e-6)
    assert entry["prompt_tokens_total_cost"] == pytest.approx(1000 * 0.15e-6)
    assert entry["completion_tokens_total_cost"] == pytest.approx(500 * 0.6e-6)
    assert entry["pricing_level"] == "default" and entry["llm_id"] == "gpt-4o-mini"
    assert entry["provider_id"] == "openai" and entry["prompt_token_cost_unit"] == "USD"
    assert entry["effective_date"].startswith("2024-07-18")
    assert call["summary"]["usage"] == usage  # the stored usage is untouched
    assert store.get_call(entity, PROJECT, "c1", include_costs=True) == call
    assert "weave" not in store.get_call(entity, PROJECT, "c1")["summary"]


def test_project_prices_override_the_builtin_table_from_their_date(
    store: Store, entity: str
) -> None:
    anthropic_usage = {"claude-3-5-sonnet-20241022": {"requests": 1, "input_tokens": 100}}
    anthropic_usage["claude-3-5-sonnet-20241022"]["output_tokens"] = 10
    store.apply_calls(
        entity,
        PROJECT,
        "log",
        [
            a_call(1, "early", JAN_2025, anthropic_usage),
            a_call(2, "late", JUN_2025 + 60, anthropic_usage),
            a_call(3, "unpriced", JUN_2025, {"home-made-llm": {"requests": 1, "prompt_tokens": 5}}),
        ],
    )
    store.add_costs(
        entity,
        PROJECT,
        [
            {
                "llm_id": "claude-3-5-sonnet",
                "prompt_token_cost": 1.0,
                "completion_token_cost": 2.0,
                "effective_date": JUN_2025,
            }
        ],
    )
    found = {c["id"]: c for c in store.get_calls(entity, PROJECT, include_costs=True)}
    early = found["early"]["summary"]["weave"]["costs"]["claude-3-5-sonnet-20241022"]
    late = found["late"]["summary"]["weave"]["costs"]["claude-3-5-sonnet-20241022"]
    assert early["pricing_level"] == "default"
    assert early["prompt_tokens"] == 100 and early["completion_tokens"] == 10
    assert early["prompt_tokens_total_cost"] == pytest.approx(100 * 3e-6)
    assert late["pricing_level"] == "project"
    assert late["pricing_level_id"] == f"{entity}/{PROJECT}"
    assert late["prompt_tokens_total_cost"] == pytest.approx(100.0)
    assert late["completion_tokens_total_cost"] == pytest.approx(20.0)
    assert "weave" not in found["unpriced"]["summary"]

    # A newer project price of the exact model wins over the prefix's.
    store.add_costs(
        entity,
        PROJECT,
        [
            {
                "llm_id": "claude-3-5-sonnet-20241022",
                "prompt_token_cost": 0.0,
                "completion_token_cost": 0.0,
                "effective_date": JAN_2025,
            }
        ],
    )
    again = store.get_call(entity, PROJECT, "late", include_costs=True)
    entry = again["summary"]["weave"]["costs"]["claude-3-5-sonnet-20241022"]
    assert entry["llm_id"] == "claude-3-5-sonnet-20241022"
    assert entry["prompt_tokens_total_cost"] == 0.0
