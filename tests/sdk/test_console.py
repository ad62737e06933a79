"""ConsoleCapture: tee into output.log, carriage-return collapsing, stream restoration."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from heron.sdk import console
from heron.sdk.console import ConsoleCapture


def test_print_reaches_terminal_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "files" / "output.log"
    capture = ConsoleCapture(path)
    capture.start()
    print("epoch 1 loss 0.5")
    print("a warning", file=sys.stderr)
    sys.stdout.write("no newline yet")
    capture.stop()
    out, err = capsys.readouterr()
    assert out == "epoch 1 loss 0.5\nno newline yet"
    assert err == "a warning\n"
    # stderr lines are not prefixed; the unfinished last line is completed.
    assert path.read_text() == "epoch 1 loss 0.5\na warning\nno newline yet\n"


def test_progress_bar_collapses_to_its_last_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "output.log"
    with ConsoleCapture(path):
        print("start")
        for i in range(301):  # tqdm style: redraw with a leading \r, newline at the end
            sys.stderr.write(f"\rtraining: {i * 100 // 300:3d}%|{'#' * (i // 30):10s}| {i}/300")
        sys.stderr.write("\n")
        for i in range(5):  # the other style: trailing \r after each state
            sys.stdout.write(f"step {i}\r")
        sys.stdout.write("\n")
        print("crlf line\r")
        print("done")
    assert path.read_text().splitlines() == [
        "start",
        "training: 100%|##########| 300/300",
        "step 4",
        "crlf line",
        "done",
    ]
    _, err = capsys.readouterr()
    assert err.count("\r") == 301  # the terminal still saw every redraw


def test_carriage_return_inside_one_write(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    with ConsoleCapture(path):
        sys.stdout.write("10%\r20%\r30%\nnext\rfinal\n")
    assert path.read_text() == "30%\nfinal\n"


def test_streams_interleave_per_line(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    with ConsoleCapture(path):
        sys.stderr.write("\rbar 1/2")
        print("printed while the bar is drawn")
        sys.stderr.write("\rbar 2/2\n")
    assert path.read_text() == "printed while the bar is drawn\nbar 2/2\n"


def test_streams_are_restored(tmp_path: Path) -> None:
    before = (sys.stdout, sys.stderr)
    capture = ConsoleCapture(tmp_path / "output.log")
    capture.start()
    assert sys.stdout is not before[0] and sys.stderr is not before[1]
    capture.stop()
    assert (sys.stdout, sys.stderr) == before
    capture.stop()  # idempotent


def test_a_later_wrapper_is_left_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = sys.stdout
    path = tmp_path / "output.log"
    capture = ConsoleCapture(path)
    capture.start()
    ours = sys.stdout

    class Later:
        """Someone else's wrapper installed over ours (like pytest's capture)."""

        def __init__(self, inner: object) -> None:
            self.inner = inner

        def write(self, text: str) -> int:
            return self.inner.write(text)  # type: ignore[attr-defined, no-any-return]

        def flush(self) -> None:
            pass

    later = Later(ours)
    sys.stdout = later  # type: ignore[assignment]
    try:
        print("captured")
        capture.stop()
        assert sys.stdout is later  # not yanked from under the other wrapper
        print("after stop")  # passes through, not captured
    finally:
        sys.stdout = original
    assert path.read_text() == "captured\n"
    assert capsys.readouterr().out == "captured\nafter stop\n"


def test_nested_captures_restore_in_order(tmp_path: Path) -> None:
    original = sys.stdout
    outer = ConsoleCapture(tmp_path / "outer.log")
    inner = ConsoleCapture(tmp_path / "inner.log")
    outer.start()
    print("one")
    inner.start()
    print("two")
    inner.stop()
    print("three")
    outer.stop()
    assert sys.stdout is original
    assert (tmp_path / "outer.log").read_text() == "one\ntwo\nthree\n"
    assert (tmp_path / "inner.log").read_text() == "two\n"


def test_file_is_flushed_while_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "FLUSH_INTERVAL", 0.05)
    path = tmp_path / "output.log"
    capture = ConsoleCapture(path)
    capture.start()
    try:
        print("early line")
        deadline = time.monotonic() + 3
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.read_text() == "early line\n"
        assert any(t.name == "heron-console-flush" for t in threading.enumerate())
    finally:
        capture.stop()
    # The shared flusher ends once no capture is active.
    deadline = time.monotonic() + 3
    while any(t.name == "heron-console-flush" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the flusher thread outlived every capture"
        time.sleep(0.02)


def test_no_output_no_file(tmp_path: Path) -> None:
    path = tmp_path / "files" / "output.log"
    with ConsoleCapture(path):
        pass
    assert not path.exists()


def test_threads_write_whole_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "output.log"

    def work(n: int) -> None:
        for i in range(200):
            print(f"thread {n} line {i}")

    with ConsoleCapture(path):
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    capsys.readouterr()
    lines = path.read_text().splitlines()
    assert len(lines) == 800
    for n in range(4):
        mine = [line for line in lines if line.startswith(f"thread {n} ")]
        assert mine == [f"thread {n} line {i}" for i in range(200)]


def test_wrapper_looks_like_the_stream(tmp_path: Path) -> None:
    original = sys.stdout
    with ConsoleCapture(tmp_path / "output.log"):
        assert sys.stdout.encoding == original.encoding
        assert sys.stdout.isatty() == original.isatty()
        sys.stdout.writelines(["a\n", "b\n"])
        sys.stdout.flush()
    assert (tmp_path / "output.log").read_text() == "a\nb\n"


def test_a_burst_of_writes_all_reaches_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ConsoleCapture(tmp_path / "output.log"):
        for i in range(20_000):
            sys.stdout.write(f"line {i}\n")
    capsys.readouterr()
    lines = (tmp_path / "output.log").read_text().splitlines()
    assert lines == [f"line {i}" for i in range(20_000)]
