"""Run every benchmark and print one table: ``python -m benchmarks.run [--quick]``.

Benchmarks are the ``bench_*`` functions of the modules in :data:`MODULES`
(a module that is not there yet is skipped with a note). Each takes
``quick`` and returns a :class:`benchmarks.Result` or a list of them; plain
dicts with the same fields are accepted too.

Options: ``--quick`` (smaller sizes, targets scaled to match), ``--only NAME``
(run benchmarks whose name contains NAME; repeatable), ``--json PATH`` (also
write the results there) and ``--check`` (exit 1 when a target is missed).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from benchmarks import Result

MODULES = ("benchmarks.bench_sdk", "benchmarks.bench_store", "benchmarks.bench_media")


def discover(
    only: list[str] | None = None,
) -> tuple[list[tuple[str, Callable[..., Any]]], list[str]]:
    """The benchmark functions to run, in module and definition order, and skip notes."""
    found: list[tuple[str, Callable[..., Any]]] = []
    notes: list[str] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                notes.append(f"{name}: not present, skipped")
                continue
            raise
        functions = [
            (f"{name.rsplit('.', 1)[-1]}.{fname}", fn)
            for fname, fn in vars(module).items()
            if fname.startswith("bench_") and inspect.isfunction(fn) and fn.__module__ == name
        ]
        functions.sort(key=lambda item: item[1].__code__.co_firstlineno)
        found.extend(f for f in functions if not only or any(o in f[0] for o in only))
    return found, notes


def _as_results(value: Any) -> list[Result]:
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, Result):
            out.append(item)
        elif isinstance(item, dict):
            out.append(Result.from_dict(item))
        else:  # any object with the same attributes
            out.append(Result.from_dict({k: getattr(item, k) for k in vars(item)}))
    return out


def _call(fn: Callable[..., Any], quick: bool) -> Any:
    params = inspect.signature(fn).parameters
    return fn(quick=quick) if "quick" in params else fn()


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(results: list[Result]) -> str:
    """The results as an aligned text table."""
    header = ("benchmark", "value", "unit", "target", "baseline", "ratio", "ok", "note")
    rows = [header]
    for r in results:
        ok = {None: "", True: "yes", False: "NO"}[r.ok]
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else ""
        rows.append(
            (r.name, _fmt(r.value), r.unit, _fmt(r.target), _fmt(r.baseline), ratio, ok, r.note)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(w) if i in (0, 2, 6) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def report(results: list[Result]) -> list[str]:
    """Print the results table, then a line naming each missed target; return those names."""
    print(table(results))
    missed = [r.name for r in results if r.ok is False]
    if missed:
        print("missed targets: " + "; ".join(missed))
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, scaled targets")
    parser.add_argument("--only", action="append", help="run benchmarks whose name contains this")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    benches, notes = discover(args.only)
    results: list[Result] = []
    failures = 0
    started = time.perf_counter()
    for name, fn in benches:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            results.extend(_as_results(_call(fn, args.quick)))
        except Exception:
            failures += 1
            notes.append(f"{name}: FAILED\n{traceback.format_exc()}")
        print(f"  {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    missed = report(results)
    print(
        f"\n{len(benches)} benchmarks in {time.perf_counter() - started:.0f} s"
        + (" (quick)" if args.quick else "")
    )
    for note in notes:
        print(note)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.to_dict() for r in results], f, indent=2)
    if failures or (args.check and missed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
