"""The traces dashboard in a real browser: ``python -m benchmarks.bench_traces_ui [--quick]``.

Two pages, each loaded three times in Chromium against a live ``heron server``,
timed by the performance marks the pages set (milliseconds from navigation
start, so the figure includes fetching the page, its modules and the API):

* the traces table (``/{entity}/{project}/weave/traces``) of a project of
  10,000 traces of 3 calls each (``--quick``: 2,000): mark
  ``heron:traces-rows``, the first page of rows on screen. Target: 1 s.
* one trace of 100,001 calls, a root with 100,000 children (``--quick``:
  20,000), opened at the root (``/weave/calls/{root}``): mark
  ``heron:trace-tree``, the root expanded and its first page of children
  drawn. Target: 2 s.

Calls are written straight through ``Store.apply_calls`` as whole ``call``
records (what ``@weave.op`` sends costs the same to store; see
``benchmarks/bench_weave.py`` for the SDK side). Seeding takes a while, so
this is not part of ``benchmarks.run``; run it on its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Result
from benchmarks.bench_ui import load_mark
from heron.settings import Settings
from heron.store.sql import SqlStore

ENTITY = "bench"
TABLE_PROJECT = "traces-table"
TRACE_PROJECT = "wide-trace"
LOADS = 3
BATCH = 10_000
CHROMIUM = os.environ.get("HERON_CHROMIUM", "/usr/bin/chromium")


def _call(
    seq: int, call_id: str, trace_id: str, parent: str | None, op: str, t0: float, t1: float
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "call",
        "id": call_id,
        "trace_id": trace_id,
        "parent_id": parent,
        "op_name": op,
        "display_name": None,
        "inputs": {"question": f"question {seq}", "k": seq % 7},
        "attributes": {"env": ("prod", "dev")[seq % 2]},
        "started_at": t0,
        "output": {"answer": f"answer {seq}"},
        "exception": None,
        "summary": {
            "status_counts": {"success": 1, "error": 0},
            "usage": {"gpt-4o-mini": {"requests": 1, "prompt_tokens": 30, "total_tokens": 42}},
        },
        "ended_at": t1,
    }


def _apply(store: SqlStore, project: str, records: list[dict[str, Any]]) -> None:
    for i in range(0, len(records), BATCH):
        store.apply_calls(ENTITY, project, "seed", records[i : i + BATCH])


def seed_table(store: SqlStore, traces: int) -> float:
    """``traces`` traces of a root and two children; returns the seconds it took."""
    started = time.perf_counter()
    now = time.time() - traces - 60
    records: list[dict[str, Any]] = []
    for t in range(traces):
        root, t0 = f"r{t:06d}", now + t
        records.append(_call(len(records) + 1, root, root, None, "answer", t0, t0 + 0.9))
        for c in range(2):
            records.append(
                _call(
                    len(records) + 1, f"{root}-{c}", root, root, "llm", t0 + 0.1 + c * 0.4, t0 + 0.4
                )
            )
    _apply(store, TABLE_PROJECT, records)
    return time.perf_counter() - started


def seed_wide_trace(store: SqlStore, children: int) -> tuple[str, float]:
    """One root with ``children`` children; returns the root's id and the seconds it took."""
    started = time.perf_counter()
    t0 = time.time() - 3600
    root = "wide-root"
    records = [_call(1, root, root, None, "fan_out", t0, t0 + children * 0.001 + 1)]
    for i in range(children):
        start = t0 + 0.5 + i * 0.001
        records.append(_call(i + 2, f"c{i:06d}", root, root, "leaf", start, start + 0.0008))
    _apply(store, TRACE_PROJECT, records)
    return root, time.perf_counter() - started


def bench_traces_ui(quick: bool = False) -> list[Result]:
    from playwright.sync_api import sync_playwright
    from tests.helpers.live_server import LiveServer
    from tests.ui.conftest import CHROMIUM_ARGS

    traces = 2_000 if quick else 10_000
    children = 20_000 if quick else 100_000
    data_dir = Path(tempfile.mkdtemp(prefix="heron-bench-traces-ui-"))
    try:
        store = SqlStore.from_settings(Settings(dir=data_dir))
        seconds = seed_table(store, traces)
        print(f"seeded {traces:,} traces in {seconds:.1f} s", file=sys.stderr, flush=True)
        root, seconds = seed_wide_trace(store, children)
        print(f"seeded a trace of {children + 1:,} calls in {seconds:.1f} s", file=sys.stderr)
        store.close()
        with LiveServer(data_dir) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            table_url = f"{server.base_url}/{ENTITY}/{TABLE_PROJECT}/weave/traces"
            table = [
                load_mark(
                    browser,
                    table_url,
                    "heron:traces-rows",
                    "table.traces-table tbody tr",
                    timeout_ms=120_000,
                )
                / 1000
                for _ in range(LOADS)
            ]
            trace_url = f"{server.base_url}/{ENTITY}/{TRACE_PROJECT}/weave/calls/{root}"
            tree = [
                load_mark(
                    browser,
                    trace_url,
                    "heron:trace-tree",
                    ".tree-row[data-call=c000000]",
                    timeout_ms=120_000,
                )
                / 1000
                for _ in range(LOADS)
            ]
            browser.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    def note(loads: list[float]) -> str:
        return "loads: " + ", ".join(f"{s:.2f}" for s in loads)

    return [
        Result(
            f"traces table first rows, {traces:,} traces",
            statistics.median(table),
            "s",
            1.0,
            note=note(table),
        ),
        Result(
            f"trace of {children + 1:,} calls: first level drawn",
            statistics.median(tree),
            "s",
            2.0,
            note=note(tree),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import report

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_traces_ui", description=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="2,000 traces; 20,000 children")
    args = parser.parse_args(argv)
    results = bench_traces_ui(quick=args.quick)
    missed = report(results)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
