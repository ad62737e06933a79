"""Reading calls back: queries, slicing, pandas, feedback, deletion, serialization of
nasty values, and delivery of queued calls when the process exits."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from heron import weave
from heron.errors import NotFoundError, UsageError
from heron.records import LogReader
from heron.settings import Settings
from heron.store.blobs import LocalBlobStore
from heron.store.sql import SqlStore
from heron.weave.client import WeaveClient
from heron.weave.serialize import MAX_STRING


@weave.op
def step(i: int) -> int:
    return i


@weave.op
def chain(n: int) -> int:
    return sum(step(i) for i in range(n))


def test_queries_filter_sort_slice_and_count(client: WeaveClient) -> None:
    for n in (1, 2, 3):
        chain(n)
    roots = client.get_calls(filter={"trace_roots_only": True})
    assert [c.inputs["n"] for c in roots] == [1, 2, 3]
    assert len(roots) == 3
    newest = client.get_calls(filter={"op_names": ["chain"]}, sort_by=[("started_at", "desc")])
    assert [c.output for c in newest] == [3, 1, 0]
    steps = client.get_calls(filter={"op_names": ["step"]}, page_size=2)
    assert len(steps) == 6 and [c.output for c in steps] == [0, 0, 1, 0, 1, 2]
    assert [c.output for c in steps[2:5]] == [1, 0, 1]
    assert len(steps[2:5]) == 3 and steps[-1].output == 2 and steps[1:][0].output == 0
    by_trace = client.get_calls(filter={"trace_ids": [roots[2].trace_id]})
    assert len(by_trace) == 4
    assert [c.output for c in roots[2].children()] == [0, 1, 2]
    assert client.get_call(roots[1].id).output == 1
    with pytest.raises(IndexError):
        steps[6]
    with pytest.raises(NotFoundError, match="does not exist"):
        client.get_call("0190a000-0000-7000-8000-000000000000")
    with pytest.raises(UsageError, match="unknown calls filter key 'op'"):
        client.get_calls(filter={"op": ["chain"]})
    with pytest.raises(UsageError, match="cannot sort calls by 'cost'"):
        client.get_calls(sort_by=[("cost", "asc")])


def test_to_pandas_flattens_inputs_and_outputs(embedded: WeaveClient) -> None:
    pytest.importorskip("pandas")
    chain(2)
    frame = embedded.get_calls(filter={"op_names": ["step"]}).to_pandas()
    assert list(frame["inputs.i"]) == [0, 1]
    assert list(frame["output"]) == [0, 1]
    assert list(frame["op_name"]) == ["step", "step"]


def test_feedback_on_calls(client: WeaveClient) -> None:
    _, call = chain.call(2)
    note = call.feedback.add_note("looks wrong")
    call.feedback.add_reaction("👍")
    call.feedback.add("correctness", {"score": 0.25}, reviewer="ann")
    stored = client.get_call(call.id)
    items = list(stored.feedback)
    assert [(f.feedback_type, f.payload) for f in items] == [
        ("wandb.note.1", {"note": "looks wrong"}),
        ("wandb.reaction.1", {"emoji": "👍"}),
        ("correctness", {"score": 0.25, "reviewer": "ann"}),
    ]
    assert stored.feedback.purge(note) is True
    assert len(stored.feedback) == 2
    with pytest.raises(NotFoundError):
        client._add_feedback("0190a000-0000-7000-8000-000000000000", "x", {})


def test_deleting_a_call_deletes_its_descendants(client: WeaveClient) -> None:
    @weave.op
    def outer() -> None:
        chain(2)
        chain(1)

    outer()
    first, second = client.get_calls(filter={"op_names": ["chain"]})
    assert client.delete_calls([first.id]) == 3
    left = client.get_calls()
    assert [c.op_name for c in left] == ["outer", "chain", "step"]
    assert [c.id for c in left][1] == second.id
    (root,) = client.get_calls(filter={"trace_roots_only": True})
    assert client.delete_calls([root.id]) == 3
    assert len(client.get_calls()) == 0
    with pytest.raises(UsageError, match="not one string"):
        client.delete_calls("abc")


class Unreprable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")

    __slots__ = ()


def test_nasty_inputs_and_outputs_never_break_the_op(client: WeaveClient) -> None:
    cyclic: dict[str, Any] = {"name": "loop"}
    cyclic["self"] = cyclic
    huge = "x" * (MAX_STRING + 10)

    @weave.op
    def swallow(*args: Any, **kwargs: Any) -> Any:
        return {"nan": math.nan, "inf": -math.inf, "tuple_keys": {(1, 2): "pair"}}

    result = swallow(
        cyclic,
        huge,
        b"\xff\xfe binary",
        "nul\x00char and \udcff surrogate",
        Unreprable(),
        {1, 2},
        extra=object,
    )
    assert math.isnan(result["nan"])
    (call,) = client.get_calls()
    first, text, blob, odd, unreprable, as_list = call.inputs["args"]
    assert first == {"name": "loop", "self": "<cycle: dict>"}
    # While tracing, a huge string and non-UTF-8 bytes are blobs (tests/weave/test_call_blobs.py).
    assert text["_type"] == "blob" and text["size"] == MAX_STRING + 10
    assert text["preview"] == "x" * 1000
    assert blob["_type"] == "file" and blob["size"] == 9
    assert odd == "nul\ufffdchar and \ufffd surrogate"
    assert "Unreprable object (repr failed: RuntimeError)" in unreprable
    assert as_list == [1, 2]
    assert call.inputs["extra"] == "<class 'object'>"
    assert math.isnan(call.output["nan"]) and call.output["inf"] == -math.inf
    assert call.output["tuple_keys"] == {"(1, 2)": "pair"}


def test_records_leave_out_empty_fields_and_calls_read_them_back(client: WeaveClient) -> None:
    @weave.op
    def fails(x: int) -> int:
        raise ValueError("no")

    step(5)
    chain(1)
    with weave.attributes({"env": "test"}), weave.thread("t-1"), pytest.raises(ValueError):
        fails(1)
    assert client.flush() and client.log_path is not None
    lone, start, child, end, failed = LogReader(client.log_path)
    # A short call is one record; None and empty fields are not written.
    assert set(lone) == {
        *("seq", "type", "id", "trace_id", "op_name", "inputs", "started_at"),
        *("output", "summary", "ended_at"),
    }
    assert (lone["type"], lone["inputs"], lone["output"]) == ("call", {"i": 5}, 5)
    # A parent's start is written when its first child starts; its end follows.
    assert (start["type"], child["type"], end["type"]) == ("call_start", "call", "call_end")
    assert "parent_id" not in start and child["parent_id"] == start["id"] == end["id"]
    assert set(end) == {"seq", "type", "id", "output", "summary", "ended_at"}
    assert failed["attributes"] == {"env": "test"}
    assert failed["thread_id"] == "t-1" and failed["turn_id"] == failed["id"]
    assert failed["exception"].startswith("ValueError: no")

    calls = {c.id: c for c in client.get_calls()}
    root = calls[lone["id"]]
    assert (root.parent_id, root.display_name, root.exception) == (None, None, None)
    assert (root.attributes, root.thread_id, root.turn_id) == ({}, None, None)
    assert (root.inputs, root.output, root.summary["status_counts"]) == (
        {"i": 5},
        5,
        {"success": 1, "error": 0},
    )
    assert calls[child["id"]].parent_id == calls[child["id"]].trace_id == start["id"]
    assert calls[start["id"]].ended_at is not None and calls[start["id"]].exception is None
    error = calls[failed["id"]]
    assert (error.attributes, error.thread_id, error.turn_id) == ({"env": "test"}, "t-1", error.id)
    assert error.exception is not None and error.exception.startswith("ValueError: no")


def test_calls_queued_at_exit_are_delivered(tmp_path: Path) -> None:
    home = tmp_path / "home"
    script = textwrap.dedent(
        f"""
        from heron import weave
        from heron.settings import Settings

        weave.init("me/exit", settings=Settings(dir={str(home)!r}))

        @weave.op
        def work(i):
            return i * 2

        for i in range(500):
            work(i)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    settings = Settings(dir=home)
    store = SqlStore(settings.resolved_database_url, LocalBlobStore(settings.resolved_blob_url))
    try:
        calls = store.get_calls("me", "exit")
    finally:
        store.close()
    assert [c["output"] for c in calls] == [i * 2 for i in range(500)]
    assert all(c["ended_at"] is not None for c in calls)


def test_offline_and_disabled_modes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    offline = weave.init("me/off", settings=Settings(dir=tmp_path / "a", mode="offline"))
    chain(2)
    weave.finish()
    assert offline.log_path is not None and offline.log_path.stat().st_size > 100
    monkeypatch.setenv("WEAVE_DISABLED", "true")
    disabled = weave.init("me/off", settings=Settings(dir=tmp_path / "b"))
    assert disabled.tracing is False and weave.get_client() is None
    assert chain(3) == 3
    assert not (tmp_path / "b" / "weave").exists()
    with pytest.raises(UsageError, match="project name"):
        weave.init("a/b/c")
