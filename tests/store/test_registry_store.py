"""The registry and automation part of the Store contract, on SQLite, PostgreSQL and a server."""

from __future__ import annotations

from typing import Any

import pytest

from heron.artifacts.entities import ManifestEntry
from heron.entities import RunKey
from heron.errors import (
    ConflictError,
    InvalidNameError,
    InvalidValueError,
    NotFoundError,
    UsageError,
)
from heron.store.base import Store

WEBHOOK = {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}


def _model(
    store: Store, entity: str, content: bytes, run: str | None = None, **summary: Any
) -> int:
    """Log a ``model`` version (by run ``run`` with that summary, if named); its number."""
    key = None
    if run is not None:
        key = RunKey(entity, "p", run)
        records: list[dict[str, Any]] = [{"seq": 1, "type": "run"}]
        if summary:
            records.append({"seq": 2, "type": "summary", "summary": summary})
        store.apply(key, "s", records)
    entry = ManifestEntry("model.pt", store.blobs.put(content), len(content))
    return store.log_artifact(entity, "p", "cnn", "model", [entry], run=key).version.version


def test_default_registry_and_collections(store: Store, entity: str) -> None:
    assert [r.name for r in store.list_registries(entity)] == ["model"]
    made = store.create_collection(
        entity, "model", "digits", description="# Digits\nA CNN.", tags=["vision", "cnn"]
    )
    assert (made.name, made.description, made.tags, made.version_count) == (
        "digits",
        "# Digits\nA CNN.",
        ["vision", "cnn"],
        0,
    )
    with pytest.raises(ConflictError, match="already exists"):
        store.create_collection(entity, "model", "digits")
    changed = store.update_collection(entity, "model", "digits", tags=["vision"])
    assert (changed.description, changed.tags) == ("# Digits\nA CNN.", ["vision"])
    store.create_registry(entity, "datasets", "curated data")
    with pytest.raises(ConflictError):
        store.create_registry(entity, "datasets")
    assert [r.name for r in store.list_registries(entity)] == ["datasets", "model"]
    assert store.list_collections(entity, "datasets") == []
    assert [c.name for c in store.list_collections(entity, "model")] == ["digits"]
    with pytest.raises(NotFoundError, match="registry"):
        store.list_collections(entity, "nope")
    with pytest.raises(NotFoundError, match="collection"):
        store.get_collection(entity, "model", "nope")
    with pytest.raises(InvalidNameError):
        store.create_collection(entity, "model", "../x")


def test_linking_numbers_versions_and_keeps_the_source(store: Store, entity: str) -> None:
    _model(store, entity, b"w0", run="r0")
    _model(store, entity, b"w1", run="r1")
    first = store.link_version(entity, "model", "digits", entity, "p", "cnn", "v0", actor="me")
    assert (first.version, first.aliases, first.linked_by) == (0, ["latest"], "me")
    assert first.source.qualified_name == f"{entity}/p/cnn:v0"
    assert first.source.created_by == f"{entity}/p/r0"  # the source's lineage
    second = store.link_version(
        entity, "model", "digits", entity, "p", "cnn", "latest", aliases=["staging"]
    )
    assert (second.version, second.aliases) == (1, ["latest", "staging"])
    again = store.link_version(entity, "model", "digits", entity, "p", "cnn", "v0")
    assert again.version == 0  # the same source keeps its number
    listed = store.list_linked_versions(entity, "model", "digits")
    assert [(v.version, v.source.version, v.aliases) for v in listed] == [
        (0, 0, []),
        (1, 1, ["latest", "staging"]),
    ]
    assert store.get_linked_version(entity, "model", "digits", "staging").version == 1
    assert store.get_linked_version(entity, "model", "digits", "v0").source.version == 0
    assert store.get_collection(entity, "model", "digits").version_count == 2
    with pytest.raises(NotFoundError, match="no version 'production'"):
        store.get_linked_version(entity, "model", "digits", "production")
    with pytest.raises(NotFoundError):
        store.link_version(entity, "model", "digits", entity, "p", "cnn", "v7")


def test_one_version_per_alias_and_the_history(store: Store, entity: str) -> None:
    for i in range(3):
        _model(store, entity, b"w%d" % i)
        store.link_version(entity, "model", "m", entity, "p", "cnn", f"v{i}")
    store.set_collection_alias(entity, "model", "m", "production", 0, actor="alice")
    moved = store.set_collection_alias(entity, "model", "m", "production", 2, actor="bob")
    assert moved.aliases == ["latest", "production"]
    assert store.get_linked_version(entity, "model", "m", "v0").aliases == []
    store.set_collection_alias(entity, "model", "m", "production", 2, actor="bob")  # no change
    store.remove_collection_alias(entity, "model", "m", "production", actor="carol")
    with pytest.raises(NotFoundError, match="no alias"):
        store.remove_collection_alias(entity, "model", "m", "production")
    with pytest.raises(UsageError, match="latest"):
        store.set_collection_alias(entity, "model", "m", "latest", 0)
    with pytest.raises(InvalidNameError, match="collides"):
        store.set_collection_alias(entity, "model", "m", "v1", 0)
    history = [
        (c.alias, c.from_version, c.to_version, c.actor)
        for c in store.alias_history(entity, "model", "m")
        if c.alias == "production"
    ]
    assert history == [
        ("production", None, 0, "alice"),
        ("production", 0, 2, "bob"),
        ("production", 2, None, "carol"),
    ]
    assert all(c.at > 0 for c in store.alias_history(entity, "model", "m"))


def test_promotion_rules_refuse_with_the_reason(store: Store, entity: str) -> None:
    _model(store, entity, b"weak", run="weak", **{"val/accuracy": 0.91})
    _model(store, entity, b"good", run="good", **{"val/accuracy": 0.97})
    _model(store, entity, b"orphan")  # logged by no run
    for ref in ("v0", "v1", "v2"):
        store.link_version(entity, "model", "m", entity, "p", "cnn", ref)
    rule = {"metric": "val/accuracy", "op": ">=", "value": 0.95}
    assert store.set_alias_rule(entity, "model", "m", "production", rule).rules == {
        "production": rule
    }
    with pytest.raises(UsageError, match=r"'val/accuracy' >= 0.95, but run .*/weak has 0.91"):
        store.set_collection_alias(entity, "model", "m", "production", 0)
    with pytest.raises(UsageError, match="no run logged this version"):
        store.set_collection_alias(entity, "model", "m", "production", 2)
    with pytest.raises(UsageError, match="requires"):  # a link's aliases obey the rules too
        store.link_version(entity, "model", "m", entity, "p", "cnn", "v0", aliases=["production"])
    assert store.set_collection_alias(entity, "model", "m", "production", 1).version == 1
    assert [c.alias for c in store.alias_history(entity, "model", "m")].count("production") == 1
    store.set_collection_alias(entity, "model", "m", "staging", 0)  # no rule on staging
    with pytest.raises(InvalidValueError, match="op"):
        store.set_alias_rule(entity, "model", "m", "x", {"metric": "a", "op": "~", "value": 1})
    assert store.set_alias_rule(entity, "model", "m", "production", None).rules == {}
    store.set_collection_alias(entity, "model", "m", "production", 2)


def test_automations_crud(store: Store, entity: str) -> None:
    made = store.create_automation(
        entity,
        "notify",
        {"event": "alias_added", "alias": "prod*"},
        {**WEBHOOK, "headers": {"X-Team": "ml"}},
        secret="s3cret",
    )
    assert made.has_secret and made.enabled and made.project is None
    assert made.action["retries"] == 3 and "secret" not in made.to_dict()
    with pytest.raises(ConflictError):
        store.create_automation(entity, "notify", {"event": "run_finished"}, WEBHOOK)
    with pytest.raises(InvalidValueError, match="'event' is one of"):
        store.create_automation(entity, "bad", {"event": "nope"}, WEBHOOK)
    with pytest.raises(InvalidValueError, match="http"):
        store.create_automation(entity, "bad", {"event": "run_finished"}, {"kind": "webhook"})
    with pytest.raises(InvalidValueError, match="takes"):
        store.create_automation(entity, "bad", {"event": "run_finished", "alias": "x"}, WEBHOOK)
    report = store.create_automation(
        entity,
        "weekly",
        {"event": "run_finished", "states": ["failed"]},
        {"kind": "report", "template": {"title": "Failed: ${run_path}"}},
        project="p",
    )
    assert [a.name for a in store.list_automations(entity)] == ["notify", "weekly"]
    assert not store.set_automation_enabled(entity, report.id, False).enabled
    assert store.list_deliveries(entity, made.id) == []
    store.delete_automation(entity, made.id)
    assert [a.name for a in store.list_automations(entity)] == ["weekly"]
    with pytest.raises(NotFoundError):
        store.list_deliveries(entity, made.id)


def test_report_actions_are_stored_for_later(store: Store, entity: str) -> None:
    auto = store.create_automation(
        entity,
        "report",
        {"event": "version_linked", "collection": "m"},
        {"kind": "report", "template": {"title": "${collection} ${version}"}},
    )
    _model(store, entity, b"w")
    store.link_version(entity, "model", "m", entity, "p", "cnn", "v0")
    store.link_version(entity, "model", "other", entity, "p", "cnn", "v0")  # filtered out
    [delivery] = store.list_deliveries(entity, auto.id)
    assert delivery.status == "stored"
    assert delivery.request == {"template": {"title": "${collection} ${version}"}}
    assert (delivery.event["collection"], delivery.event["version"]) == ("m", "v0")
