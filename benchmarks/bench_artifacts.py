"""Artifact benchmarks: logging and downloading 1 GB (1,000 files, and 2 files), and dedup.

Logging is timed from ``heron.Artifact(...)`` and ``add_dir`` to ``wait()``
returning (the version is in the embedded store: files hashed, copied in,
the record applied), next to ``shutil.copytree`` of the same folder on the
same disk, the least a tracker that keeps its own copy could do. Downloading
is ``artifact.download()`` into an empty folder (every file verified against
its digest) next to ``shutil.copytree`` again. The target is 1.5× the copy.
Each side reports the better of two rounds (heron's into a fresh store), and
every timed step starts after ``os.sync()``: otherwise the gigabytes written
by earlier steps are still being flushed to disk while later ones run, and
whichever is timed last pays for them.
Dedup logs 10 versions that differ in one small file and reports the blob
store's growth over the dataset's size (the target: at most 1.1, one copy).

    python -m benchmarks.bench_artifacts [--quick]      # --quick: 100 MB
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Result

TOTAL = 1000**3
QUICK_TOTAL = 100 * 1000**2
TARGET_RATIO = 1.5


def _folder_bytes(folder: Path) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def _write_data(folder: Path, files: int, total: int) -> None:
    """``files`` files of random bytes, ``total`` bytes in all, 100 per sub-folder."""
    size = total // files
    block = os.urandom(min(size, 1 << 22))
    for i in range(files):
        path = folder / f"part{i // 100:03d}" / f"file{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(i.to_bytes(8, "little"))  # every file distinct: no dedup flatters the numbers
            left = size - 8
            while left > 0:
                f.write(block[:left])
                left -= len(block[:left])


def _client(folder: Path) -> Any:
    from heron.sdk.client import Client
    from heron.settings import Settings

    os.environ["HERON_DIR"] = str(folder)  # the artifact's staging folder follows it
    settings = Settings(dir=folder, meta=False, silent=True, console="off")
    return Client(settings, install_hooks=False)


def _best_copy(source: Path, scratch: Path) -> float:
    """The faster of two ``shutil.copytree`` runs (the first may warm caches)."""
    times = []
    for n in range(2):
        target = scratch / f"copy{n}"
        os.sync()
        started = time.perf_counter()
        shutil.copytree(source, target)
        times.append(time.perf_counter() - started)
        shutil.rmtree(target)
    return min(times)


def _log_and_download(files: int, total: int) -> list[Result]:
    size = f"{total / 1000**3:g} GB in {files:,} files"
    with tempfile.TemporaryDirectory(prefix="heron-bench-art-", dir=_bench_dir()) as tmp:
        root = Path(tmp)
        data = root / "data"
        _write_data(data, files, total)
        copy = _best_copy(data, root)
        # The better of two rounds, each into an empty store, as copytree gets its best of two.
        rounds = [_log_and_download_once(data, root / f"round{n}") for n in range(2)]
    logged, downloaded = (min(times) for times in zip(*rounds, strict=True))
    return [
        Result(f"log artifact, {size}", logged, "s", copy * TARGET_RATIO, copy, "vs copytree"),
        Result(
            f"download artifact, {size}", downloaded, "s", copy * TARGET_RATIO, copy, "vs copytree"
        ),
    ]


def _log_and_download_once(data: Path, folder: Path) -> tuple[float, float]:
    """Seconds to log ``data`` as an artifact into a new store, then to download it."""
    import heron

    client = _client(folder / "heron")
    try:
        run = client.init(project="bench-artifacts")
        os.sync()
        started = time.perf_counter()
        art = heron.Artifact("data", "dataset")
        art.add_dir(data)
        run.log_artifact(art).wait()
        logged = time.perf_counter() - started
        os.sync()
        started = time.perf_counter()
        art.download(folder / "download")
        downloaded = time.perf_counter() - started
        assert _folder_bytes(folder / "download") == _folder_bytes(data)
        run.finish()
    finally:
        client.teardown()
    shutil.rmtree(folder)
    return logged, downloaded


def _bench_dir() -> str | None:
    return os.environ.get("HERON_BENCH_DIR")


def bench_many_files(quick: bool = False) -> list[Result]:
    """1 GB in 1,000 files, logged and downloaded, vs copytree."""
    return _log_and_download(1000, QUICK_TOTAL if quick else TOTAL)


def bench_two_files(quick: bool = False) -> list[Result]:
    """1 GB in 2 files, logged and downloaded, vs copytree."""
    return _log_and_download(2, QUICK_TOTAL if quick else TOTAL)


def bench_dedup(quick: bool = False) -> Result:
    """Blob store growth over the dataset size for 10 versions differing in one small file."""
    import heron

    total = (QUICK_TOTAL if quick else TOTAL) // 5
    with tempfile.TemporaryDirectory(prefix="heron-bench-dedup-", dir=_bench_dir()) as tmp:
        root = Path(tmp)
        data = root / "data"
        _write_data(data, 100, total)
        client = _client(root / "heron")
        try:
            run = client.init(project="bench-dedup")
            for i in range(10):
                (data / "labels.txt").write_text(f"labels of version {i}\n")
                art = heron.Artifact("data", "dataset")
                art.add_dir(data)
                run.log_artifact(art).wait()
            run.finish()
            stored = _folder_bytes(root / "heron" / "blobs")
        finally:
            client.teardown()
        dataset = _folder_bytes(data)
    return Result(
        f"dedup: blob bytes / dataset, 10 versions of {dataset / 1000**2:.0f} MB",
        stored / dataset,
        "×",
        1.1,
        note=f"{stored / 1000**2:.1f} MB stored for {10 * dataset / 1000**2:.0f} MB logged",
    )


def main(argv: list[str]) -> int:
    from benchmarks.run import report

    quick = "--quick" in argv
    results: list[Result] = []
    for bench in (bench_many_files, bench_two_files, bench_dedup):
        print(f"running {bench.__name__} ...", file=sys.stderr, flush=True)
        found = bench(quick)
        results.extend(found if isinstance(found, list) else [found])
    return 1 if report(results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
