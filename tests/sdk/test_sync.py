"""The durable path: offline logs, damaged logs, kill -9, a server that is down; then sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from heron.entities import RunKey
from heron.records import LogReader
from heron.sdk.client import Client
from heron.sdk.sender import read_progress
from heron.sdk.sync import sync_paths
from heron.settings import Settings
from heron.store import open_store
from heron.store.base import Store


@pytest.fixture
def store(settings: Settings) -> Store:
    s = open_store(settings)
    yield s  # type: ignore[misc]
    s.close()


def _key(run: object) -> RunKey:
    return RunKey(run.entity, run.project, run.id)  # type: ignore[attr-defined]


def test_offline_run_syncs_exactly_once(client: Client, settings: Settings, store: Store) -> None:
    run = client.init(project="off", config={"lr": 0.1})
    for i in range(100):
        run.log({"loss": 1 / (i + 1), "i": i})
    run.finish()
    assert sync_paths(None, settings) and read_progress(run.log_path)["complete"]
    info = store.get_run(_key(run))
    assert info.state == "finished" and info.config == {"lr": 0.1} and info.last_step == 99
    assert len(store.read_history(_key(run))) == 100
    assert [f.name for f in store.list_files(_key(run))] == ["config.yaml"]
    # Synced logs are skipped by default, and a forced re-sync adds nothing.
    assert sync_paths(None, settings) == []
    (again,) = sync_paths([run.folder], settings)
    assert again.applied == 0 and again.state == "finished"
    assert len(store.read_history(_key(run))) == 100


def test_sync_leaves_out_what_the_store_refuses_and_says_so(
    client: Client, settings: Settings, store: Store
) -> None:
    run = client.init(project="off")
    run.log({"a": 1})
    run._put({"type": "history", "row": {"_step": 7, "": 1.0}})  # past log()'s checks
    run.log({"a": 2})
    run.finish()
    (result,) = sync_paths(None, settings)
    assert result.refused == 1 and result.state == "finished"
    assert "1 record(s) refused by the store" in result.describe()
    assert [r["a"] for r in store.read_history(_key(run), keys=["a"])] == [1, 2]


def test_damaged_log_syncs_every_intact_record(
    client: Client, settings: Settings, store: Store
) -> None:
    run = client.init(project="dmg")
    for i in range(50):
        run.log({"i": i})
    run.finish()
    lines = run.log_path.read_bytes().splitlines(keepends=True)
    # lines[0] is the header; corrupt one history line in the middle (its CRC no longer matches)
    victim = next(n for n, line in enumerate(lines) if b'"i":20,' in line)
    lines[victim] = lines[victim].replace(b'"i":20', b'"i":21')
    # and tear the tail: drop the exit record and cut the last line in half
    exit_line = next(n for n, line in enumerate(lines) if b'"type":"exit"' in line)
    del lines[exit_line:]
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    run.log_path.write_bytes(b"".join(lines))

    (result,) = sync_paths([run.log_path], settings)
    assert result.state == "crashed" and result.run_path == run.path
    assert len(result.damage) == 2 and "bytes" in result.describe()
    steps = [row["_step"] for row in store.read_history(_key(run), keys=["i"])]
    assert steps == [s for s in range(50) if s != 20]
    assert store.get_run(_key(run)).state == "crashed"
    (again,) = sync_paths([run.log_path], settings)
    assert again.applied == 0 and again.state == "crashed"


CHILD = textwrap.dedent(
    """
    import sys, time
    import heron
    run = heron.init(project="killed", id="victim1", settings={"stats": False, "console": "off",
                     "git": False, "meta": False, "silent": True, "heartbeat_interval": 0.2})
    for i in range(2000):
        run.log({"loss": i * 0.5})
    open(sys.argv[1], "w").write(str(run.log_path))
    time.sleep(600)
    """
)


@pytest.mark.slow
def test_killed_process_is_recovered_as_crashed(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    marker = tmp_path / "log-path"
    env = {**os.environ, "HERON_DIR": str(settings.dir)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(marker)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        log_path = Path(marker.read_text())
        while sum(1 for r in LogReader(log_path) if r["type"] == "history") < 2000:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    (result,) = sync_paths(None, settings)
    key = RunKey(result.run_path.split("/")[0], "killed", "victim1")
    assert result.state == "crashed" and result.damage == []
    assert len(store.read_history(key)) == 2000
    info = store.get_run(key)
    assert info.state == "crashed" and info.last_step == 1999


@pytest.mark.slow
def test_server_down_then_sync(tmp_path: Path, settings: Settings) -> None:
    from tests.helpers.live_server import LiveServer, free_port

    port = free_port()
    down = settings.replace(
        base_url=f"http://127.0.0.1:{port}",
        http_timeout=0.5,
        finish_timeout=2.0,
        meta=False,
        silent=True,
    )
    client = Client(down, install_hooks=False)
    run = client.init(project="down")
    for i in range(300):
        run.log({"x": i})
    started = time.monotonic()
    run.finish()
    assert time.monotonic() - started < 4.0
    assert sum(1 for r in LogReader(run.log_path) if r["type"] == "history") == 300
    assert not read_progress(run.log_path)["complete"]
    assert run._writer.fsynced, "the log is the only copy of this run: it must reach the disk"

    with LiveServer(tmp_path / "server", port=port) as server:
        assert server.base_url == down.base_url
        (result,) = sync_paths(None, down)
        assert result.state == "finished"
        remote = open_store(down)
        try:
            key = _key(run)
            assert len(remote.read_history(key)) == 300
            assert remote.get_run(key).state == "finished"
        finally:
            remote.close()
    client.teardown()


def test_log_reader_reads_in_bounded_chunks(tmp_path: Path) -> None:
    """The sender's memory stays bounded: one read() returns about max_bytes of records."""
    from heron.records import LogHeader, encode_lines

    path = tmp_path / "x.heronlog"
    records = [
        {"seq": i + 1, "type": "history", "row": {"x": "y" * (i % 500)}} for i in range(5000)
    ]
    path.write_bytes(LogHeader("s", "e", "p", "r", 1, "h", 0.0).to_line() + encode_lines(records))
    reader, seen, reads = LogReader(path), [], 0
    while batch := reader.read(64 << 10, final=True):
        assert len(batch) < 1000
        seen.extend(batch)
        reads += 1
    assert [r["seq"] for r in seen] == list(range(1, 5001)) and reader.damage == [] and reads > 10


def test_full_queue_without_a_writer_drops_instead_of_hanging() -> None:
    from heron.sdk.writer import RecordQueue

    queue = RecordQueue(3)
    for i in range(3):
        queue.put({"type": "history", "row": {"i": i}})
    queue.closed = True  # what the writer sets when it dies
    queue.put({"type": "history", "row": {"i": 3}})
    assert len(queue.items) == 3
