"""Weave tracing benchmarks: the per-call overhead of ``@weave.op``, and a 100,000-call trace.

* Overhead: a trivial function called N times bare and as a traced op (tracing
  on, embedded store, the writer and sender threads running as in real use);
  the figure is (traced - bare) / N. Target: under 15 µs per call.
* Ingest: one trace of 100,001 nested calls (a root, 1,000 children, 99 leaves
  under each), timed from the first call until every call is in the store
  (``client.flush()``), then the time to read the root's first level
  (1,000 children) back.
* Dataset: publish a 100,000-row ``weave.Dataset`` (rows to a stored table),
  then read one 100-row page of it back through ``weave.ref(...).get()``.
* Evaluation: a ``weave.Evaluation`` of 1,000 rows with 2 scorers and a trivial
  model (about 4,000 traced calls), timed to the summary and until stored.

    python -m benchmarks.bench_weave [--quick]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Result

CALLS = 200_000
QUICK_CALLS = 50_000
MIDDLE, LEAVES = 1000, 99
QUICK_MIDDLE = 200
DATASET_ROWS = 100_000
EVALUATION_ROWS = 1000


def _init(folder: Path, project: str) -> Any:
    from heron import weave
    from heron.settings import Settings

    return weave.init(f"bench/{project}", settings=Settings(dir=folder, queue_size=1_000_000))


def bench_op_overhead(quick: bool) -> list[Result]:
    from heron import weave

    n = QUICK_CALLS if quick else CALLS

    def trivial(x: int) -> int:
        return x

    traced = weave.op(trivial)
    tmp = Path(tempfile.mkdtemp(prefix="heron-bench-weave-"))
    try:
        start, cpu = time.perf_counter(), time.thread_time()
        for i in range(n):
            trivial(i)
        bare = (time.perf_counter() - start) / n
        bare_cpu = (time.thread_time() - cpu) / n
        client = _init(tmp, "overhead")
        for i in range(1000):  # warm up: threads started, store opened
            traced(i)
        client.flush()
        start, cpu = time.perf_counter(), time.thread_time()
        for i in range(n):
            traced(i)
        per_call = (time.perf_counter() - start) / n
        # The caller's own CPU time: what the op costs its thread, whatever the load.
        per_call_cpu = (time.thread_time() - cpu) / n
        client.flush(timeout=600)
        stored = len(client.get_calls())
        weave.finish()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if stored != n + 1000:
        raise RuntimeError(f"expected {n + 1000} stored calls, found {stored}")
    overhead_us = (per_call - bare) * 1e6
    return [
        Result(
            f"@weave.op overhead per call ({n:,} calls)",
            overhead_us,
            "us",
            target=15.0,
            note=f"bare {bare * 1e6:.3f} us, traced {per_call * 1e6:.2f} us",
        ),
        Result(
            "@weave.op overhead per call: the caller's CPU time",
            (per_call_cpu - bare_cpu) * 1e6,
            "us",
            note="thread CPU time; the writer and sender threads run apart",
        ),
        _weave_054_overhead(min(n, WEAVE_054_CALLS)),
    ]


WEAVE_054_CALLS = 20_000
"""weave 0.54 costs about a millisecond a call here: fewer calls measure it as well."""

WEAVE_054_SCRIPT = """
import os, sys, time
os.environ.update(WANDB_API_KEY="x" * 40, WEAVE_PRINT_CALL_LINK="false",
                  WF_TRACE_SERVER_URL="http://127.0.0.1:9", WANDB_BASE_URL="http://127.0.0.1:9")
import weave
from weave.trace import weave_client
from weave.trace.context import weave_client_context
from weave.trace.weave_init import init_weave_get_server
# weave.init() refuses to start without its server (it asks the server for its version
# first), so the client init() would make is built here directly, on the same remote
# trace server binding: tracing runs as usual and its uploads fail in the background.
client = weave_client.WeaveClient("bench", "overhead", init_weave_get_server(),
                                  ensure_project_exists=False)
weave_client_context.set_weave_client_global(client)
n = int(sys.argv[1])
def trivial(x):
    return x
traced = weave.op(trivial)
start = time.perf_counter()
for i in range(n):
    trivial(i)
bare = (time.perf_counter() - start) / n
for i in range(1000):
    traced(i)
start = time.perf_counter()
for i in range(n):
    traced(i)
print((time.perf_counter() - start) / n - bare)
os._exit(0)
"""


def _weave_054_overhead(n: int) -> Result:
    """weave 0.54's own overhead, its trace server unreachable, when it is installed in
    the virtual environment ``HERON_BENCH_WEAVE_PYTHON`` names (else "not installed")."""
    import os
    import subprocess

    name = "weave 0.54 @weave.op overhead per call (server unreachable)"
    python = os.environ.get("HERON_BENCH_WEAVE_PYTHON")
    if not python:
        return Result(name, float("nan"), "us", note="not installed")
    try:
        done = subprocess.run(
            [python, "-c", WEAVE_054_SCRIPT, str(n)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        value = float(done.stdout.strip().splitlines()[-1]) * 1e6
    except subprocess.CalledProcessError as exc:  # 0.54's init needs its server: it refuses
        last = (exc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        return Result(name, float("nan"), "us", note=f"did not run: {last[0]}"[:200])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        return Result(name, float("nan"), "us", note=f"did not run: {exc}"[:200])
    return Result(name, value, "us", note=f"{n:,} calls, {python}")


def bench_trace_ingest(quick: bool) -> list[Result]:
    from heron import weave

    middle_count = QUICK_MIDDLE if quick else MIDDLE

    @weave.op
    def leaf(i: int) -> int:
        return i

    @weave.op
    def middle(i: int) -> int:
        return sum(leaf(j) for j in range(LEAVES))

    @weave.op
    def root() -> int:
        return sum(middle(i) for i in range(middle_count))

    tmp = Path(tempfile.mkdtemp(prefix="heron-bench-weave-"))
    try:
        client = _init(tmp, "ingest")
        start = time.perf_counter()
        root()
        traced = time.perf_counter() - start
        if not client.flush(timeout=600):
            raise RuntimeError("the trace did not reach the store within 600 s")
        ingest = time.perf_counter() - start
        (top,) = client.get_calls(filter={"trace_roots_only": True})
        start = time.perf_counter()
        first_level = list(top.children())
        read = time.perf_counter() - start
        total = len(client.get_calls(filter={"trace_ids": [top.trace_id]}))
        weave.finish()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    calls = 1 + middle_count * (1 + LEAVES)
    if total != calls or len(first_level) != middle_count:
        raise RuntimeError(f"expected {calls} calls, {middle_count} children; got {total}")
    return [
        Result(f"trace of {calls:,} calls: traced (caller's time)", traced, "s"),
        Result(f"trace of {calls:,} calls: in the store", ingest, "s", target=60.0),
        Result(f"first level of the trace ({middle_count:,} children)", read, "s", target=1.0),
    ]


def bench_dataset(quick: bool) -> list[Result]:
    """Publish a 100,000-row Dataset (embedded store) and read one page of it back."""
    from heron import weave

    n = 20_000 if quick else DATASET_ROWS
    rows = [{"id": i, "question": f"what is {i} squared?", "answer": i * i} for i in range(n)]
    tmp = Path(tempfile.mkdtemp(prefix="heron-bench-weave-"))
    try:
        client = _init(tmp, "dataset")
        client.store()  # opened (and migrated) before the clock starts
        start = time.perf_counter()
        ref = weave.publish(weave.Dataset(name="bench", rows=rows))
        published = time.perf_counter() - start
        start = time.perf_counter()
        dataset = ref.get()
        page = dataset.rows[n // 2 : n // 2 + 100]
        read = time.perf_counter() - start
        weave.finish()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if page != rows[n // 2 : n // 2 + 100]:
        raise RuntimeError("the page read back is not the rows published")
    return [
        Result(f"publish a {n:,}-row Dataset", published, "s", target=10.0),
        Result(f"read a 100-row page of it ({n:,} rows)", read, "s", target=0.5),
    ]


def bench_evaluation(quick: bool) -> list[Result]:
    """A 1,000-row weave.Evaluation with 2 scorers and a trivial sync model, until stored."""
    import asyncio

    from heron import weave

    n = 200 if quick else EVALUATION_ROWS
    rows = [{"question": str(i), "answer": str(i) if i % 3 else "x"} for i in range(n)]

    @weave.op
    def model(question: str) -> str:
        return question

    @weave.op
    def exact(answer: str, output: str) -> dict[str, bool]:
        return {"correct": answer == output}

    @weave.op
    def length(output: str) -> int:
        return len(output)

    tmp = Path(tempfile.mkdtemp(prefix="heron-bench-weave-"))
    try:
        client = _init(tmp, "evaluation")
        client.store()
        evaluation = weave.Evaluation(dataset=rows, scorers=[exact, length])
        start = time.perf_counter()
        summary = asyncio.run(evaluation.evaluate(model))
        evaluated = time.perf_counter() - start
        client.flush()
        stored = time.perf_counter() - start
        weave.finish()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if summary["exact"]["correct"]["true_count"] != sum(1 for i in range(n) if i % 3):
        raise RuntimeError(f"the evaluation summary is wrong: {summary}")
    return [
        Result(f"evaluation of {n:,} rows x 2 scorers", evaluated, "s", target=10.0),
        Result(f"evaluation of {n:,} rows x 2 scorers: in the store", stored, "s"),
    ]


def main(argv: list[str]) -> int:
    from benchmarks.run import report

    quick = "--quick" in argv
    results: list[Result] = []
    for bench in (bench_op_overhead, bench_trace_ingest, bench_dataset, bench_evaluation):
        print(f"running {bench.__name__} ...", file=sys.stderr, flush=True)
        results.extend(bench(quick))
    return 1 if report(results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
