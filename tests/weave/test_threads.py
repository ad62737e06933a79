"""``weave.thread``: calls grouped into conversation threads and turns, stored and filtered."""

from __future__ import annotations

import asyncio

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient


@weave.op
def tool(x: int) -> int:
    return x * 2


@weave.op
def turn(x: int) -> int:
    return tool(x) + 1


def test_calls_in_a_thread_carry_thread_and_turn_ids(client: WeaveClient) -> None:
    with weave.thread("conv-1") as t:
        assert t.thread_id == "conv-1" and t.turn_id is None
        turn(1)
        first_turn = t.turn_id
        turn(2)
        assert t.turn_id != first_turn
    turn(3)  # outside: no thread
    calls = list(client.get_calls(sort_by=[("started_at", "asc")]))
    assert [(c.op_name, c.thread_id) for c in calls] == [
        ("turn", "conv-1"),
        ("tool", "conv-1"),
        ("turn", "conv-1"),
        ("tool", "conv-1"),
        ("turn", None),
        ("tool", None),
    ]
    # Each root is its own turn; its child is in the same turn.
    assert calls[0].turn_id == calls[0].id == calls[1].turn_id == first_turn
    assert calls[2].turn_id == calls[2].id == calls[3].turn_id == t.turn_id
    assert calls[4].turn_id is None and calls[5].turn_id is None
    in_thread = client.get_calls(filter={"thread_ids": ["conv-1"], "trace_roots_only": True})
    assert [c.id for c in in_thread] == [calls[0].id, calls[2].id]
    assert [c.id for c in client.get_calls(filter={"turn_ids": [first_turn]})] == [
        calls[0].id,
        calls[1].id,
    ]


def test_generated_ids_nesting_and_async(embedded: WeaveClient) -> None:
    @weave.op
    def outer() -> None:
        tool(1)  # a turn of no thread: outer started outside any
        with weave.thread("inner") as inner:
            tool(2)  # its parent is outside "inner": a new turn
        assert inner.turn_id is not None

    with weave.thread() as t:
        assert len(t.thread_id) == 36 and t.thread_id[14] == "7"  # a UUIDv7
        with weave.thread("nested"):
            tool(0)
        tool(5)

    @weave.op
    async def aturn(x: int) -> int:
        await asyncio.sleep(0)
        return tool(x)

    async def both() -> None:
        async def one(name: str) -> None:
            with weave.thread(name):
                await aturn(1)

        await asyncio.gather(one("a1"), one("a2"))

    asyncio.run(both())
    outer()
    rows = list(embedded.get_calls())
    by_thread = [(c.op_name, c.thread_id, c.turn_id == c.id) for c in rows]
    assert by_thread[:2] == [("tool", "nested", True), ("tool", t.thread_id, True)]
    async_rows = [c for c in rows if c.thread_id in ("a1", "a2")]
    assert len(async_rows) == 4
    for c in async_rows:
        root = next(r for r in async_rows if r.op_name == "aturn" and r.thread_id == c.thread_id)
        assert c.turn_id == root.id
    outer_row = next(c for c in rows if c.op_name == "outer")
    inner_tools = [c for c in rows if c.parent_id == outer_row.id]
    assert [(c.thread_id, c.turn_id == c.id) for c in inner_tools] == [
        (None, False),
        ("inner", True),
    ]
    assert outer_row.thread_id is None


def test_bad_thread_ids_are_refused() -> None:
    with pytest.raises(UsageError, match="1-36 characters"), weave.thread("x" * 37):
        pass
    with pytest.raises(UsageError, match="thread id"), weave.thread(7):  # type: ignore[arg-type]
        pass
