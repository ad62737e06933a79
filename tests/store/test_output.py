"""Console output lines (``output`` records, ``Store.read_output``) on SQLite, PostgreSQL, HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from heron.entities import MAX_OUTPUT_LINE_BYTES, OUTPUT_CUT_MARKER, RunKey
from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.store.base import Store


def started(store: Store, entity: str, run_id: str = "r1") -> RunKey:
    run = RunKey(entity, "proj", run_id)
    store.apply(run, "s1", [{"seq": 1, "type": "run"}])
    return run


def output(seq: int, start: int, lines: list[str]) -> dict[str, Any]:
    return {"seq": seq, "type": "output", "start": start, "lines": lines}


def test_lines_come_back_in_order_with_their_numbers(store: Store, entity: str) -> None:
    run = started(store, entity)
    assert store.read_output(run).lines == [] and store.read_output(run).total == 0
    store.apply(run, "s1", [output(2, 0, ["epoch 0", "loss 0.5"]), output(3, 2, ["done"])])
    page = store.read_output(run)
    assert page.lines == [(0, "epoch 0"), (1, "loss 0.5"), (2, "done")]
    assert page.total == 3


def test_paging_by_start_and_limit_for_a_live_tail(store: Store, entity: str) -> None:
    run = started(store, entity)
    store.apply(run, "s1", [output(2, 0, [f"line {i}" for i in range(2500)])])
    first = store.read_output(run, limit=1000)
    assert [n for n, _ in first.lines] == list(range(1000)) and first.total == 2500
    middle = store.read_output(run, start=1000, limit=1000)
    assert middle.lines[0] == (1000, "line 1000") and middle.lines[-1] == (1999, "line 1999")
    assert store.read_output(run, start=2400, limit=1000).lines[-1] == (2499, "line 2499")
    assert store.read_output(run, start=2500).lines == []
    assert store.read_output(run, limit=0) == store.read_output(run, start=9999)
    # The run prints more: asking from the last line seen + 1 returns just the new lines.
    store.apply(run, "s1", [output(3, 2500, ["new 1", "new 2"])])
    tail = store.read_output(run, start=2500)
    assert tail.lines == [(2500, "new 1"), (2501, "new 2")] and tail.total == 2502


def test_search_is_a_case_insensitive_substring(store: Store, entity: str) -> None:
    run = started(store, entity)
    lines = ["Epoch 1 loss 0.5", "WARNING: lr too high", "epoch 2 loss 0.4", "100% done", "a_b"]
    store.apply(run, "s1", [output(2, 0, lines)])
    found = store.read_output(run, search="EPOCH")
    assert found.lines == [(0, "Epoch 1 loss 0.5"), (2, "epoch 2 loss 0.4")]
    assert found.total == 2
    assert store.read_output(run, search="epoch", start=1).lines == [(2, "epoch 2 loss 0.4")]
    assert store.read_output(run, search="epoch", start=1).total == 2  # total ignores start
    # LIKE wildcards in the search text are plain characters.
    assert store.read_output(run, search="0%").lines == [(3, "100% done")]
    assert store.read_output(run, search="_").lines == [(4, "a_b")]
    assert store.read_output(run, search="nothing like it").total == 0
    assert store.read_output(run, search="").total == 5  # empty search: every line


def test_apply_is_idempotent_per_line_number(store: Store, entity: str) -> None:
    run = started(store, entity)
    batch = [output(2, 0, ["a", "b"]), output(3, 2, ["c"])]
    store.apply(run, "s1", batch)
    store.apply(run, "s1", batch)  # a retry: below the watermark, skipped
    store.apply(run, "replay", [{"seq": 1, "type": "run"}, *batch])  # a re-sync: other stream
    store.apply(run, "other", [output(1, 1, ["B?"])])  # a line number already stored keeps its text
    page = store.read_output(run)
    assert page.lines == [(0, "a"), (1, "b"), (2, "c")] and page.total == 3


def test_long_lines_are_cut_with_a_marker(store: Store, entity: str) -> None:
    run = started(store, entity)
    long = "é" * MAX_OUTPUT_LINE_BYTES  # 2 bytes a character: twice the limit
    store.apply(run, "s1", [output(2, 0, [long, "short", "nul\x00byte"])])
    (_, cut), (_, short), (_, nul) = store.read_output(run).lines
    assert cut.endswith(OUTPUT_CUT_MARKER) and cut.startswith("éé")
    assert len(cut.encode()) <= MAX_OUTPUT_LINE_BYTES
    assert short == "short"
    assert nul == "nul\ufffdbyte"  # PostgreSQL text cannot hold NUL


def test_bad_output_records_and_arguments_are_refused(store: Store, entity: str) -> None:
    run = started(store, entity)
    for bad in (
        {"start": -1, "lines": ["x"]},
        {"start": "0", "lines": ["x"]},
        {"start": 0, "lines": "x"},
        {"start": 0, "lines": [1]},
        {"lines": ["x"]},
    ):
        with pytest.raises(InvalidValueError, match="output"):
            store.apply(run, "s1", [{"seq": 2, "type": "output", **bad}])
    assert store.read_output(run).total == 0  # a refused batch stored nothing
    with pytest.raises(UsageError):
        store.read_output(run, start=-1)
    with pytest.raises(UsageError):
        store.read_output(run, limit=1_000_000)
    with pytest.raises(NotFoundError):
        store.read_output(RunKey(entity, "proj", "missing"))


def test_deleting_a_run_deletes_its_output(store: Store, entity: str) -> None:
    run = started(store, entity)
    store.apply(run, "s1", [output(2, 0, ["old"])])
    store.delete_run(run)
    run = started(store, entity)
    assert store.read_output(run).total == 0
