"""The progress line of large transfers, and ``wait()`` returning without the sender's linger."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

import heron
from heron.artifacts.progress import NO_PROGRESS, Progress
from heron.sdk.client import Client
from heron.sdk.sender import LINGER
from heron.settings import Settings

FILES = 120


def _final_line(err: str) -> str:
    return err.rstrip("\n").rsplit("\r", 1)[-1].rstrip()


def _log_many(client: Client, tmp_path: Path, files: int = FILES) -> heron.Artifact:
    src = tmp_path / "many"
    src.mkdir()
    for i in range(files):
        (src / f"f{i:03d}.txt").write_text(f"file {i}\n" * 100)
    run = client.init(project="progress")
    art = heron.Artifact("many", "dataset")
    art.add_dir(src)
    return run.log_artifact(art).wait()


def test_upload_and_download_draw_a_final_line(
    online: Settings,
    online_client: Client,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERON_PROGRESS", "1")
    capfd.readouterr()
    art = _log_many(online_client, tmp_path)
    uploaded = capfd.readouterr().err
    if online.base_url:  # staged in the run folder, then uploaded by the sender
        assert f"heron: staging: {FILES}/{FILES} files, " in uploaded
        assert _final_line(uploaded).startswith(f"heron: uploading: {FILES}/{FILES} files, ")
    else:  # straight into the embedded store's blob folder
        assert _final_line(uploaded).startswith(f"heron: storing: {FILES}/{FILES} files, ")
    art.download(tmp_path / "out")
    line = _final_line(capfd.readouterr().err)
    assert line.startswith(f"heron: downloading: {FILES}/{FILES} files, 0.1/0.1 MiB, "), line
    assert line.endswith(" MiB/s")

    monkeypatch.setenv("HERON_PROGRESS", "0")
    art.download(tmp_path / "again")
    assert capfd.readouterr().err == ""


def test_small_or_silent_transfers_draw_nothing() -> None:
    on = Settings(progress=True)
    assert Progress.start("x", 99, 1000, on) is NO_PROGRESS
    assert Progress.start("x", 100, 0, on) is not NO_PROGRESS
    assert Progress.start("x", 1, 60 * 1000**2, on) is not NO_PROGRESS
    assert Progress.start("x", 100, 0, Settings(progress=True, silent=True)) is NO_PROGRESS
    assert Progress.start("x", 100, 0, Settings(progress=False)) is NO_PROGRESS
    assert Settings.from_env({"HERON_PROGRESS": "0"}).progress is False
    assert Settings.from_env({}).progress is None


def test_the_line_is_redrawn_a_few_times_a_second() -> None:
    out = io.StringIO()
    progress = Progress("copying", 10_000, 10_000 << 10, stream=out)
    started = time.monotonic()
    with progress:
        for _ in range(10_000):
            progress.file_done(1 << 10)
    draws = out.getvalue().count("\r")
    assert draws <= 2 + (time.monotonic() - started) / 0.2
    assert _final_line(out.getvalue()).startswith(
        "heron: copying: 10,000/10,000 files, 9.8/9.8 MiB"
    )


def test_wait_does_not_linger(online_client: Client, tmp_path: Path) -> None:
    """``wait()`` wakes the sender at once: no LINGER, no polling delay, on top of the work."""
    run = online_client.init(project="wait")
    source = tmp_path / "v.txt"
    run.log_artifact(heron.Artifact("warm", "dataset")).wait()  # the store is open
    times = []
    for i in range(7):
        source.write_text(f"version {i}")
        art = heron.Artifact("quick", "dataset")
        art.add_file(source)
        started = time.perf_counter()
        run.log_artifact(art).wait()
        times.append(time.perf_counter() - started)
        assert art.version == f"v{i}"
    assert min(times) < LINGER, times  # the old sender lingered LINGER before every send
