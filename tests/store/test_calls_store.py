"""The calls part of the Store contract (weave tracing), on SQLite, PostgreSQL and HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from heron.errors import NotFoundError, UsageError
from heron.store.base import Store

PROJECT = "traces"


def start(
    seq: int, call_id: str, parent: str | None = None, trace: str = "t1", **more: Any
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "call_start",
        "id": call_id,
        "trace_id": trace,
        "parent_id": parent,
        "op_name": more.pop("op_name", "op"),
        "display_name": None,
        "inputs": more.pop("inputs", {"x": seq}),
        "attributes": {},
        "started_at": more.pop("started_at", float(seq)),
    }


def end(seq: int, call_id: str, output: Any = None, exception: str | None = None) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "call_end",
        "id": call_id,
        "output": output,
        "exception": exception,
        "summary": {"status_counts": {"success": 1, "error": 0}},
        "ended_at": seq + 0.5,
    }


def tree(store: Store, entity: str) -> None:
    """root(a) -> b -> c, root(a) -> d; and a second trace e."""
    records = [
        start(1, "a", op_name="root"),
        start(2, "b", "a", op_name="mid"),
        start(3, "c", "b", op_name="leaf"),
        end(4, "c", output=3),
        end(5, "b", output=2),
        start(6, "d", "a", op_name="leaf"),
        end(7, "d", output=4),
        end(8, "a", output={"answer": 1}),
        start(9, "e", trace="t2", op_name="root"),
        end(10, "e", exception="ValueError: bad"),
    ]
    assert store.apply_calls(entity, PROJECT, "log-1", records) == 10


def ids(calls: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in calls]


def test_apply_is_idempotent_and_merges_halves(store: Store, entity: str) -> None:
    first = [start(1, "a"), start(2, "b", "a")]
    assert store.apply_calls(entity, PROJECT, "s", first) == 2
    assert store.get_call(entity, PROJECT, "b")["ended_at"] is None
    # A retried batch overlapping what was applied: only seq 3 and 4 are new.
    assert store.apply_calls(entity, PROJECT, "s", [*first, end(3, "b", 7), end(4, "a", 8)]) == 4
    assert store.apply_calls(entity, PROJECT, "s", [end(3, "b", 99)]) == 4
    assert store.calls_watermark(entity, PROJECT, "s") == 4
    assert store.calls_watermark(entity, PROJECT, "other") == 0
    calls = store.get_calls(entity, PROJECT)
    assert [(c["id"], c["output"], c["parent_id"]) for c in calls] == [
        ("a", 8, None),
        ("b", 7, "a"),
    ]
    assert calls[0]["ended_at"] == 4.5 and calls[0]["inputs"] == {"x": 1}


def test_filters_sort_and_pages(store: Store, entity: str) -> None:
    tree(store, entity)
    assert ids(store.get_calls(entity, PROJECT)) == ["a", "b", "c", "d", "e"]
    assert ids(store.get_calls(entity, PROJECT, filter={"op_names": ["leaf"]})) == ["c", "d"]
    assert ids(store.get_calls(entity, PROJECT, filter={"trace_ids": ["t2"]})) == ["e"]
    assert ids(store.get_calls(entity, PROJECT, filter={"parent_ids": ["a"]})) == ["b", "d"]
    assert ids(store.get_calls(entity, PROJECT, filter={"call_ids": ["d", "a"]})) == ["a", "d"]
    roots = store.get_calls(entity, PROJECT, filter={"trace_roots_only": True})
    assert ids(roots) == ["a", "e"]
    assert roots[1]["exception"] == "ValueError: bad"
    newest = store.get_calls(entity, PROJECT, sort_by=[("started_at", "desc")], limit=2)
    assert ids(newest) == ["e", "d"]
    assert ids(store.get_calls(entity, PROJECT, limit=2, offset=3)) == ["d", "e"]
    by_name = store.get_calls(entity, PROJECT, sort_by=[("op_name", "asc"), ("id", "desc")])
    assert ids(by_name) == ["d", "c", "b", "e", "a"]
    assert store.count_calls(entity, PROJECT) == 5
    assert store.count_calls(entity, PROJECT, filter={"op_names": ["leaf", "mid"]}) == 3
    assert store.get_calls(entity, "nothing-here") == []


@pytest.mark.parametrize(
    ("filter", "sort_by", "message"),
    [
        ({"op_name": ["x"]}, None, "unknown calls filter key 'op_name'"),
        ({"op_names": "x"}, None, "must be a list of strings"),
        ({"trace_roots_only": "yes"}, None, "trace_roots_only must be true or false"),
        (None, [("cost", "asc")], "cannot sort calls by 'cost'"),
        ({"statuses": ["done"]}, None, "statuses must be among success, error, running"),
        ({"started_after": "today"}, None, "started_after must be a time in unix seconds"),
        ({"attributes": ["env"]}, None, "the attributes filter must be a dict"),
        ({"attributes": {"env": ["a"]}}, None, "attribute 'env' can be compared with a string"),
        ({"attributes": {"a..b": 1}}, None, "invalid attribute key 'a..b'"),
        ({"has_feedback": 1}, None, "has_feedback must be true or false"),
        (None, [("started_at", "up")], "sort direction must be 'asc' or 'desc'"),
    ],
)
def test_bad_queries_say_what_is_wrong(
    store: Store, entity: str, filter: Any, sort_by: Any, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        store.get_calls(entity, PROJECT, filter=filter, sort_by=sort_by)


def test_bad_records_are_refused(store: Store, entity: str) -> None:
    with pytest.raises(UsageError, match="a call log holds only call_start, call_end, call"):
        store.apply_calls(entity, PROJECT, "s", [{"seq": 1, "type": "history", "row": {}}])
    with pytest.raises(UsageError, match="op_name must be a non-empty string"):
        store.apply_calls(entity, PROJECT, "s", [start(1, "a", op_name="")])
    assert store.calls_watermark(entity, PROJECT, "s") == 0


def test_get_call_of_unknown_id_is_not_found(store: Store, entity: str) -> None:
    tree(store, entity)
    assert store.get_call(entity, PROJECT, "d")["op_name"] == "leaf"
    with pytest.raises(NotFoundError, match="call nope does not exist"):
        store.get_call(entity, PROJECT, "nope")


def test_delete_takes_descendants_and_their_feedback(store: Store, entity: str) -> None:
    tree(store, entity)
    store.add_feedback(entity, PROJECT, "c", "wandb.note.1", {"note": "x"})
    assert store.delete_calls(entity, PROJECT, ["b", "unknown"]) == 2
    assert ids(store.get_calls(entity, PROJECT)) == ["a", "d", "e"]
    assert store.list_feedback(entity, PROJECT, "c") == []
    assert store.delete_calls(entity, PROJECT, ["a"]) == 2  # a trace root takes its whole trace
    assert ids(store.get_calls(entity, PROJECT)) == ["e"]
    assert store.delete_calls(entity, "no-such-project", ["e"]) == 0


def test_feedback_add_list_purge(store: Store, entity: str) -> None:
    tree(store, entity)
    first = store.add_feedback(entity, PROJECT, "a", "wandb.reaction.1", {"emoji": "👍"})
    store.add_feedback(entity, PROJECT, "a", "custom", {"score": 0.5, "tags": ["x"]})
    items = store.list_feedback(entity, PROJECT, "a")
    assert [(f["feedback_type"], f["payload"]) for f in items] == [
        ("wandb.reaction.1", {"emoji": "👍"}),
        ("custom", {"score": 0.5, "tags": ["x"]}),
    ]
    assert items[0]["id"] == first["id"] and items[0]["call_id"] == "a"
    assert store.purge_feedback(entity, PROJECT, first["id"]) is True
    assert store.purge_feedback(entity, PROJECT, first["id"]) is False
    assert len(store.list_feedback(entity, PROJECT, "a")) == 1
    with pytest.raises(NotFoundError, match="call zzz does not exist"):
        store.add_feedback(entity, PROJECT, "zzz", "custom", {})
    with pytest.raises(UsageError, match="feedback_type"):
        store.add_feedback(entity, PROJECT, "a", "", {})


def test_a_whole_call_record_is_one_row(store: Store, entity: str) -> None:
    whole = {**start(1, "w", op_name="short"), **end(1, "w", output="done"), "type": "call"}
    assert store.apply_calls(entity, PROJECT, "s", [whole]) == 1
    call = store.get_call(entity, PROJECT, "w")
    assert (call["op_name"], call["output"], call["ended_at"]) == ("short", "done", 1.5)
    assert call["summary"] == {"status_counts": {"success": 1, "error": 0}}


def test_status_time_attribute_and_feedback_filters(store: Store, entity: str) -> None:
    tree(store, entity)
    running = start(11, "f", trace="t3", op_name="root")
    running["attributes"] = {"env": "prod", "n": "1"}
    store.apply_calls(entity, PROJECT, "log-1", [running])
    tagged = start(1, "a", op_name="root")
    tagged["attributes"] = {"env": "prod", "n": 1, "deep": {"k": "v"}, "flag": True}
    store.apply_calls(entity, PROJECT, "log-2", [tagged])  # "a" exists: left as stored
    assert store.get_call(entity, PROJECT, "a")["attributes"] == {}
    store.apply_calls(entity, PROJECT, "log-3", [{**end(1, "a"), **tagged, "type": "call_end"}])

    def found(**filter: Any) -> list[str]:
        return ids(store.get_calls(entity, PROJECT, filter=filter))

    assert found(statuses=["success"]) == ["a", "b", "c", "d"]
    assert found(statuses=["error", "running"]) == ["e", "f"]
    assert found(statuses=[]) == []
    assert found(started_after=3, started_before=9) == ["c", "d"]
    assert found(started_after=9.0) == ["e", "f"]
    assert found(attributes={"env": "prod"}) == ["a", "f"]
    assert found(attributes={"n": 1}) == ["a"]
    assert found(attributes={"n": "1"}) == ["f"]
    assert found(attributes={"deep.k": "v", "flag": True}) == ["a"]
    assert found(attributes={"flag": False}) == []
    assert found(attributes={"env": None}) == ["b", "c", "d", "e"]
    assert found(attributes={"env": "prod"}, statuses=["running"]) == ["f"]

    store.add_feedback(entity, PROJECT, "a", "wandb.reaction.1", {"emoji": "👍"})
    store.add_feedback(entity, PROJECT, "a", "wandb.reaction.1", {"emoji": "👍"})
    store.add_feedback(entity, PROJECT, "e", "wandb.reaction.1", {"emoji": "👎"})
    store.add_feedback(entity, PROJECT, "b", "wandb.note.1", {"note": "slow", "emoji": "👍"})
    assert found(has_feedback=True) == ["a", "b", "e"]
    assert found(has_feedback=False) == ["c", "d", "f"]
    assert found(reactions=["👍"]) == ["a"]  # a note's payload is not a reaction
    assert found(reactions=["👍", "👎"], trace_roots_only=True) == ["a", "e"]
    assert store.count_calls(entity, PROJECT, filter={"has_feedback": True}) == 3

    counts = store.feedback_counts(entity, PROJECT, ["a", "b", "c", "nope"])
    assert counts == {
        "a": {"total": 2, "types": {"wandb.reaction.1": 2}, "reactions": {"👍": 2}},
        "b": {"total": 1, "types": {"wandb.note.1": 1}, "reactions": {}},
    }
    assert store.feedback_counts(entity, PROJECT, []) == {}


def test_latency_sort_and_counts_by_field(store: Store, entity: str) -> None:
    tree(store, entity)
    store.apply_calls(entity, PROJECT, "log-1", [start(11, "f", trace="t3", op_name="root")])
    slowest = store.get_calls(entity, PROJECT, sort_by=[("latency", "desc")])
    assert ids(slowest) == ["a", "b", "c", "d", "e", "f"]  # unended last, ties by id
    fastest = store.get_calls(entity, PROJECT, sort_by=[("latency", "asc")])
    assert ids(fastest) == ["c", "d", "e", "b", "a", "f"]

    assert store.count_calls_by(entity, PROJECT, "op_name") == {"leaf": 2, "mid": 1, "root": 3}
    roots = store.count_calls_by(entity, PROJECT, "op_name", filter={"trace_roots_only": True})
    assert roots == {"root": 3}
    children = store.count_calls_by(
        entity, PROJECT, "parent_id", filter={"parent_ids": ["a", "b", "c"]}
    )
    assert children == {"a": 2, "b": 1}
    assert store.count_calls_by(entity, PROJECT, "trace_id") == {"t1": 4, "t2": 1, "t3": 1}
    assert store.count_calls_by(entity, "nothing-here", "op_name") == {}
    with pytest.raises(UsageError, match="cannot count calls by 'inputs'"):
        store.count_calls_by(entity, PROJECT, "inputs")
