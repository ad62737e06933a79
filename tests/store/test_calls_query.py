"""Weave-style call queries (``$expr``), ``columns``, ``include_feedback``, threads and
the project's feedback, on SQLite, PostgreSQL and HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from heron.errors import InvalidValueError, UsageError
from heron.store.base import CALL_FIELDS, Store
from tests.store.test_calls_store import PROJECT, end, start


def seed(store: Store, entity: str) -> None:
    records = [
        start(1, "a", op_name="answer", inputs={"q": "What is Heron?", "n": 3, "flag": True}),
        end(2, "a", output={"score": 0.9, "label": "good"}),
        start(3, "b", op_name="answer", inputs={"q": "hello", "n": 12, "flag": False}),
        end(4, "b", output={"score": 0.2, "label": "bad"}),
        start(5, "c", op_name="retrieve", inputs={"q": "HERON docs", "n": "7"}),
        end(6, "c", output="plain text"),
        start(7, "d", "a", op_name="tool", inputs={"nested": {"deep": [1, 2]}}),
        end(8, "d", exception="ValueError: no"),
    ]
    records[0]["attributes"] = {"env": "prod"}
    records[2]["thread_id"], records[2]["turn_id"] = "th-1", "b"
    records[4]["thread_id"], records[4]["turn_id"] = "th-1", "c"
    assert store.apply_calls(entity, PROJECT, "log", records) == 8


def q(expr: dict[str, Any]) -> dict[str, Any]:
    return {"$expr": expr}


def field(name: str) -> dict[str, Any]:
    return {"$getField": name}


def lit(value: Any) -> dict[str, Any]:
    return {"$literal": value}


def found(store: Store, entity: str, expr: dict[str, Any]) -> list[str]:
    calls = store.get_calls(entity, PROJECT, query=q(expr))
    assert store.count_calls(entity, PROJECT, query=q(expr)) == len(calls)
    return [c["id"] for c in calls]


def test_query_operators(store: Store, entity: str) -> None:
    seed(store, entity)
    assert found(store, entity, {"$eq": [field("op_name"), lit("answer")]}) == ["a", "b"]
    assert found(store, entity, {"$eq": [field("inputs.q"), lit("hello")]}) == ["b"]
    # Numbers: JSON numbers, and numeric text, compare as numbers against a number.
    assert found(store, entity, {"$gt": [field("inputs.n"), lit(5)]}) == ["b", "c"]
    assert found(store, entity, {"$lte": [field("inputs.n"), lit(3)]}) == ["a"]
    assert found(store, entity, {"$gte": [field("output.score"), lit(0.5)]}) == ["a"]
    assert found(store, entity, {"$lt": [field("output.score"), lit(0.5)]}) == ["b"]
    converted = {"$convert": {"input": field("inputs.n"), "to": "int"}}
    assert found(store, entity, {"$eq": [converted, lit(7)]}) == ["c"]
    as_text = {"$convert": {"input": field("inputs.n"), "to": "string"}}
    assert found(store, entity, {"$eq": [as_text, lit("12")]}) == ["b"]
    assert found(store, entity, {"$eq": [field("inputs.flag"), lit(True)]}) == ["a"]
    assert found(store, entity, {"$eq": [field("inputs.flag"), lit(False)]}) == ["b"]
    assert found(store, entity, {"$eq": [field("output"), lit("plain text")]}) == ["c"]
    assert found(store, entity, {"$eq": [field("inputs.nested.deep.1"), lit(2)]}) == ["d"]
    assert found(store, entity, {"$eq": [field("attributes.env"), lit("prod")]}) == ["a"]
    assert found(store, entity, {"$eq": [field("inputs.flag"), lit(None)]}) == ["c", "d"]
    assert found(store, entity, {"$not": [{"$eq": [field("exception"), lit(None)]}]}) == ["d"]
    assert found(store, entity, {"$gt": [field("started_at"), lit(4)]}) == ["c", "d"]
    assert found(store, entity, {"$eq": [field("thread_id"), lit("th-1")]}) == ["b", "c"]
    contains = {"$contains": {"input": field("inputs.q"), "substr": lit("heron")}}
    assert found(store, entity, contains) == []
    contains["$contains"]["case_insensitive"] = True
    assert found(store, entity, contains) == ["a", "c"]
    percent = {"$contains": {"input": field("inputs.q"), "substr": lit("%")}}
    assert found(store, entity, percent) == []  # LIKE wildcards are escaped
    assert found(store, entity, {"$in": [field("output.label"), [lit("bad"), lit("meh")]]}) == ["b"]
    both = {
        "$and": [
            {"$eq": [field("op_name"), lit("answer")]},
            {"$or": [{"$gt": [field("inputs.n"), lit(10)]}, {"$eq": [field("id"), lit("x")]}]},
        ]
    }
    assert found(store, entity, both) == ["b"]
    # Combined with the structured filter, and paged.
    calls = store.get_calls(
        entity,
        PROJECT,
        filter={"op_names": ["answer", "retrieve"]},
        query=q({"$gt": [field("inputs.n"), lit(0)]}),
        sort_by=[("started_at", "desc")],
        limit=2,
    )
    assert [c["id"] for c in calls] == ["c", "b"]


def test_bad_queries_are_refused(store: Store, entity: str) -> None:
    seed(store, entity)
    bad = [
        ({"$regex": [field("op_name"), lit("a")]}, "unknown query operator '\\$regex'"),
        ({"$eq": [field("nope"), lit(1)]}, "unknown call field 'nope'"),
        ({"$eq": [field("op_name")]}, "two operands"),
        ({"$eq": [{"$convert": {"input": field("id"), "to": "date"}}, lit(1)]}, "\\$convert"),
        ({"$eq": [field("op_name"), lit(1)]}, "cannot be compared as a number"),
        ({"$eq": [field("inputs.x"), lit([1])]}, "\\$literal takes"),
    ]
    for expr, message in bad:
        with pytest.raises(UsageError, match=message):
            store.get_calls(entity, PROJECT, query=q(expr))
    with pytest.raises(UsageError, match=r"\$expr"):
        store.get_calls(entity, PROJECT, query={"$eq": [1, 1]})


def test_columns_and_feedback(store: Store, entity: str) -> None:
    seed(store, entity)
    slim = store.get_calls(entity, PROJECT, columns=["output"], limit=1)
    assert set(slim[0]) == {"id", "trace_id", "parent_id", "op_name", "started_at", "output"}
    assert slim[0]["output"] == {"score": 0.9, "label": "good"}
    assert set(store.get_calls(entity, PROJECT, limit=1)[0]) == set(CALL_FIELDS)
    with pytest.raises(UsageError, match="unknown call columns"):
        store.get_calls(entity, PROJECT, columns=["outputs"])
    liked = store.add_feedback(entity, PROJECT, "a", "wandb.reaction.1", {"emoji": "👍"})
    note = store.add_feedback(entity, PROJECT, "a", "wandb.note.1", {"note": "ok"})
    store.add_feedback(entity, PROJECT, "b", "wandb.reaction.1", {"emoji": "👎"})
    rows = store.get_calls(entity, PROJECT, include_feedback=True, filter={"call_ids": ["a", "c"]})
    assert [f["id"] for f in rows[0]["summary"]["weave"]["feedback"]] == [liked["id"], note["id"]]
    assert rows[0]["summary"]["status_counts"] == {"success": 1, "error": 0}
    assert rows[1]["summary"]["weave"]["feedback"] == []
    everything = store.query_feedback(entity, PROJECT)
    assert [f["call_id"] for f in everything] == ["a", "a", "b"]
    assert store.query_feedback(entity, PROJECT, reactions=["👍"]) == [liked]
    assert store.query_feedback(entity, PROJECT, feedback_ids=[note["id"]]) == [note]
    assert [f["call_id"] for f in store.query_feedback(entity, PROJECT, call_ids=["b"])] == ["b"]
    assert len(store.query_feedback(entity, PROJECT, feedback_types=["wandb.reaction.1"])) == 2
    assert len(store.query_feedback(entity, PROJECT, limit=1, offset=2)) == 1
    assert store.query_feedback(entity, "no-such-project") == []


def test_thread_ids_are_stored_and_filtered(store: Store, entity: str) -> None:
    seed(store, entity)
    rows = store.get_calls(entity, PROJECT, filter={"thread_ids": ["th-1"]})
    assert [(c["id"], c["thread_id"], c["turn_id"]) for c in rows] == [
        ("b", "th-1", "b"),
        ("c", "th-1", "c"),
    ]
    assert store.get_call(entity, PROJECT, "a")["thread_id"] is None
    assert [c["id"] for c in store.get_calls(entity, PROJECT, filter={"turn_ids": ["c"]})] == ["c"]
    bad = {**start(9, "e"), "thread_id": "x" * 37}
    with pytest.raises(InvalidValueError, match="thread_id needs an id"):
        store.apply_calls(entity, PROJECT, "log", [bad])
