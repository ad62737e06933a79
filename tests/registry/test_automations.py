"""Automations send real HTTP to a receiver on loopback, from the embedded store's worker
and from the server's, signed, retried and recorded, without blocking the caller."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from heron.artifacts.entities import ManifestEntry
from heron.artifacts.registry import SIGNATURE_HEADER, verify_signature
from heron.entities import RunKey
from heron.store.base import Store
from heron.store.sql import SqlStore
from tests.registry.conftest import Receiver, wait_for

FAST = {"backoff": 0.05, "timeout": 2.0}


def _log(
    store: Store, entity: str, name: str, type: str, content: bytes, run: RunKey | None = None
) -> int:
    entry = ManifestEntry("f.bin", store.blobs.put(content), len(content))
    return store.log_artifact(entity, "p", name, type, [entry], run=run).version.version


def _settled(store: Store, entity: str, automation_id: int, count: int = 1) -> Callable[[], Any]:
    def check() -> Any:
        found = store.list_deliveries(entity, automation_id)
        if len(found) >= count and all(d.status != "pending" for d in found):
            return found
        return None

    return check


def test_webhook_is_templated_signed_and_recorded(
    store: Store, entity: str, receiver: Receiver
) -> None:
    auto = store.create_automation(
        entity,
        "new-model",
        {"event": "artifact_version_created", "type": "model"},
        {
            "kind": "webhook",
            "url": receiver.url("/hook"),
            "headers": {"X-Team": "ml"},
            "payload": {"text": "new ${artifact_name} ${version}", "aliases": "${aliases}"},
            **FAST,
        },
        project="p",
        secret="s3cret",
    )
    _log(store, entity, "data", "dataset", b"d")  # another type: no event
    _log(store, entity, "cnn", "model", b"m0")
    _log(store, entity, "cnn", "model", b"m0")  # the same content: no new version, no event
    [delivery] = wait_for(_settled(store, entity, auto.id), what="the delivery")
    [request] = receiver.received("/hook")
    assert verify_signature("s3cret", request["body"], request["headers"][SIGNATURE_HEADER])
    assert not verify_signature("wrong", request["body"], request["headers"][SIGNATURE_HEADER])
    assert request["headers"]["X-Team"] == "ml"
    assert request["headers"]["X-Heron-Event"] == "artifact_version_created"
    assert json.loads(request["body"]) == {"text": "new cnn v0", "aliases": ["latest"]}
    assert (delivery.status, delivery.response_code, delivery.error) == ("delivered", 200, None)
    assert delivery.duration_ms is not None and delivery.duration_ms >= 0
    assert [a["status_code"] for a in delivery.attempts] == [200]
    assert delivery.request is not None and delivery.request["url"] == receiver.url("/hook")
    assert delivery.event["artifact_version"] == f"{entity}/p/cnn:v0"


def test_500_answers_are_retried_with_backoff(
    store: Store, entity: str, receiver: Receiver
) -> None:
    receiver.plan["/flaky"] = [500, 503]
    auto = store.create_automation(
        entity,
        "flaky",
        {"event": "version_linked"},
        {"kind": "webhook", "url": receiver.url("/flaky"), "retries": 3, **FAST},
    )
    _log(store, entity, "cnn", "model", b"m")
    store.link_version(entity, "model", "digits", entity, "p", "cnn", "v0")
    [delivery] = wait_for(_settled(store, entity, auto.id), what="the retried delivery")
    assert delivery.status == "delivered"
    assert [a["status_code"] for a in delivery.attempts] == [500, 503, 200]
    assert delivery.attempts[0]["error"].startswith("HTTP 500")
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(delivery.attempts)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # backoff doubles
    assert len(receiver.received("/flaky")) == 3


def test_timeouts_are_recorded_and_the_delivery_fails_when_retries_run_out(
    store: Store, entity: str, receiver: Receiver
) -> None:
    receiver.plan["/slow"] = [("slow", 1.0), ("slow", 1.0)]
    auto = store.create_automation(
        entity,
        "slow",
        {"event": "alias_added", "alias": "prod*"},
        {
            "kind": "webhook",
            "url": receiver.url("/slow"),
            "retries": 1,
            "backoff": 0.05,
            "timeout": 0.2,
        },
    )
    _log(store, entity, "cnn", "model", b"m")
    store.link_version(entity, "model", "digits", entity, "p", "cnn", "v0", aliases=["staging"])
    started = time.monotonic()
    store.set_collection_alias(entity, "model", "digits", "production", 0)
    assert time.monotonic() - started < 0.9  # the caller never waits for the webhook
    [delivery] = wait_for(_settled(store, entity, auto.id), what="the failed delivery")
    assert delivery.status == "failed"
    assert [a["error"] for a in delivery.attempts] == ["timed out after 0.2 s"] * 2
    assert delivery.event["alias"] == "production"  # "staging" did not match "prod*"


def test_run_events_and_disabled_automations(store: Store, entity: str, receiver: Receiver) -> None:
    finished = store.create_automation(
        entity,
        "failed-runs",
        {"event": "run_finished", "states": ["failed"]},
        {"kind": "webhook", "url": receiver.url("/failed"), **FAST},
    )
    metric = store.create_automation(
        entity,
        "accurate",
        {"event": "run_metric", "key": "acc", "op": ">=", "value": 0.9},
        {"kind": "webhook", "url": receiver.url("/metric"), **FAST},
    )
    off = store.create_automation(
        entity,
        "off",
        {"event": "run_finished"},
        {"kind": "webhook", "url": receiver.url("/off"), **FAST},
        enabled=False,
    )
    ok, bad = RunKey(entity, "p", "ok"), RunKey(entity, "p", "bad")
    store.apply(
        ok, "s", [{"seq": 1, "type": "run"}, {"seq": 2, "type": "summary", "summary": {"acc": 0.5}}]
    )
    store.apply(ok, "s", [{"seq": 3, "type": "summary", "summary": {"acc": 0.95}}])  # crosses
    store.apply(ok, "s", [{"seq": 4, "type": "summary", "summary": {"acc": 0.97}}])  # stays over
    store.apply(ok, "s", [{"seq": 5, "type": "exit", "state": "finished", "exit_code": 0}])
    store.apply(
        bad,
        "s",
        [{"seq": 1, "type": "run"}, {"seq": 2, "type": "exit", "state": "failed", "exit_code": 1}],
    )
    [crossed] = wait_for(_settled(store, entity, metric.id), what="the metric delivery")
    assert (crossed.event["run_path"], crossed.event["value"]) == (ok.path, 0.95)
    [failed] = wait_for(_settled(store, entity, finished.id), what="the run delivery")
    assert (failed.event["run_path"], failed.event["state"]) == (bad.path, "failed")
    assert store.list_deliveries(entity, off.id) == []
    assert receiver.received("/off") == []


def test_pending_deliveries_survive_a_restart(
    make_sql_store: Callable[..., SqlStore], entity: str, receiver: Receiver
) -> None:
    first = make_sql_store("sqlite")
    first._deliveries.stop()  # a process that ends before its worker sends anything
    auto = first.create_automation(
        entity,
        "later",
        {"event": "artifact_version_created"},
        {"kind": "webhook", "url": receiver.url("/later"), **FAST},
    )
    _log(first, entity, "cnn", "model", b"m")
    [pending] = first.list_deliveries(entity, auto.id)
    assert pending.status == "pending" and receiver.received("/later") == []
    first.close()
    second = make_sql_store("sqlite")  # resumes on open
    [delivered] = wait_for(_settled(second, entity, auto.id), what="the resumed delivery")
    assert delivered.status == "delivered" and len(receiver.received("/later")) == 1


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_claimed_delivery_is_sent_once_by_two_stores(
    make_sql_store: Callable[..., SqlStore], entity: str, receiver: Receiver, kind: str
) -> None:
    a, b = make_sql_store(kind), make_sql_store(kind)  # two server replicas, one database
    auto = a.create_automation(
        entity,
        "once",
        {"event": "artifact_version_created"},
        {"kind": "webhook", "url": receiver.url("/once"), **FAST},
    )
    for i in range(5):
        _log(a, entity, f"m{i}", "model", b"m%d" % i)
    b._deliveries.kick()
    wait_for(_settled(a, entity, auto.id, count=5), what="five deliveries")
    bodies = [json.loads(r["body"])["artifact_name"] for r in receiver.received("/once")]
    assert sorted(bodies) == [f"m{i}" for i in range(5)]
