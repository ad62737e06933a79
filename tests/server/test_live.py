"""HttpStore against a real ``python -m heron.server`` process: the wire, restarts, blobs."""

from __future__ import annotations

import hashlib
import math
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.entities import RunKey
from heron.errors import InvalidValueError, NotFoundError, StoreUnavailableError, UsageError
from heron.settings import Settings
from heron.store.http import HttpStore
from tests.helpers.live_server import LiveServer
from tests.server._support import history_record, run_record

pytestmark = pytest.mark.slow

RUN = RunKey("me", "proj", "live1")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the tests that leave it running (a start costs seconds)."""
    with LiveServer(tmp_path_factory.mktemp("shared-server")) as server:
        yield server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of this test's own, to stop, kill and restart."""
    with LiveServer(tmp_path / "server-data") as server:
        yield server


def http_store(tmp_path: Path, url: str, retry_deadline: float = 30.0) -> HttpStore:
    settings = Settings(dir=tmp_path / "client", base_url=url, api_key="k", http_timeout=5.0)
    return HttpStore(settings, retry_deadline=retry_deadline)


def test_the_server_prints_its_url(shared: LiveServer) -> None:
    assert f"Heron dashboard: {shared.base_url}/" in shared.log_path.read_text()


def test_records_and_history_over_the_wire(tmp_path: Path, shared: LiveServer) -> None:
    with http_store(tmp_path, shared.base_url) as store:
        records = [run_record(1, name="over-http")]
        records += [history_record(i + 2, i, loss=1 / (i + 1), bad=math.nan) for i in range(20)]
        assert store.apply(RUN, "s1", records) == 21
        assert store.watermark(RUN, "s1") == 21
        assert store.get_run(RUN).name == "over-http"
        rows = store.read_history(RUN, keys=["loss", "bad"], min_step=5, max_step=8)
        assert [r["_step"] for r in rows] == [5, 6, 7] and math.isnan(rows[0]["bad"])
        assert [r["_step"] for r in store.scan_history(RUN, keys=["loss"], page_size=6)] == list(
            range(20)
        )
        assert store.read_history(RUN, keys=[]) == []
        assert store.count_runs("me", "proj") == 1
        assert [r.run_id for r in store.list_runs("me", "proj", filters={"name": "over-http"})] == [
            "live1"
        ]
        with pytest.raises(NotFoundError):
            store.get_run(RunKey("me", "proj", "missing"))
        with pytest.raises(UsageError):
            store.series(RUN, "loss", buckets=10_001)
        # The store's own error class arrives intact, message and all.
        with pytest.raises(InvalidValueError, match="'row' must be a dict"):
            store.apply(RUN, "s1", [{"seq": 99, "type": "history", "row": [1]}])


def test_blobs_stream_both_ways_and_upload_only_once(tmp_path: Path, shared: LiveServer) -> None:
    big = tmp_path / "weights.bin"
    big.write_bytes(os.urandom(3 << 20) + b"tail")
    with http_store(tmp_path, shared.base_url) as store:
        sha, size = store.blobs.put_file(str(big))
        assert (sha, size) == (hashlib.sha256(big.read_bytes()).hexdigest(), big.stat().st_size)
        assert store.blobs.exists(sha)
        with store.blobs.open(sha) as f:
            assert f.read() == big.read_bytes()
        assert store.blobs.put(b"small") == hashlib.sha256(b"small").hexdigest()
        assert store.blobs.get(hashlib.sha256(b"small").hexdigest()) == b"small"
        with pytest.raises(NotFoundError):
            store.blobs.open("f" * 64)
        with pytest.raises(UsageError):
            store.blobs.exists("../../heron.db")
    # The server stored each blob once, in its own blob folder.
    stored = [p for p in (shared.data_dir / "blobs").rglob("*") if p.is_file()]
    assert len(stored) == 2
    # The second put_file of the same bytes asks (HEAD) and sends nothing.
    before = _log_lines(shared, "PUT /api/v1/blobs/")
    with http_store(tmp_path, shared.base_url) as store:
        store.blobs.put_file(str(big))
    assert _log_lines(shared, "PUT /api/v1/blobs/") == before
    assert _log_lines(shared, "HEAD /api/v1/blobs/") >= 3


def _log_lines(server: LiveServer, needle: str) -> int:
    time.sleep(0.2)  # let the access log reach the file
    return sum(needle in line for line in server.log_path.read_text().splitlines())


def test_a_client_rides_out_a_server_restart(tmp_path: Path, server: LiveServer) -> None:
    with http_store(tmp_path, server.base_url) as store:
        store.apply(RUN, "s1", [run_record(1), history_record(2, 0, loss=1.0)])
        server.kill()
        restarter = threading.Timer(1.0, server.start)
        restarter.start()
        started = time.monotonic()
        # Sent while the server is down: retried until it is back, then applied once.
        assert store.apply(RUN, "s1", [history_record(3, 1, loss=0.5)]) == 3
        restarter.join()
        assert time.monotonic() - started >= 0.9
        assert [r["loss"] for r in store.read_history(RUN, keys=["loss"])] == [1.0, 0.5]


def test_a_server_that_stays_down_gives_store_unavailable(
    tmp_path: Path, server: LiveServer
) -> None:
    with http_store(tmp_path, server.base_url, retry_deadline=1.0) as store:
        server.stop()
        with pytest.raises(StoreUnavailableError, match=server.base_url):
            store.list_projects()


def test_raw_dot_segments_never_reach_the_disk(shared: LiveServer) -> None:
    (shared.data_dir / "secret.txt").write_text("do not serve me")
    for path in (
        "/api/v1/blobs/../../secret.txt",
        "/api/v1/blobs/..%2F..%2Fsecret.txt",
        "/api/v1/runs/me/proj/live1/files/../../../../../secret.txt",
    ):
        status, body = _raw_get(shared.port, path)
        assert status in (400, 404), (path, status)
        assert b"do not serve me" not in body


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    """A GET with the path exactly as given (an HTTP client would normalise the dots)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_python_dash_m_rejects_a_bad_port(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "heron.server", "--port", "70000", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--port must be between" in result.stderr


def test_live_server_reports_a_server_that_cannot_start(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", database_url="mysql://nobody@nowhere/db")
    with pytest.raises(RuntimeError, match="exited with code 1") as info:
        server.start()
    assert "unsupported database URL" in str(info.value)
    assert "Traceback" not in str(info.value)  # a clear message, not a stack
