"""@weave.op: nesting (sync, asyncio tasks, threads), generators, exceptions, op.call,
attributes, sampling, display names, postprocessing, methods and usage roll-up."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient


def by_op(client: WeaveClient) -> dict[str, list[weave.Call]]:
    out: dict[str, list[weave.Call]] = {}
    for call in client.get_calls():
        out.setdefault(call.op_name, []).append(call)
    return out


@weave.op
def leaf(x: int, scale: int = 10) -> int:
    return x * scale


@weave.op
def middle(x: int) -> list[int]:
    return [leaf(x), leaf(x, scale=2)]


def test_ops_run_untraced_before_init() -> None:
    assert weave.get_client() is None
    assert middle(2) == [20, 4]
    assert middle.call(2) == ([20, 4], None)


def test_nested_sync_calls_form_one_trace(client: WeaveClient) -> None:
    assert middle(3) == [30, 6]
    calls = by_op(client)
    (root,) = calls["middle"]
    leaves = calls["leaf"]
    assert root.parent_id is None and root.trace_id == root.id
    assert [c.parent_id for c in leaves] == [root.id, root.id]
    assert {c.trace_id for c in leaves} == {root.id}
    assert [c.inputs for c in leaves] == [{"x": 3, "scale": 10}, {"x": 3, "scale": 2}]
    assert [c.output for c in leaves] == [30, 6]
    assert root.output == [30, 6] and root.inputs == {"x": 3}
    assert root.summary["status_counts"] == {"success": 3, "error": 0}
    assert root.summary["latency_ms"] >= 0
    assert root.started_at <= leaves[0].started_at <= leaves[1].ended_at <= root.ended_at
    assert [c.id for c in root.children()] == [c.id for c in leaves]
    assert sorted([leaves[0].id, root.id]) == [root.id, leaves[0].id]  # UUIDv7 sorts by time


def test_asyncio_tasks_are_children_of_the_op_that_made_them(client: WeaveClient) -> None:
    @weave.op
    async def fetch(i: int) -> int:
        await asyncio.sleep(0.001 * (3 - i))
        return i

    @weave.op
    async def gather() -> list[int]:
        return list(await asyncio.gather(*(fetch(i) for i in range(3))))

    async def main() -> None:
        assert await asyncio.gather(gather(), gather()) == [[0, 1, 2], [0, 1, 2]]

    asyncio.run(main())
    calls = by_op(client)
    roots = calls["gather"]
    assert len(roots) == 2 and all(r.parent_id is None for r in roots)
    for root in roots:
        kids = [c for c in calls["fetch"] if c.parent_id == root.id]
        assert sorted(c.output for c in kids) == [0, 1, 2]
        assert {c.trace_id for c in kids} == {root.id}


def test_the_weave_thread_pool_keeps_the_parent(client: WeaveClient) -> None:
    @weave.op
    def fan_out(n: int) -> list[int]:
        with weave.ThreadPoolExecutor(4) as pool:
            return list(pool.map(leaf, range(n)))

    @weave.op
    def plain_pool() -> list[int]:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            return list(pool.map(leaf, range(2)))

    assert fan_out(5) == [0, 10, 20, 30, 40]
    plain_pool()
    calls = by_op(client)
    (root,) = calls["fan_out"]
    under_root = [c for c in calls["leaf"] if c.parent_id == root.id]
    assert sorted(c.output for c in under_root) == [0, 10, 20, 30, 40]
    assert root.summary["status_counts"]["success"] == 6
    # The standard pool runs tasks in an empty context: each leaf is its own trace.
    orphans = [c for c in calls["leaf"] if c.parent_id is None]
    assert len(orphans) == 2 and all(c.trace_id == c.id for c in orphans)


def test_exceptions_are_recorded_and_reraised(client: WeaveClient) -> None:
    @weave.op
    def fails(x: int) -> int:
        raise KeyError(f"no {x}")

    @weave.op
    def parent() -> int:
        try:
            return fails(1)
        except KeyError:
            return -1

    with pytest.raises(KeyError, match="no 2"):
        fails(2)
    assert parent() == -1
    calls = by_op(client)
    direct = next(c for c in calls["fails"] if c.parent_id is None)
    assert direct.exception.startswith("KeyError: 'no 2'")
    assert "Traceback" in direct.exception and "raise KeyError" in direct.exception
    assert direct.output is None and direct.ended_at is not None
    assert direct.summary["status_counts"] == {"success": 0, "error": 1}
    (root,) = calls["parent"]
    assert root.exception is None and root.output == -1
    assert root.summary["status_counts"] == {"success": 1, "error": 1}


def test_op_call_returns_result_and_call_and_never_raises(client: WeaveClient) -> None:
    @weave.op
    def div(a: float, b: float) -> float:
        return a / b

    @weave.op
    async def adiv(a: float, b: float) -> float:
        return a / b

    result, call = div.call(6, 3)
    assert result == 2 and call.output == 2 and call.inputs == {"a": 6, "b": 3}
    result, call = div.call(1, 0)
    assert result is None and call.exception.startswith("ZeroDivisionError")
    result, call = asyncio.run(adiv.call(1, 0))
    assert result is None and call.exception.startswith("ZeroDivisionError")
    stored = client.get_call(call.id)
    assert stored.op_name == "adiv"
    assert stored.exception.startswith("ZeroDivisionError")


def test_generators_end_when_exhausted_closed_or_raising(client: WeaveClient) -> None:
    @weave.op
    def count(n: int) -> Iterator[int]:
        for i in range(n):
            leaf(i)
            yield i

    @weave.op(accumulator=lambda acc, item: (acc or "") + item)
    def words() -> Iterator[str]:
        yield from ["a", "b", "c"]

    @weave.op
    def broken() -> Iterator[int]:
        yield 1
        raise RuntimeError("mid-stream")

    @weave.op
    async def acount(n: int) -> AsyncIterator[int]:
        for i in range(n):
            yield i

    assert list(count(3)) == [0, 1, 2]
    assert list(words()) == ["a", "b", "c"]
    stream = count(10)
    assert next(stream) == 0
    stream.close()
    with pytest.raises(RuntimeError, match="mid-stream"):
        list(broken())

    async def consume() -> list[int]:
        return [i async for i in acount(4)]

    assert asyncio.run(consume()) == [0, 1, 2, 3]
    calls = by_op(client)
    full, closed = calls["count"]
    assert full.output == [0, 1, 2] and full.ended_at is not None
    assert [c.parent_id for c in calls["leaf"]].count(full.id) == 3
    assert closed.output == [0] and closed.ended_at is not None
    assert calls["words"][0].output == "abc"
    (bad,) = calls["broken"]
    assert bad.output == [1] and bad.exception.startswith("RuntimeError: mid-stream")
    (agen,) = calls["acount"]
    assert agen.output == [0, 1, 2, 3]


def test_current_call_and_attributes(client: WeaveClient) -> None:
    seen: dict[str, Any] = {}

    @weave.op
    def inspect_me() -> str:
        call = weave.require_current_call()
        seen["call"] = call
        assert weave.get_current_call() is call
        return call.id

    assert weave.get_current_call() is None
    with pytest.raises(UsageError, match="no call is running"):
        weave.require_current_call()
    with weave.attributes({"env": "prod", "user": "a"}):
        with weave.attributes({"user": "b"}):
            call_id = inspect_me()
        inspect_me()
    inspect_me()
    assert seen["call"].id != call_id
    stored = {c.id: c for c in client.get_calls()}
    assert stored[call_id].output == call_id
    assert [c.attributes for c in client.get_calls()] == [
        {"env": "prod", "user": "b"},
        {"env": "prod", "user": "a"},
        {},
    ]
    with pytest.raises(UsageError, match="takes a dict"), weave.attributes(["x"]):  # type: ignore[arg-type]
        pass


def test_sampling_leaves_out_whole_traces(client: WeaveClient) -> None:
    @weave.op(tracing_sample_rate=0.0)
    def never() -> list[int]:
        return [leaf(1)]

    @weave.op(tracing_sample_rate=1.0)
    def always() -> int:
        return 1

    assert never() == [10] and always() == 1
    assert [c.op_name for c in client.get_calls()] == [always.name]
    with pytest.raises(UsageError, match="tracing_sample_rate"):
        weave.op(tracing_sample_rate=2)(lambda: 1)


def test_names_postprocessing_and_methods(tmp_path: Any, client: WeaveClient) -> None:
    @weave.op(
        name="secretive",
        call_display_name=lambda call: f"for {call.inputs['user']}",
        postprocess_inputs=lambda inputs: {k: v for k, v in inputs.items() if k != "token"},
        postprocess_output=lambda out: {"len": len(out)},
    )
    def with_options(user: str, token: str) -> str:
        return "x" * 5

    class Model:
        def __init__(self) -> None:
            self.temperature = 0.5

        @weave.op
        def predict(self, prompt: str) -> str:
            return prompt.upper()

    assert with_options("ann", token="s3cret") == "xxxxx"
    assert Model().predict("hi") == "HI"
    first, second = client.get_calls()
    assert (first.op_name, first.display_name) == ("secretive", "for ann")
    assert first.inputs == {"user": "ann"} and first.output == {"len": 5}
    assert second.op_name == "Model.predict"
    assert second.inputs["prompt"] == "hi"
    assert second.inputs["self"] == {"_type": "Model", "temperature": 0.5}


def test_usage_rolls_up_per_model(client: WeaveClient) -> None:
    @weave.op
    def llm(model: str, tokens: int) -> dict[str, Any]:
        usage = {"prompt_tokens": tokens, "completion_tokens": 1, "total_tokens": tokens + 1}
        return {"model": model, "usage": usage, "text": "ok"}

    @weave.op
    def agent() -> None:
        llm("gpt-4o", 10)
        llm("gpt-4o", 5)
        llm("claude", 7)

    agent()
    (root,) = by_op(client)["agent"]
    assert root.summary["usage"] == {
        "gpt-4o": {"requests": 2, "prompt_tokens": 15, "completion_tokens": 2, "total_tokens": 17},
        "claude": {"requests": 1, "prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8},
    }


def test_a_long_call_is_visible_while_it_runs(client: WeaveClient) -> None:
    seen: dict[str, Any] = {}

    @weave.op
    def slow() -> str:
        me = weave.require_current_call()
        leaf(1)  # a child starting writes its parent's start first
        seen["running"] = client.get_call(me.id)
        return "done"

    slow()
    assert seen["running"].ended_at is None and seen["running"].output is None
    (stored,) = client.get_calls(filter={"op_names": ["slow"]})
    assert stored.output == "done" and stored.ended_at is not None
    assert stored.summary["status_counts"] == {"success": 2, "error": 0}


def test_the_start_of_a_long_call_is_sent_without_waiting_for_its_end(
    embedded: WeaveClient,
) -> None:
    import threading
    import time

    release = threading.Event()

    @weave.op
    def waits() -> int:
        release.wait(30)
        return 1

    worker = threading.Thread(target=waits)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        store = embedded.store()
        # Read the store directly: get_calls would flush the held start itself.
        while not store.get_calls(embedded.entity, embedded.project):
            assert time.monotonic() < deadline, "the running call never reached the store"
            release.wait(0.05)
        (running,) = store.get_calls(embedded.entity, embedded.project)
        assert running["op_name"] == "waits" and running["ended_at"] is None
    finally:
        release.set()
        worker.join()
    (done,) = embedded.get_calls()
    assert done.output == 1 and done.ended_at is not None


def test_roots_from_many_threads_beside_long_calls_all_arrive_whole(
    embedded: WeaveClient,
) -> None:
    import threading
    import time

    from heron.records import LogReader
    from heron.weave.client import START_DELAY

    @weave.op
    def quick(i: int) -> int:
        return i

    @weave.op
    def lasts(k: int) -> int:
        time.sleep(START_DELAY * 1.5)  # its start is written while it runs
        return k

    def work(k: int) -> None:
        for i in range(200):
            quick(i)
            if i == 100:
                lasts(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = embedded.get_calls()
    assert len(calls) == 4 * 201 and all(c.ended_at is not None for c in calls)
    assert sorted(c.output for c in calls if c.op_name == "lasts") == [0, 1, 2, 3]
    assert embedded.log_path is not None
    kinds: dict[str, list[str]] = {}
    for record in LogReader(embedded.log_path):
        kinds.setdefault(record["id"], []).append(record["type"])
    lasting = {c.id for c in calls if c.op_name == "lasts"}
    assert all(kinds[i] == ["call_start", "call_end"] for i in lasting)
    # Each call is one record, or its start then its end (a quick call slowed past
    # START_DELAY by a busy machine).
    assert all(kinds[c.id] in (["call"], ["call_start", "call_end"]) for c in calls)
