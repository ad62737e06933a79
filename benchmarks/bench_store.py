"""SQL store benchmarks: writing history as the sender does, and reading it for charts.

* ``apply``: 100,000 history records of 10 scalars plus ``_runtime`` and
  ``_timestamp`` (1.2M points) into a fresh SQLite store, 5,000 records a batch.
* ``apply_short_run``: one ``apply`` of a short run's whole log (run, config,
  100 history rows of 5 scalars plus ``_runtime``/``_timestamp``, summary,
  exit), creating the run: what each of many short runs costs the store.
* ``series``: one key of 1M points downsampled into 1,000 buckets.
* ``scan_history`` / ``sample_history``: every row, and 500 sampled rows, of the
  run written by ``apply`` (1M scalar points).
* ``series_many``: a workspace chart set, 4 keys of 100 runs of 100,000 steps
  each (400 series, 40M points) into 1,000 buckets each.
* ``runs_page``: the runs table's request on a project of 10,000 runs: a
  lite page of 100 ordered by a summary key, and the count.

Run them all with ``python -m benchmarks.bench_store`` (``--quick`` for a smoke
run), or through ``python -m benchmarks.run``.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Result
from heron.entities import RunKey
from heron.store.blobs import LocalBlobStore
from heron.store.sql import SqlStore

STEPS = 100_000
QUICK_STEPS = 20_000
KEYS = 10
BATCH = 5_000
SHORT_RUNS = 200
QUICK_SHORT_RUNS = 50
SHORT_STEPS = 100
SERIES_POINTS = 1_000_000
QUICK_SERIES_POINTS = 200_000
WIDE = RunKey("bench", "store", "wide")
LONG = RunKey("bench", "store", "long")

_stores: dict[bool, tuple[SqlStore, float, float]] = {}


def _history_records(steps: int, keys: int, first_seq: int = 2) -> list[dict[str, Any]]:
    t0 = 1.7e9
    return [
        {
            "seq": first_seq + s,
            "type": "history",
            "row": {
                "_step": s,
                "_runtime": s * 0.01,
                "_timestamp": t0 + s * 0.01,
                **{f"metric_{k}": (s % 977) * 0.001 + k for k in range(keys)},
            },
        }
        for s in range(steps)
    ]


def _store(quick: bool) -> tuple[SqlStore, float, float]:
    """A SQLite store holding the benchmark runs, and the wall and CPU seconds of the apply."""
    if quick in _stores:
        return _stores[quick]
    root = Path(tempfile.mkdtemp(prefix="heron-bench-store-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    store = SqlStore(f"sqlite:///{root / 'heron.db'}", LocalBlobStore(root / "blobs"))
    steps = QUICK_STEPS if quick else STEPS
    records = _history_records(steps, KEYS)
    store.apply(WIDE, "bench", [{"seq": 1, "type": "run"}])
    began, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(records), BATCH):
        store.apply(WIDE, "bench", records[i : i + BATCH])
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    points = QUICK_SERIES_POINTS if quick else SERIES_POINTS
    store.apply(LONG, "bench", [{"seq": 1, "type": "run"}])
    for i in range(0, points, 50_000):
        store.apply(
            LONG,
            "bench",
            [
                {"seq": 2 + s, "type": "history", "row": {"_step": s, "loss": 1.0 / (s + 1)}}
                for s in range(i, min(i + 50_000, points))
            ],
        )
    _stores[quick] = (store, elapsed, cpu)
    return _stores[quick]


def _timed(fn: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def bench_apply(quick: bool = False) -> list[Result]:
    """Seconds to apply 100k records x 12 points in 5,000-record batches (SQLite)."""
    _, elapsed, cpu = _store(quick)
    steps = QUICK_STEPS if quick else STEPS
    points = steps * (KEYS + 2)
    scale = steps / STEPS
    return [
        Result(
            "store.apply 100k rows x 12 keys (SQLite)",
            elapsed,
            "s",
            target=1.5 * scale,
            note=f"{points / elapsed:,.0f} points/s, {cpu:.2f} s CPU, {BATCH} records a batch",
        )
    ]


def _short_run_log(steps: int = SHORT_STEPS) -> list[dict[str, Any]]:
    """A short run's whole log, as the SDK writes it, in one batch."""
    t0 = 1.7e9
    head: list[dict[str, Any]] = [
        {"seq": 1, "type": "run", "name": "short", "tags": ["bench"], "created_at": t0},
        {"seq": 2, "type": "config", "config": {"lr": 0.01, "epochs": 1, "model": "mlp"}},
    ]
    rows = [
        {
            "seq": 3 + s,
            "type": "history",
            "row": {
                "_step": s,
                "_runtime": s * 0.01,
                "_timestamp": t0 + s * 0.01,
                **{f"metric_{k}": (s % 97) * 0.01 + k for k in range(5)},
            },
        }
        for s in range(steps)
    ]
    seq = 3 + steps
    tail: list[dict[str, Any]] = [
        {"seq": seq, "type": "summary", "summary": {"metric_0": 0.5, "_step": steps - 1}},
        {"seq": seq + 1, "type": "exit", "state": "finished", "exit_code": 0, "ended_at": t0 + 9},
    ]
    return head + rows + tail


def bench_apply_short_run(quick: bool = False) -> list[Result]:
    """Milliseconds per apply() of a short run's whole log, each creating its run (SQLite)."""
    root = Path(tempfile.mkdtemp(prefix="heron-bench-short-"))
    store = SqlStore(f"sqlite:///{root / 'heron.db'}", LocalBlobStore(root / "blobs"))
    try:
        log = _short_run_log()
        n = QUICK_SHORT_RUNS if quick else SHORT_RUNS
        store.apply(RunKey("bench", "short", "warmup"), "log", log)
        times = []
        cpu = time.process_time()
        for i in range(n):
            began = time.perf_counter()
            store.apply(RunKey("bench", "short", f"run{i}"), "log", log)
            times.append(time.perf_counter() - began)
        cpu = time.process_time() - cpu
    finally:
        store.close()
        shutil.rmtree(root, ignore_errors=True)
    times.sort()
    median = times[len(times) // 2] * 1000
    return [
        Result(
            "store.apply short run (1 batch, creates run)",
            median,
            "ms",
            target=3.0,
            note=f"median of {n}; p90 {times[n * 9 // 10] * 1000:.2f} ms,"
            f" {cpu / n * 1000:.2f} ms CPU, {len(log)} records, {SHORT_STEPS * 7} points",
        )
    ]


def bench_series(quick: bool = False) -> list[Result]:
    """Seconds for series() of one key over 1M points into 1,000 buckets."""
    store, _, _ = _store(quick)
    points = QUICK_SERIES_POINTS if quick else SERIES_POINTS
    series = store.series(LONG, "loss", buckets=1000)
    assert series.total_points == points and len(series.x) == 1000
    zoom = store.series(LONG, "loss", min_x=points * 0.4, max_x=points * 0.5, buckets=1000)
    assert zoom.sampled
    return [
        Result(
            f"store.series {points // 1000}k points -> 1000 buckets",
            _timed(lambda: store.series(LONG, "loss", buckets=1000)),
            "s",
            target=0.5,
        ),
        Result(
            "store.series zoom to 10% of the steps",
            _timed(
                lambda: store.series(
                    LONG, "loss", min_x=points * 0.4, max_x=points * 0.5, buckets=1000
                )
            ),
            "s",
        ),
    ]


def bench_scan_history(quick: bool = False) -> list[Result]:
    """Seconds to page through every row of the 100k x 12 run with scan_history()."""
    store, _, _ = _store(quick)
    steps = QUICK_STEPS if quick else STEPS

    def scan() -> None:
        count = sum(1 for _ in store.scan_history(WIDE, page_size=1000))
        assert count == steps

    return [Result(f"store.scan_history {steps // 1000}k rows x 12 keys", _timed(scan, 1), "s")]


def bench_sample_history(quick: bool = False) -> list[Result]:
    """Seconds for sample_history(samples=500) of the 100k x 12 run."""
    store, _, _ = _store(quick)

    def sample() -> None:
        assert len(store.sample_history(WIDE, samples=500)) == 500

    return [Result("store.sample_history 500 of 1.2M points", _timed(sample), "s")]


MANY_RUNS, QUICK_MANY_RUNS = 100, 20
MANY_STEPS, QUICK_MANY_STEPS = 100_000, 20_000
MANY_KEYS = 4
TABLE_RUNS, QUICK_TABLE_RUNS = 10_000, 2_000


def bench_series_many(quick: bool = False) -> list[Result]:
    """Seconds for series_many() of 4 keys x 100 runs x 100k steps into 1,000 buckets (SQLite)."""
    n_runs = QUICK_MANY_RUNS if quick else MANY_RUNS
    n_steps = QUICK_MANY_STEPS if quick else MANY_STEPS
    root = Path(tempfile.mkdtemp(prefix="heron-bench-many-"))
    store = SqlStore(f"sqlite:///{root / 'heron.db'}", LocalBlobStore(root / "blobs"))
    try:
        # One batch per run: the records are built once and applied to every run.
        records: list[dict[str, Any]] = [{"seq": 1, "type": "run"}]
        records += [
            {
                "seq": 2 + s,
                "type": "history",
                "row": {"_step": s, **{f"m{k}": (s % 977) * 0.001 + k for k in range(MANY_KEYS)}},
            }
            for s in range(n_steps)
        ]
        run_ids = [f"run{i}" for i in range(n_runs)]
        for run_id in run_ids:
            store.apply(RunKey("bench", "many", run_id), "bench", records)
        keys = [f"m{k}" for k in range(MANY_KEYS)]

        def query() -> None:
            found = store.series_many("bench", "many", run_ids, keys, buckets=1000)
            assert len(found) == n_runs * MANY_KEYS
            assert all(s.total_points == n_steps and len(s.x) == 1000 for _, s in found)

        elapsed = _timed(query)
    finally:
        store.close()
        shutil.rmtree(root, ignore_errors=True)
    series = n_runs * MANY_KEYS
    return [
        Result(
            f"store.series_many {n_runs} runs x {MANY_KEYS} keys x {n_steps // 1000}k steps",
            elapsed,
            "s",
            target=2.0 * n_runs / MANY_RUNS,  # per series: quick runs are short on points
            note=f"{series} series, {series * n_steps / elapsed / 1e6:,.0f}M points/s",
        )
    ]


def _seed_runs(store: SqlStore, entity: str, project: str, n: int) -> None:
    """``n`` finished runs with config, summary, tags and metadata, straight into the tables.

    10,000 ``apply`` calls would take most of the benchmark's time; what is
    measured here is reading them.
    """
    from heron.store.sql.tables import projects, runs

    t0 = 1.7e9
    metadata = {"python": "3.11.9", "packages": [f"package-{i}==1.{i}" for i in range(100)]}
    with store.engine.begin() as conn:
        project_id = conn.execute(
            projects.insert().values(entity=entity, name=project, created_at=t0, last_activity=t0)
        ).inserted_primary_key[0]
        rows = [
            {
                "project_id": project_id,
                "run_id": f"run{i:05d}",
                "name": f"run-{i}",
                "state": "finished",
                "config": {"lr": 10 ** -(i % 5), "optimizer": {"name": ["adam", "sgd"][i % 2]}},
                "summary": {"acc": (i * 7919 % 10_000) / 10_000, "loss": 1 / (i + 1), "_step": 99},
                "tags": ["bench", f"t{i % 10}"],
                "metadata": metadata,
                "metrics": {},
                "created_at": t0 + i,
                "updated_at": t0 + i + 60,
                "heartbeat_at": t0 + i + 60,
                "ended_at": t0 + i + 60,
                "exit_code": 0,
                "last_step": 99,
            }
            for i in range(n)
        ]
        conn.execute(runs.insert(), rows)


def bench_runs_page(quick: bool = False) -> list[Result]:
    """Seconds for a lite page of 100 runs ordered by a summary key, and the count (10k runs)."""
    n = QUICK_TABLE_RUNS if quick else TABLE_RUNS
    root = Path(tempfile.mkdtemp(prefix="heron-bench-table-"))
    store = SqlStore(f"sqlite:///{root / 'heron.db'}", LocalBlobStore(root / "blobs"))
    try:
        _seed_runs(store, "bench", "table", n)

        def page(lite: bool = True, search: str | None = None) -> None:
            found = store.list_runs(
                "bench", "table", limit=100, order="-summary.acc", lite=lite, search=search
            )
            assert len(found) == 100 and found[0].summary["acc"] >= found[-1].summary["acc"]
            assert store.count_runs("bench", "table", search=search) >= 100

        lite = _timed(page)
        searched = _timed(lambda: page(search="t3"))
        full = _timed(lambda: page(lite=False))
    finally:
        store.close()
        shutil.rmtree(root, ignore_errors=True)
    return [
        Result(
            f"store.list_runs lite 100 of {n // 1000}k by summary + count",
            lite,
            "s",
            target=0.3,
            note=f"with metadata {full:.3f} s; with a search {searched:.3f} s",
        )
    ]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    results: list[Result] = []
    for bench in (
        bench_apply_short_run,
        bench_apply,
        bench_series,
        bench_scan_history,
        bench_sample_history,
        bench_series_many,
        bench_runs_page,
    ):
        results.extend(bench(quick))
    for r in results:
        target = "" if r.target is None else f"  (target <= {r.target:g} {r.unit})"
        note = f"  {r.note}" if r.note else ""
        print(f"{r.name:<48} {r.value:8.3f} {r.unit}{target}{note}")
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
