"""SDK benchmarks: what ``run.log()`` costs the caller, memory, throughput, start-up, reads.

Each ``bench_*`` function runs its workload in a fresh Python process with its
own empty ``HERON_DIR`` (so imports, caches and peak memory are measured
cold and nothing leaks between benchmarks) and returns :class:`Result` rows.
The plain-Python baseline appends each logged dict to a list and writes the
list as JSON lines at the end: the least any tracker could cost.

Run them all with ``python -m benchmarks.run`` (``--quick`` for a smoke run);
one alone with ``python -m benchmarks.bench_sdk log_cost``.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Result

STEPS = 100_000
"""Steps of 10 scalars: 1M points, the size every big benchmark uses."""
QUICK_STEPS = 20_000
SHORT_RUNS = 200
QUICK_SHORT_RUNS = 50
REPO_ROOT = Path(__file__).resolve().parent.parent

_root: Path | None = None


def _scratch() -> Path:
    """One temporary folder for this benchmark session, removed at exit."""
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="heron-bench-"))
        atexit.register(shutil.rmtree, _root, True)
    return _root


def _row(i: int) -> dict[str, float]:
    """The dict a training loop logs: 10 scalars (built the same way for every contender)."""
    x = i * 0.001
    return {
        "loss": x,
        "acc": x,
        "lr": x,
        "grad_norm": x,
        "val/loss": x,
        "val/acc": x,
        "epoch": x,
        "tokens": x,
        "throughput": x,
        "mem": x,
    }


# ---------------------------------------------------------------- running workers


def _compile_heron() -> None:
    """Give heron's modules their bytecode, as installing a wheel does (pip compiles it).

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set on some CI
    machines) has none, and every fresh process would then compile ~100
    modules again: tens of milliseconds of start-up that no installed copy pays.
    """
    import compileall

    import heron

    compileall.compile_dir(os.path.dirname(heron.__file__), quiet=1)


def _worker(name: str, quick: bool, heron_dir: Path, *args: str, timeout: float = 300) -> Any:
    """Run ``_work_<name>`` in a fresh interpreter; return the JSON it prints last."""
    _compile_heron()
    heron_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERON_", "WANDB_"))}
    env.update(
        HERON_DIR=str(heron_dir),
        HERON_CONSOLE="off",  # the worker's stdout carries its JSON answer
        HERON_SILENT="true",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
    )
    command = [sys.executable, "-m", "benchmarks.bench_sdk", "--worker", name, *args]
    if quick:
        command.append("--quick")
    done = subprocess.run(
        command,
        cwd=heron_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"benchmark worker {name!r} failed ({done.returncode}):\n{done.stderr[-4000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the benchmarks


def bench_log_cost(quick: bool = False) -> list[Result]:
    """(1) Caller cost of one ``run.log()`` of 10 scalars, offline and embedded, vs baseline."""
    data = _worker("log_cost", quick, _scratch() / "log_cost")
    base = data["baseline"]
    results = [
        Result("baseline: list.append + JSON lines", base * 1e6, "µs/call"),
        Result(
            "log() 10 scalars, offline",
            data["offline"] * 1e6,
            "µs/call",
            target=2 * base * 1e6,
            baseline=base * 1e6,
            note=f"finish() {data['offline_finish']:.2f} s",
        ),
        Result(
            "log() 10 scalars, embedded SQLite",
            data["embedded"] * 1e6,
            "µs/call",
            target=2 * base * 1e6,
            baseline=base * 1e6,
            note=f"finish() {data['embedded_finish']:.2f} s",
        ),
    ]
    for other in ("wandb", "trackio"):
        if importlib.util.find_spec(other) is None:
            results.append(
                Result(
                    f"log() 10 scalars, {other}",
                    float("nan"),
                    "µs/call",
                    note="skipped: pip install 'heron[bench]' to compare",
                )
            )
            continue
        theirs = _worker("other_log_cost", quick, _scratch() / f"log_{other}", other)
        results.append(
            Result(
                f"log() 10 scalars, {other}",
                theirs["per_call"] * 1e6,
                "µs/call",
                baseline=base * 1e6,
                note=f"heron offline / {other} = {data['offline'] / theirs['per_call']:.2f}",
            )
        )
    return results


def bench_peak_rss(quick: bool = False) -> Result:
    """(2) Peak resident memory of a process logging 100,000 steps × 10 scalars."""
    data = _worker("peak_rss", quick, _scratch() / "peak_rss")
    return Result(
        f"peak RSS, {data['steps']:,} steps × 10 scalars",
        data["peak_mb"],
        "MB",
        target=100.0,
        note=f"after import {data['import_mb']:.0f} MB",
    )


def bench_throughput(quick: bool = False) -> Result:
    """(3) 1M points from ``init()`` to ``finish()`` returning, into the embedded SQLite store."""
    data = _worker("throughput", quick, _scratch() / "throughput")
    points = data["points"]
    return Result(
        f"{points:,} points init→finish, SQLite",
        data["seconds"],
        "s",
        target=3.0 * points / (STEPS * 10),
        note=f"{points / data['seconds']:,.0f} points/s, {data['stored']:,} read back",
    )


def bench_short_runs(quick: bool = False) -> Result:
    """(4) 200 short runs in one process: 10 config values, 100 steps × 5 metrics each."""
    data = _worker("short_runs", quick, _scratch() / "short_runs")
    runs = data["runs"]
    return Result(
        f"{runs} short runs in one process",
        data["seconds"],
        "s",
        target=1.0 * runs / SHORT_RUNS,
        note=f"{data['seconds'] / runs * 1e3:.1f} ms per run",
    )


def bench_startup(quick: bool = False) -> list[Result]:
    """(5) ``import heron`` in a fresh process; ``init()+finish()`` of an empty run."""
    imports = []
    heavy: set[str] = set()
    code = (
        "import sys, time; t = time.perf_counter(); import heron; t = time.perf_counter() - t; "
        "import json; print(json.dumps([t, [m for m in ('sqlalchemy', 'httpx', 'fastapi', "
        "'numpy', 'pandas') if m in sys.modules]]))"
    )
    _compile_heron()
    for _ in range(3 if quick else 7):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        seconds, loaded = json.loads(done.stdout.strip().splitlines()[-1])
        imports.append(seconds)
        heavy.update(loaded)
    data = _worker("init_finish", quick, _scratch() / "init_finish")
    return [
        Result(
            "import heron (fresh process, median)",
            statistics.median(imports),
            "s",
            target=0.15,
            note=f"also imported: {', '.join(sorted(heavy))}" if heavy else "no heavy imports",
        ),
        Result("init()+finish() empty run, cold", data["cold"], "s", target=0.1),
        Result("init()+finish() empty run, warm median", data["warm"], "s", target=0.1),
    ]


def bench_read_back(quick: bool = False) -> list[Result]:
    """(6) Read 1M points back through ``heron.Api()``: ``scan_history()`` and ``history()``."""
    source = _scratch() / "throughput"
    if not (source / "run_path.txt").exists():
        _worker("throughput", quick, source)
    data = _worker("read_back", quick, source)
    rows = data["rows"]
    return [
        Result(
            f"scan_history() {rows:,} rows × 10 keys",
            data["scan"],
            "s",
            note=f"{rows * 10 / data['scan']:,.0f} points/s",
        ),
        Result(
            f"history(samples=500) of {rows:,} rows",
            data["sampled"],
            "s",
            note=f"{data['sampled_rows']} rows returned",
        ),
    ]


# ---------------------------------------------------------------- worker bodies
# These run inside the fresh interpreter started by _worker().


def _steps(quick: bool) -> int:
    return QUICK_STEPS if quick else STEPS


def _work_log_cost(quick: bool) -> dict[str, float]:
    n = _steps(quick)
    out: dict[str, float] = {}
    rows: list[dict[str, float]] = []
    started = time.perf_counter()
    for i in range(n):
        rows.append(_row(i))
    with open("baseline.jsonl", "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    out["baseline"] = (time.perf_counter() - started) / n
    del rows

    import heron

    for label, mode in (("offline", "offline"), ("embedded", "online")):
        run = heron.init(project=f"bench-{label}", mode=mode)
        started = time.perf_counter()
        for i in range(n):
            run.log(_row(i))
        out[label] = (time.perf_counter() - started) / n
        started = time.perf_counter()
        run.finish()
        out[f"{label}_finish"] = time.perf_counter() - started
    return out


def _work_other_log_cost(quick: bool, name: str) -> dict[str, float]:
    n = 5_000  # per-call cost settles long before; wandb takes ~1 ms a call
    here = os.getcwd()
    if name == "wandb":
        os.environ.update(WANDB_MODE="offline", WANDB_DIR=here, WANDB_SILENT="true")
        import wandb

        run = wandb.init(project="bench")
        log, finish = run.log, run.finish
    else:
        os.environ.update(TRACKIO_DIR=here, HF_HOME=here)
        import trackio

        trackio.init(project="bench")
        log, finish = trackio.log, trackio.finish
    started = time.perf_counter()
    for i in range(n):
        log(_row(i))
    per_call = (time.perf_counter() - started) / n
    finish()
    return {"per_call": per_call}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _work_peak_rss(quick: bool) -> dict[str, float]:
    n = _steps(quick)
    import heron

    import_mb = _peak_rss_mb()
    run = heron.init(project="bench-rss")
    for i in range(n):
        run.log(_row(i))
    run.finish()
    return {"steps": n, "peak_mb": _peak_rss_mb(), "import_mb": import_mb}


def _work_throughput(quick: bool) -> dict[str, Any]:
    n = _steps(quick)
    started = time.perf_counter()
    import heron

    run = heron.init(project="bench-throughput")
    for i in range(n):
        run.log(_row(i))
    run.finish()
    seconds = time.perf_counter() - started
    path = f"{run.entity}/{run.project}/{run.id}"
    Path("run_path.txt").write_text(path)
    return {"points": n * 10, "seconds": seconds, "stored": _stored_points(path)}


def _stored_points(path: str) -> int:
    """Count the points in the embedded store, straight from the Store interface."""
    from heron.entities import RunKey
    from heron.settings import Settings
    from heron.store.sql import SqlStore

    settings = Settings.from_env()
    store = SqlStore.from_settings(settings)
    try:
        key = RunKey.parse(path, default_entity="")
        logged = set(_row(0))  # not _runtime/_timestamp, which the SDK adds to each row
        return sum(info.count for info in store.history_keys(key) if info.key in logged)
    finally:
        store.close()


def _work_short_runs(quick: bool) -> dict[str, float]:
    runs = QUICK_SHORT_RUNS if quick else SHORT_RUNS
    import heron

    config = {f"c{j}": j for j in range(10)}
    started = time.perf_counter()
    for _ in range(runs):
        run = heron.init(project="bench-short", config=config)
        for step in range(100):
            x = step * 0.01
            run.log({"loss": x, "acc": x, "lr": x, "val/loss": x, "val/acc": x})
        run.finish()
    return {"runs": runs, "seconds": time.perf_counter() - started}


def _work_init_finish(quick: bool) -> dict[str, float]:
    import heron

    started = time.perf_counter()
    heron.init(project="bench-empty").finish()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(5 if quick else 10):
        started = time.perf_counter()
        heron.init(project="bench-empty").finish()
        warm.append(time.perf_counter() - started)
    return {"cold": cold, "warm": statistics.median(warm)}


def _work_read_back(quick: bool) -> dict[str, Any]:
    import heron

    path = Path("run_path.txt").read_text().strip()
    run = heron.Api().run(path)
    started = time.perf_counter()
    rows = sum(1 for _ in run.scan_history(page_size=10_000))
    scan = time.perf_counter() - started
    started = time.perf_counter()
    sampled = run.history(samples=500, pandas=False)
    return {
        "rows": rows,
        "scan": scan,
        "sampled": time.perf_counter() - started,
        "sampled_rows": len(sampled),
    }


def _main(argv: list[str]) -> None:
    if argv and argv[0] == "--worker":
        name, rest = argv[1], argv[2:]
        quick = "--quick" in rest
        args = [a for a in rest if a != "--quick"]
        result = globals()[f"_work_{name}"](quick, *args)
        sys.stdout.write("\n" + json.dumps(result) + "\n")
        return
    from benchmarks.run import main

    main(["--only", *argv] if argv else [])


if __name__ == "__main__":
    _main(sys.argv[1:])
