"""Evaluation gates: an alias that needs the version's newest evaluation to pass a threshold.

The Store contract on SQLite, PostgreSQL and a server: the store finds the
newest finished ``Evaluation.evaluate`` call whose ``heron.artifact``
attribute names the version and refuses the alias with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from heron.artifacts.entities import ManifestEntry
from heron.errors import InvalidValueError, UsageError
from heron.store.base import Store

RULE = {"kind": "evaluation", "scorer": "correct.true_fraction", "op": ">=", "value": 0.8}


def _version(store: Store, entity: str, content: bytes) -> int:
    entry = ManifestEntry("model.pt", store.blobs.put(content), len(content))
    return store.log_artifact(entity, "p", "cnn", "model", [entry]).version.version


def _evaluation(
    seq: int,
    artifact: str | None,
    fraction: float | None,
    *,
    op_name: str = "Evaluation.evaluate",
    exception: str | None = None,
    ended: bool = True,
) -> list[dict[str, Any]]:
    call_id = f"eval-{seq}"
    start = {
        "seq": seq * 2,
        "type": "call_start",
        "id": call_id,
        "trace_id": call_id,
        "parent_id": None,
        "op_name": op_name,
        "display_name": None,
        "inputs": {},
        "attributes": {} if artifact is None else {"heron.artifact": artifact},
        "started_at": float(seq),
    }
    output = None if fraction is None else {"correct": {"true_fraction": fraction}}
    end = {
        "seq": seq * 2 + 1,
        "type": "call_end",
        "id": call_id,
        "output": output,
        "exception": exception,
        "summary": {},
        "ended_at": seq + 0.5,
    }
    return [start, end] if ended else [start]


def test_an_evaluation_gate_checks_the_newest_evaluation_of_the_version(
    store: Store, entity: str
) -> None:
    for content in (b"weak", b"strong", b"unscored"):
        _version(store, entity, content)
    for ref in ("v0", "v1", "v2"):
        store.link_version(entity, "model", "m", entity, "p", "cnn", ref)
    assert store.set_alias_rule(entity, "model", "m", "production", RULE).rules == {
        "production": RULE
    }
    with pytest.raises(UsageError, match=r"no finished evaluation of .*/p/cnn:v0 was found"):
        store.set_collection_alias(entity, "model", "m", "production", 0)

    records = [
        *_evaluation(1, f"{entity}/p/cnn:v0", 0.5),
        *_evaluation(2, "cnn:v1", 0.9),  # the short form names it too
        *_evaluation(3, "cnn:v1", 0.99, exception="RuntimeError: boom"),  # failed: ignored
        *_evaluation(4, "cnn:v1", 0.1, ended=False),  # still running: ignored
        *_evaluation(5, "cnn:v1", 0.1, op_name="other"),  # not an evaluation
        *_evaluation(6, "cnn:v2", None),  # no summary at the scorer's path
    ]
    store.apply_calls(entity, "p", "log", records)
    with pytest.raises(
        UsageError,
        match=r"requires an evaluation with 'correct.true_fraction' >= 0.8,"
        r" but evaluation eval-1 has 0.5; m v0 cannot take it",
    ):
        store.set_collection_alias(entity, "model", "m", "production", 0)
    with pytest.raises(UsageError, match="evaluation eval-6 has no such number"):
        store.set_collection_alias(entity, "model", "m", "production", 2)
    with pytest.raises(UsageError, match=r"eval-1 has 0\.5"):  # linking with the alias obeys it too
        store.link_version(entity, "model", "m", entity, "p", "cnn", "v0", aliases=["production"])
    assert store.set_collection_alias(entity, "model", "m", "production", 1).version == 1

    # A newer evaluation of v1 that fails the threshold decides from then on.
    store.apply_calls(entity, "p", "log", _evaluation(7, f"{entity}/p/cnn:v1", 0.6))
    with pytest.raises(UsageError, match=r"eval-7 has 0\.6"):
        store.set_collection_alias(entity, "model", "m", "production", 1)


def test_evaluation_rules_are_checked(store: Store, entity: str) -> None:
    _version(store, entity, b"x")
    store.link_version(entity, "model", "m", entity, "p", "cnn", "v0")
    for bad, message in (
        ({**RULE, "scorer": ""}, "path into the evaluation summary"),
        ({**RULE, "op": "=>"}, "op must be one of"),
        ({**RULE, "value": "high"}, "finite number"),
        ({"kind": "evaluation", "op": ">=", "value": 1}, "an evaluation rule is"),
    ):
        with pytest.raises(InvalidValueError, match=message):
            store.set_alias_rule(entity, "model", "m", "production", bad)
