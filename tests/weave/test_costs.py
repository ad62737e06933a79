"""client.add_cost / query_costs / purge_costs and get_calls(include_costs=True)."""

from __future__ import annotations

import datetime as dt

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient
from heron.weave.costs import Cost


@weave.op
def fake_llm(model: str) -> dict[str, object]:
    return {"model": model, "usage": {"prompt_tokens": 100, "completion_tokens": 10}}


def test_prices_by_any_date_form_query_and_purge(embedded: WeaveClient) -> None:
    jan = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    made = [
        embedded.add_cost("m", 1.0, 2.0, effective_date=dt.datetime(2025, 1, 1)),  # naive: UTC
        embedded.add_cost("m", 3.0, 4.0, effective_date=dt.date(2025, 2, 1)),
        embedded.add_cost("m", 5.0, 6.0, effective_date="2025-03-01T00:00:00+00:00"),
        embedded.add_cost("n", 0.5, 0.5, effective_date=jan.timestamp(), provider_id="acme"),
    ]
    ids = [res.ids[0][1] for res in made]
    assert [res.ids[0][0] for res in made] == ["m", "m", "m", "n"]
    costs = embedded.query_costs(llm_ids=["m"])
    assert all(isinstance(c, Cost) for c in costs)
    assert [c.effective_date.month for c in costs] == [3, 2, 1]  # newest first
    assert costs[2].effective_date == jan
    (one,) = embedded.query_costs(ids[3])
    assert one.provider_id == "acme" and one.prompt_token_cost_unit == "USD"
    assert len(embedded.query_costs(limit=2)) == 2
    embedded.purge_costs(ids[3])
    embedded.purge_costs(ids[:2])
    assert [c.id for c in embedded.query_costs()] == [ids[2]]


def test_bad_cost_arguments_raise(embedded: WeaveClient) -> None:
    with pytest.raises(UsageError, match="ISO 8601"):
        embedded.add_cost("m", 1, 2, effective_date="yesterday")
    with pytest.raises(UsageError, match="prompt_token_cost"):
        embedded.add_cost("m", -1, 2)
    with pytest.raises(UsageError, match="llm_ids must be a list"):
        embedded.query_costs(llm_ids="m")  # type: ignore[arg-type]
    assert embedded.query_costs() == []


def test_costs_roll_up_to_the_trace_root(embedded: WeaveClient) -> None:
    @weave.op
    def pipeline() -> None:
        fake_llm("house-llm")
        fake_llm("house-llm")
        fake_llm("gpt-4o-mini")

    embedded.add_cost("house-llm", 0.001, 0.01, effective_date=dt.date(2000, 1, 1))
    pipeline()
    root = embedded.get_calls(filter={"trace_roots_only": True}, include_costs=True)[0]
    costs = root.summary["weave"]["costs"]
    assert costs["house-llm"]["requests"] == 2
    assert costs["house-llm"]["prompt_tokens_total_cost"] == pytest.approx(200 * 0.001)
    assert costs["house-llm"]["completion_tokens_total_cost"] == pytest.approx(20 * 0.01)
    assert costs["gpt-4o-mini"]["pricing_level"] == "default"
    sliced = embedded.get_calls(include_costs=True)[1:]
    assert all("costs" in c.summary["weave"] for c in sliced)
