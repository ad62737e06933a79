"""The dashboard in a real browser: ``python -m benchmarks.bench_ui [--quick]``.

Seeds a project of 100 runs x 100,000 steps x 4 keys (``--quick``: 20 x 20,000),
starts a ``heron server`` on it, loads ``/{entity}/{project}/workspace`` in
Chromium and reads the performance marks the page sets: ``heron:first-panel``
(the first chart drawn) and ``heron:all-panels`` (every chart drawn), both in
milliseconds from navigation start. Targets (the dashboard issue): first panel
under 2 s, all panels under 5 s.

Then a project of 10,000 runs (``--quick``: 2,000) with config and summary
values: the runs table at ``/{entity}/{project}`` must show its first rows
(mark ``heron:runs-rows``) in under 1 s.

Seeding takes about a minute at full size, so this is not part of
``benchmarks.run``; run it on its own.
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
from heron.entities import RunKey
from heron.settings import Settings
from heron.store.sql import SqlStore

KEYS = ("train/loss", "train/acc", "val/loss", "val/acc")
ENTITY = "bench"
PROJECT = "workspace"
TABLE_PROJECT = "runs-table"
LOADS = 3
CHROMIUM = os.environ.get("HERON_CHROMIUM", "/usr/bin/chromium")


def seed(store: SqlStore, runs: int, steps: int) -> float:
    """``runs`` finished runs of ``steps`` rows of :data:`KEYS`; returns the seconds it took."""
    started = time.perf_counter()
    now = time.time()
    for r in range(runs):
        created = now - steps - 3600 + r
        scale = 1 + r / runs
        records: list[dict[str, Any]] = [
            {"seq": 1, "type": "run", "name": f"run-{r:03d}", "created_at": created},
            {"seq": 2, "type": "config", "config": {"lr": 1e-3 * scale, "seed": r}},
        ]
        records.extend(
            {
                "seq": s + 3,
                "type": "history",
                "row": {
                    "_step": s,
                    "_runtime": s * 0.01,
                    "_timestamp": created + s * 0.01,
                    "train/loss": scale / (1 + s * 1e-3),
                    "train/acc": 1 - 1 / (1 + s * 1e-3 * scale),
                    "val/loss": scale / (1 + s * 8e-4),
                    "val/acc": 1 - 1.1 / (1 + s * 8e-4 * scale),
                },
            }
            for s in range(steps)
        )
        records.append(
            {"seq": steps + 3, "type": "exit", "state": "finished", "exit_code": 0, "ended_at": now}
        )
        store.apply(RunKey(ENTITY, PROJECT, f"run-{r:03d}"), "seed", records)
    return time.perf_counter() - started


def load_workspace(browser: Any, url: str) -> tuple[float, float]:
    """Milliseconds from navigation start to the first and to the last panel drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function(
            "performance.getEntriesByName('heron:all-panels', 'mark').length > 0",
            timeout=120_000,
        )
        marks = page.evaluate(
            "Object.fromEntries(performance.getEntriesByType('mark')"
            ".map((m) => [m.name, m.startTime]))"
        )
        drawn = page.locator(".ws-panel .line-chart canvas").count()
    finally:
        context.close()
    if errors:
        raise RuntimeError("the workspace page failed: " + "; ".join(errors))
    if drawn != len(KEYS):
        raise RuntimeError(f"expected {len(KEYS)} charts drawn, found {drawn}")
    return marks["heron:first-panel"], marks["heron:all-panels"]


def seed_runs_table(store: SqlStore, runs: int) -> float:
    """``runs`` finished runs with 3 config values and 2 summary metrics, no history."""
    started = time.perf_counter()
    now = time.time() - runs - 3600
    for r in range(runs):
        store.apply(
            RunKey(ENTITY, TABLE_PROJECT, f"r{r:05d}"),
            "seed",
            [
                {
                    "seq": 1,
                    "type": "run",
                    "name": f"run-{r:05d}",
                    "created_at": now + r,
                    "tags": ["bench"],
                },
                {
                    "seq": 2,
                    "type": "config",
                    "config": {
                        "lr": r / runs,
                        "batch": 32 << (r % 3),
                        "opt": ("adam", "sgd")[r % 2],
                    },
                },
                {"seq": 3, "type": "summary", "summary": {"acc": r / runs, "loss": 1 - r / runs}},
                {
                    "seq": 4,
                    "type": "exit",
                    "state": "finished",
                    "exit_code": 0,
                    "ended_at": now + r + r % 97,
                },
            ],
        )
    return time.perf_counter() - started


def load_mark(
    browser: Any, url: str, mark: str, ready: str | None = None, timeout_ms: int = 60_000
) -> float:
    """Milliseconds from navigation start to the performance mark ``mark``.

    ``ready``: a selector that must then match something on the page.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function(
            f"performance.getEntriesByName({mark!r}, 'mark').length > 0", timeout=timeout_ms
        )
        at: float = page.evaluate(f"performance.getEntriesByName({mark!r}, 'mark')[0].startTime")
        if ready is not None and page.locator(ready).count() == 0:
            raise RuntimeError(f"{url}: {mark} was set but nothing matches {ready}")
    finally:
        context.close()
    if errors:
        raise RuntimeError(f"the page {url} failed: " + "; ".join(errors))
    return at


def bench_runs_table(quick: bool = False) -> list[Result]:
    from playwright.sync_api import sync_playwright
    from tests.helpers.live_server import LiveServer
    from tests.ui.conftest import CHROMIUM_ARGS

    runs = 2_000 if quick else 10_000
    data_dir = Path(tempfile.mkdtemp(prefix="heron-bench-ui-"))
    try:
        store = SqlStore.from_settings(Settings(dir=data_dir))
        seconds = seed_runs_table(store, runs)
        store.close()
        print(f"seeded {runs:,} runs in {seconds:.0f} s", file=sys.stderr, flush=True)
        with LiveServer(data_dir) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            url = f"{server.base_url}/{ENTITY}/{TABLE_PROJECT}"
            loads = [load_mark(browser, url, "heron:runs-rows") / 1000 for _ in range(LOADS)]
            browser.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    note = "loads: " + ", ".join(f"{s:.2f}" for s in loads)
    return [
        Result(
            f"runs table first rows, {runs:,} runs", statistics.median(loads), "s", 1.0, note=note
        ),
        Result(f"runs table cold first load, {runs:,} runs", loads[0], "s", 1.0),
    ]


def bench_workspace(quick: bool = False) -> list[Result]:
    from playwright.sync_api import sync_playwright
    from tests.helpers.live_server import LiveServer
    from tests.ui.conftest import CHROMIUM_ARGS

    runs, steps = (20, 20_000) if quick else (100, 100_000)
    size = f"{runs} runs x {steps // 1000}k steps x {len(KEYS)} keys"
    data_dir = Path(tempfile.mkdtemp(prefix="heron-bench-ui-"))
    try:
        store = SqlStore.from_settings(Settings(dir=data_dir))
        seconds = seed(store, runs, steps)
        store.close()
        print(f"seeded {size} in {seconds:.0f} s", file=sys.stderr, flush=True)
        with LiveServer(data_dir) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            url = f"{server.base_url}/{ENTITY}/{PROJECT}/workspace"
            loads = [load_workspace(browser, url) for _ in range(LOADS)]
            browser.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    first = [f / 1000 for f, _ in loads]
    last = [a / 1000 for _, a in loads]
    note = "loads: " + ", ".join(f"{f:.2f}/{a:.2f}" for f, a in zip(first, last, strict=True))
    return [
        Result(f"workspace first panel, {size}", statistics.median(first), "s", 2.0, note=note),
        Result(f"workspace all panels, {size}", statistics.median(last), "s", 5.0),
        Result(f"workspace cold first load, all panels, {size}", last[0], "s", 5.0),
    ]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import report

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ui", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 runs x 20k steps")
    args = parser.parse_args(argv)
    results = bench_workspace(quick=args.quick) + bench_runs_table(quick=args.quick)
    return 1 if report(results) else 0


if __name__ == "__main__":
    sys.exit(main())
