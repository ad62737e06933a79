"""Console output as ``output`` records: readable with ``read_output`` while running and after."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import pytest

from heron.entities import OutputPage, RunKey
from heron.errors import NotFoundError
from heron.sdk import console
from heron.sdk.client import Client
from heron.settings import Settings
from tests.sdk.conftest import log_records


@pytest.fixture
def console_client(online: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setattr(console, "FLUSH_INTERVAL", 0.05)
    c = Client(online.replace(console="wrap"), install_hooks=False)
    yield c
    c.teardown()


def wait_for(read: Callable[[], OutputPage], total: int, timeout: float = 15.0) -> OutputPage:
    deadline = time.monotonic() + timeout
    while True:
        try:
            page = read()
        except NotFoundError:  # the sender has not delivered the run record yet
            page = OutputPage([], 0)
        if page.total >= total or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_printed_lines_can_be_read_while_running_and_after_finish(
    console_client: Client, online: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    run = console_client.init(project="console")
    key = RunKey(run.entity, run.project, run.id)
    store = console_client.store(online)
    print("epoch 0 loss 0.5")
    for i in range(101):  # a progress bar redrawn with \r leaves its last state
        sys.stderr.write(f"\rprogress {i:3d}%")
    sys.stderr.write("\n")
    print("a warning", file=sys.stderr)

    page = wait_for(lambda: store.read_output(key), 3)
    assert page.lines == [(0, "epoch 0 loss 0.5"), (1, "progress 100%"), (2, "a warning")]
    assert store.get_run(key).state == "running"  # tailed live, not uploaded at finish

    for i in range(2500):
        print(f"batch {i}")
    sys.stdout.write("no newline at the end")
    run.finish()

    assert store.read_output(key).total == 2504
    tail = store.read_output(key, start=2500)
    assert tail.lines == [
        (2500, "batch 2497"),
        (2501, "batch 2498"),
        (2502, "batch 2499"),
        (2503, "no newline at the end"),
    ]
    assert store.read_output(key, search="PROGRESS").lines == [(1, "progress 100%")]
    # Records hold at most 1000 lines and number them without gaps.
    records = log_records(run, "output")
    assert all(len(r["lines"]) <= 1000 for r in records)
    starts = [r["start"] for r in records]
    assert starts == sorted(starts) and starts[0] == 0
    assert [r["start"] + len(r["lines"]) for r in records[:-1]] == starts[1:]
    # output.log is kept as a file as before, with the same lines.
    log_file = (run.folder / "files" / "output.log").read_text().splitlines()
    assert log_file[:3] == ["epoch 0 loss 0.5", "progress 100%", "a warning"]
    assert len(log_file) == 2504
    out, _ = capsys.readouterr()
    assert "batch 2499" in out  # the terminal saw everything


def test_console_off_sends_no_output(online: Settings) -> None:
    c = Client(online.replace(console="off"), install_hooks=False)
    try:
        run = c.init(project="quiet")
        print("not captured")
        run.finish()
        assert log_records(run, "output") == []
        key = RunKey(run.entity, run.project, run.id)
        assert c.store(online).read_output(key).total == 0
    finally:
        c.teardown()


def test_a_resumed_run_numbers_its_lines_after_the_stored_ones(
    console_client: Client, online: Settings
) -> None:
    first = console_client.init(project="console", id="again")
    print("first life, line 0")
    print("first life, line 1")
    first.finish()
    run = console_client.init(project="console", id="again", resume="allow")
    print("second life")
    run.finish()
    key = RunKey(run.entity, run.project, run.id)
    lines = console_client.store(online).read_output(key).lines
    assert [text for _, text in lines][:2] == ["first life, line 0", "first life, line 1"]
    assert lines[2:] and lines[2][1].startswith("second life")
    assert [n for n, _ in lines] == list(range(len(lines)))
