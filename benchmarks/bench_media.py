"""Media benchmarks: logging a million-row Table and a 1,000-image gallery, and the table endpoint.

Each logging benchmark times ``init()`` to ``finish()`` on the embedded store
(so encoding, the writer thread, the blob store and SQLite all count) next
to the least any tracker could do with the same data: pyarrow writing the
Parquet file, Pillow writing the PNGs. The endpoint benchmark pages a
million-row table sorted by a float and by a string column through the real
FastAPI app, cold (the Parquet file decoded) and warm (from the table cache).

    python -m benchmarks.bench_media [--quick]
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks import Result

ROWS = 1_000_000
QUICK_ROWS = 200_000
IMAGES = 1000
QUICK_IMAGES = 200


def _frame(rows: int) -> Any:
    """Five columns: two of ints, two of floats, one of strings."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "label": rng.integers(0, 10, rows),
            "score": rng.random(rows),
            "loss": rng.normal(size=rows),
            "name": [f"sample-{i % 50_000}" for i in range(rows)],
        }
    )


def _client(folder: Path) -> Any:
    from heron.sdk.client import Client
    from heron.settings import Settings

    settings = Settings(dir=folder, meta=False, silent=True, console="off")
    return Client(settings, install_hooks=False)


def _log_seconds(folder: Path, make_row: Any) -> float:
    """Seconds from ``init()`` to the end of ``finish()`` for one ``log()`` of ``make_row()``."""
    client = _client(folder)
    try:
        started = time.perf_counter()
        run = client.init(project="bench-media")
        run.log(make_row())
        run.finish()
        return time.perf_counter() - started
    finally:
        client.teardown()


def bench_table_log(quick: bool = False) -> list[Result]:
    """A 1M-row, 5-column Table logged init -> finish, vs pyarrow writing the same Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import heron

    rows = QUICK_ROWS if quick else ROWS
    frame = _frame(rows)
    with tempfile.TemporaryDirectory(prefix="heron-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), root / "base.parquet")
        baseline = time.perf_counter() - started
        heron_s = _log_seconds(root / "df", lambda: {"t": heron.Table(dataframe=frame)})
        records = frame.to_numpy(dtype=object).tolist()
        columns = list(frame.columns)
        rows_s = _log_seconds(root / "rows", lambda: {"t": heron.Table(columns, data=records)})
    size = f"{rows:,} rows x 5 columns"
    return [
        Result(
            f"Table(dataframe=) {size}, init->finish",
            heron_s,
            "s",
            target=max(5 * baseline, 2.0),
            baseline=baseline,
            note="baseline: pyarrow.parquet.write_table",
        ),
        Result(
            f"Table(data=rows) {size}, init->finish",
            rows_s,
            "s",
            baseline=baseline,
            note="rows as Python lists, type-checked column-wise",
        ),
    ]


def bench_gallery(quick: bool = False) -> list[Result]:
    """A gallery of 1,000 64x64 RGB images logged init -> finish, vs Pillow writing the PNGs."""
    import numpy as np
    from PIL import Image as PILImage

    import heron

    count = QUICK_IMAGES if quick else IMAGES
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(count)]
    with tempfile.TemporaryDirectory(prefix="heron-bench-") as tmp:
        root = Path(tmp)
        (root / "png").mkdir()
        started = time.perf_counter()
        for i, array in enumerate(arrays):
            PILImage.fromarray(array).save(root / "png" / f"{i}.png")
        baseline = time.perf_counter() - started
        heron_s = _log_seconds(root / "run", lambda: {"gallery": [heron.Image(a) for a in arrays]})
    return [
        Result(
            f"gallery of {count:,} 64x64 images, init->finish",
            heron_s,
            "s",
            target=max(3 * baseline, 1.0),
            baseline=baseline,
            note="baseline: PIL.Image.save per PNG",
        )
    ]


def bench_table_endpoint(quick: bool = False) -> list[Result]:
    """GET /api/v1/tables/{sha256} sorted and paged over 1M rows, cold and from the cache."""
    from heron.data_types import MemorySink, Table
    from heron.server.app import create_app
    from heron.settings import Settings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    rows = QUICK_ROWS if quick else ROWS
    sink = MemorySink()
    stub = Table(dataframe=_frame(rows)).to_stub(sink, "t")
    data = sink.files[stub["path"]]
    sha = hashlib.sha256(data).hexdigest()
    tmp = Path(tempfile.mkdtemp(prefix="heron-bench-"))
    try:
        with TestClient(create_app(Settings(dir=tmp))) as client:
            assert client.put(f"/api/v1/blobs/{sha}", content=data).status_code == 201
            url = f"/api/v1/tables/{sha}"

            def page(**params: Any) -> float:
                started = time.perf_counter()
                response = client.get(url, params=params)
                response.raise_for_status()
                return time.perf_counter() - started

            cold = page(sort="score", desc="true", offset=100, limit=50)
            warm_float = min(page(sort="loss", offset=200, limit=50) for _ in range(3))
            warm_string = min(page(sort="name", desc="true", limit=50) for _ in range(3))
            deep = min(page(sort="score", offset=rows // 2, limit=50) for _ in range(3))
            filtered = min(
                page(sort="name", filter='score > 0.5 and name contains "-12"', limit=50)
                for _ in range(3)
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = f"{rows:,} rows"
    return [
        Result(f"table page, sort float, cold ({size})", cold, "s", target=1.0),
        Result(f"table page, sort float, warm ({size})", warm_float, "s", target=1.0),
        Result(f"table page, sort string, warm ({size})", warm_string, "s", target=1.0),
        Result(f"table page at row {rows // 2:,}, sort float", deep, "s", target=1.0),
        Result(f"table page, filter + sort string ({size})", filtered, "s", target=1.0),
    ]


def main(argv: list[str]) -> int:
    from benchmarks.run import report

    quick = "--quick" in argv
    results: list[Result] = []
    for bench in (bench_table_log, bench_gallery, bench_table_endpoint):
        print(f"running {bench.__name__} ...", file=sys.stderr, flush=True)
        results.extend(bench(quick))
    missed = report(results)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
