"""log()'s step and commit rules, case by case against wandb's."""

from __future__ import annotations

from typing import Any

import pytest

from heron.errors import InvalidValueError, StepError
from heron.sdk.client import Client

from .conftest import history, log_records

# Each case: calls as (data, step, commit), then the committed rows with their _step.
CASES: dict[
    str, tuple[list[tuple[dict[str, Any], int | None, bool | None]], list[dict[str, Any]]]
] = {
    "each call commits": (
        [({"a": 1}, None, None), ({"a": 2}, None, None)],
        [{"a": 1, "_step": 0}, {"a": 2, "_step": 1}],
    ),
    "commit=False merges into the pending row": (
        [({"a": 1}, None, False), ({"b": 2}, None, None)],
        [{"a": 1, "b": 2, "_step": 0}],
    ),
    "later value of a pending key wins": (
        [({"a": 1}, None, False), ({"a": 2}, None, False), ({}, None, True)],
        [{"a": 2, "_step": 0}],
    ),
    "same explicit step merges, finish commits": (
        [({"a": 1}, 5, None), ({"b": 2}, 5, None)],
        [{"a": 1, "b": 2, "_step": 5}],
    ),
    "larger step flushes the pending row": (
        [({"a": 1}, 5, None), ({"b": 2}, 6, None)],
        [{"a": 1, "_step": 5}, {"b": 2, "_step": 6}],
    ),
    "smaller step is dropped": (
        [({"a": 1}, None, None), ({"b": 1}, 0, None), ({"c": 1}, None, None)],
        [{"a": 1, "_step": 0}, {"c": 1, "_step": 1}],
    ),
    "explicit step with commit=True commits at once": (
        [({"a": 1}, 3, True), ({"b": 1}, None, None)],
        [{"a": 1, "_step": 3}, {"b": 1, "_step": 4}],
    ),
    "no step after an explicit step commits that step": (
        [({"a": 1}, 2, None), ({"b": 1}, None, None), ({"c": 1}, None, None)],
        [{"a": 1, "b": 1, "_step": 2}, {"c": 1, "_step": 3}],
    ),
    "jump flushes a commit=False row at the current step": (
        [({"a": 1}, None, False), ({"b": 1}, 4, None)],
        [{"a": 1, "_step": 0}, {"b": 1, "_step": 4}],
    ),
    "commit=False with an explicit step stays pending": (
        [({"a": 1}, 1, False), ({"b": 1}, 1, False), ({"c": 1}, 2, None)],
        [{"a": 1, "b": 1, "_step": 1}, {"c": 1, "_step": 2}],
    ),
    "nested dicts flatten": (
        [({"eval": {"acc": 1, "deep": {"x": 2}}}, None, None)],
        [{"eval/acc": 1, "eval/deep/x": 2, "_step": 0}],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_step_rules(client: Client, case: str) -> None:
    calls, expected = CASES[case]
    run = client.init(project="steps")
    for data, step, commit in calls:
        run.log(data, step=step, commit=commit)
    run.finish()
    assert history(run) == expected


def test_step_property_follows_commits(client: Client) -> None:
    run = client.init(project="steps")
    assert run.step == 0
    run.log({"a": 1})
    assert run.step == 1
    run.log({"a": 1}, step=7)
    assert run.step == 7
    run.log({"a": 1})
    assert run.step == 8


def test_every_row_is_stamped(client: Client) -> None:
    run = client.init(project="steps")
    run.log({"a": 1})
    run.finish()
    (record,) = log_records(run, "history")
    row = record["row"]
    assert set(row) == {"a", "_step", "_runtime", "_timestamp"}
    assert 0 <= row["_runtime"] < 60
    assert row["_timestamp"] >= run.start_time


def test_smaller_step_notice_names_both_steps(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    run = client.init(project="steps", settings={"silent": False})
    run.log({"a": 1}, step=10)
    run.log({"a": 2}, step=3)
    err = capsys.readouterr().err
    assert "step 3 is smaller than the current step 10" in err


def test_strict_steps_raise(client: Client) -> None:
    run = client.init(project="steps", settings={"strict_steps": True})
    run.log({"a": 1}, step=10)
    with pytest.raises(StepError, match=r"step 3 .* current step 10"):
        run.log({"a": 2}, step=3)


@pytest.mark.parametrize("bad", [1.5, "3", -1, True])
def test_bad_step_values(client: Client, bad: Any) -> None:
    run = client.init(project="steps")
    with pytest.raises(InvalidValueError, match="step"):
        run.log({"a": 1}, step=bad)
