"""The request-body limit (HERON_MAX_REQUEST_BYTES): the server's 413, the client's split.

The server is the real app (``create_app``) served by uvicorn on a loopback
port, as ``heron server`` serves it, with a small limit passed in its settings.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from heron.entities import RunKey
from heron.errors import InvalidValueError, UsageError
from heron.sdk.client import Client
from heron.server.app import create_app
from heron.server.limits import is_blob_upload
from heron.settings import Settings
from heron.store.http import HttpStore
from tests.helpers.live_server import free_port
from tests.server._support import history_record, run_record

LIMIT = 64 << 10
"""The server's limit in these tests: 64 KiB."""


class ThreadedServer:
    """``create_app(settings)`` under uvicorn on a free loopback port, in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="none",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="limits-server", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    """One server with a 64 KiB limit; each test writes under its own entity."""
    data = tmp_path_factory.mktemp("limits-server")
    with ThreadedServer(Settings(dir=data, max_request_bytes=LIMIT)) as server:
        yield server


@pytest.fixture
def run_key() -> RunKey:
    return RunKey(f"e{uuid.uuid4().hex[:12]}", "limits", "r1")


def http_store(tmp_path: Path, url: str, **settings: Any) -> HttpStore:
    return HttpStore(Settings(dir=tmp_path / "client", base_url=url, **settings))


def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Send ``head`` (and ``body``) as is, then read the answer: (status, JSON body).

    Only what is given goes out, so an answer to a request whose body was never
    (fully) sent proves the server answered without waiting for it.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data or not _complete(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    header, _, content = data.partition(b"\r\n\r\n")
    return int(header.split()[1]), orjson.loads(content)


def _complete(data: bytes) -> bool:
    header, _, content = data.partition(b"\r\n\r\n")
    for line in header.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(content) >= int(line.split(b":")[1])
    return False


def assert_too_large(status: int, body: dict[str, Any], *words: str) -> str:
    assert status == 413, body
    assert set(body) == {"error"} and body["error"]["code"] == "too_large"
    message: str = body["error"]["message"]
    assert f"{LIMIT:,} bytes" in message and "HERON_MAX_REQUEST_BYTES" in message
    for word in words:
        assert word in message
    return message


def history_batch(first_seq: int, steps: range, pad: int = 0) -> list[dict[str, Any]]:
    return [
        history_record(first_seq + i, step, loss=step / 7, note="x" * pad)
        for i, step in enumerate(steps)
    ]


# ------------------------------------------------------------------ settings


def test_the_setting_is_read_and_checked() -> None:
    assert Settings.from_env({}).max_request_bytes == 64 << 20
    assert Settings.from_env({"HERON_MAX_REQUEST_BYTES": "1000"}).max_request_bytes == 1000
    with pytest.raises(UsageError, match="HERON_MAX_REQUEST_BYTES must be a number"):
        Settings.from_env({"HERON_MAX_REQUEST_BYTES": "64MB"})
    with pytest.raises(UsageError, match="max_request_bytes must be at least 1"):
        Settings(max_request_bytes=0)


# ------------------------------------------------------------------ the server


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
    server: ThreadedServer, run_key: RunKey
) -> None:
    size = 10 * LIMIT
    path = f"/api/v1/runs/{run_key.entity}/limits/r1/records"
    head = (
        f"POST {path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: {size}\n"
    )
    status, body = raw_request(server.port, head)  # no body at all: the answer cannot wait for it
    assert_too_large(status, body, f"is {size:,} bytes")


def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    server: ThreadedServer, tmp_path: Path, run_key: RunKey
) -> None:
    records = history_batch(2, range(2000))
    payload = orjson.dumps({"stream": "s1", "records": [run_record(1), *records]})
    assert len(payload) > LIMIT + 8192
    # The body is cut short past the limit and never terminated (no 0-length chunk).
    sent = payload[: LIMIT + 8192]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in _pieces(sent, 4096))
    path = f"/api/v1/runs/{run_key.entity}/limits/r1/records"
    head = f"POST {path} HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n"
    status, body = raw_request(server.port, head, chunks)
    assert_too_large(status, body, "without Content-Length")
    with http_store(tmp_path, server.base_url) as store:
        assert store.list_projects(entity=run_key.entity) == []  # nothing was applied


def test_a_chunked_body_under_the_limit_is_read(
    server: ThreadedServer, tmp_path: Path, run_key: RunKey
) -> None:
    payload = orjson.dumps(
        {"stream": "s1", "records": [run_record(1), *history_batch(2, range(3))]}
    )
    path = f"/api/v1/runs/{run_key.entity}/limits/r1/records"
    response = httpx.post(server.base_url + path, content=_pieces(payload, 100))
    assert response.status_code == 200, response.text
    assert response.json() == {"watermark": 4}


def test_blob_uploads_are_not_bounded_by_the_limit(server: ThreadedServer, tmp_path: Path) -> None:
    data = uuid.uuid4().bytes * (LIMIT // 4)  # 4 x the limit
    with http_store(tmp_path, server.base_url) as store:
        sha256 = store.blobs.put(data)  # with Content-Length
        with store.blobs.open(sha256) as f:
            assert f.read() == data
    chunked = uuid.uuid4().bytes * (LIMIT // 4)
    digest = hashlib.sha256(chunked).hexdigest()
    response = httpx.put(
        f"{server.base_url}/api/v1/blobs/{digest}", content=_pieces(chunked, 1 << 14)
    )
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(chunked)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/blobs/../runs/{entity}/limits/r1/records"),
        ("PUT", "/api/v1/blobs/{sha}/../../runs/{entity}/limits/r1/records"),
        ("PUT", "/api/v1/blobs/..%2Fruns%2F{entity}%2Flimits%2Fr1%2Frecords"),
        ("PUT", "/api/v1/blobs/{sha}%2F..%2F..%2Fruns%2F{entity}%2Flimits%2Fr1%2Frecords"),
        ("PUT", "/api/v1/blobs/{sha}/"),
        ("PUT", "/api/v1/blobs/{SHA}"),
        ("POST", "/api/v1/blobs/{sha}"),
        ("POST", "/api/v1/blobs/../runs/{entity}/limits/r1/records"),
    ],
)
def test_a_path_that_only_looks_like_a_blob_upload_is_bounded(
    server: ThreadedServer, run_key: RunKey, method: str, path: str
) -> None:
    sha = hashlib.sha256(b"anything").hexdigest()
    target = path.format(entity=run_key.entity, sha=sha, SHA=sha.upper())
    head = f"{method} {target} HTTP/1.1\nHost: x\nContent-Length: {LIMIT + 1}\n"
    status, body = raw_request(server.port, head)
    assert_too_large(status, body, f"is {LIMIT + 1:,} bytes")


def test_the_blob_route_is_matched_on_the_routed_path() -> None:
    sha = "a" * 64
    scope = {"type": "http", "method": "PUT", "path": f"/api/v1/blobs/{sha}", "root_path": ""}
    assert is_blob_upload(scope)
    assert is_blob_upload({**scope, "path": f"/heron/api/v1/blobs/{sha}", "root_path": "/heron"})
    assert not is_blob_upload({**scope, "path": f"/heron/api/v1/blobs/{sha}"})
    assert not is_blob_upload({**scope, "path": f"/api/v1/blobs/{sha}x"})
    assert not is_blob_upload({**scope, "path": f"/api/v1/blobs/{sha}/../../runs/a/b/c"})
    assert not is_blob_upload({**scope, "method": "POST"})


# ------------------------------------------------------------------ the client


def test_a_batch_over_the_client_limit_arrives_whole(
    server: ThreadedServer, tmp_path: Path, run_key: RunKey
) -> None:
    records = [run_record(1), *history_batch(2, range(3000), pad=40)]
    assert len(orjson.dumps(records)) > 4 * LIMIT
    with http_store(tmp_path, server.base_url, max_request_bytes=LIMIT) as store:
        assert store.apply(run_key, "s1", records) == 3001
        assert store.max_request_bytes == LIMIT  # the client split it: no 413 came back
        steps = [row["_step"] for row in store.read_history(run_key, keys=["loss"])]
        assert steps == list(range(3000))
        # Resent whole, the batch is skipped record by record: still one of each.
        assert store.apply(run_key, "s1", records) == 3001
        assert len(store.read_history(run_key, keys=["loss"])) == 3000


def test_a_call_batch_over_the_client_limit_arrives_whole(
    server: ThreadedServer, tmp_path: Path, run_key: RunKey
) -> None:
    records = [_call_record(seq) for seq in range(1, 1501)]
    assert len(orjson.dumps(records)) > 4 * LIMIT
    with http_store(tmp_path, server.base_url, max_request_bytes=LIMIT) as store:
        assert store.apply_calls(run_key.entity, "traces", "c1", records) == 1500
        assert store.max_request_bytes == LIMIT
        assert store.count_calls(run_key.entity, "traces") == 1500


def test_a_record_too_big_for_any_request_is_refused_by_name(
    server: ThreadedServer, tmp_path: Path, run_key: RunKey
) -> None:
    records = [run_record(1), *history_batch(2, range(10))]
    records[5] = history_record(6, 4, blob="y" * (2 * LIMIT))
    with http_store(tmp_path, server.base_url, max_request_bytes=LIMIT) as store:
        with pytest.raises(InvalidValueError) as refused:
            store.apply(run_key, "s1", records)
        message = str(refused.value)
        assert "record 6 (history)" in message and "HERON_MAX_REQUEST_BYTES" in message
        # Refused before any part went: the caller can send the others without it.
        assert store.list_projects(entity=run_key.entity) == []


def test_a_run_goes_on_past_a_record_too_big_to_send(
    server: ThreadedServer, settings: Settings
) -> None:
    online = settings.replace(
        base_url=server.base_url,
        entity=f"e{uuid.uuid4().hex[:12]}",
        max_request_bytes=LIMIT,
        meta=False,
        silent=True,
        stats=False,
        console="off",
    )
    client = Client(online, install_hooks=False)
    try:
        run = client.init(project="limits")
        run.log({"a": 1})
        run.log({"a": 2, "huge": "z" * (2 * LIMIT)})  # under the 1 MiB value limit, over 64 KiB
        run.log({"a": 3, "huge": "small"})  # so the run's summary is small enough to send
        run.finish()
        refused = run._sender.shipper.refused  # type: ignore[union-attr]
        assert [(r["type"], r["row"]["a"]) for r in refused] == [("history", 2)]
        store = client.store(online)
        key = RunKey(run.entity, run.project, run.id)
        assert [r["a"] for r in store.read_history(key, keys=["a"])] == [1, 3]
        assert store.get_run(key).state == "finished"
    finally:
        client.teardown()


def test_a_server_with_a_smaller_limit_gets_smaller_parts(
    server: ThreadedServer, tmp_path: Path, run_key: RunKey
) -> None:
    records = [run_record(1), *history_batch(2, range(3000), pad=40)]
    with http_store(tmp_path, server.base_url) as store:  # the default client limit: 64 MiB
        assert store.max_request_bytes == 64 << 20
        assert store.apply(run_key, "s1", records) == 3001
        assert store.max_request_bytes < 64 << 20  # a 413 came back, and was learnt
        steps = [row["_step"] for row in store.read_history(run_key, keys=["loss"])]
        assert steps == list(range(3000))

    big = history_record(3002, 3000, blob="y" * (2 * LIMIT))
    with (
        http_store(tmp_path, server.base_url) as store,
        pytest.raises(InvalidValueError) as refused,
    ):
        store.apply(run_key, "s1", [big])  # one record, that only the server finds too big
    message = str(refused.value)
    assert "record 3002 (history)" in message
    assert "the server refused it" in message and "HERON_MAX_REQUEST_BYTES" in message


def test_a_413_elsewhere_is_a_usage_error(server: ThreadedServer, tmp_path: Path) -> None:
    with (
        http_store(tmp_path, server.base_url) as store,
        pytest.raises(UsageError, match="HERON_MAX_REQUEST_BYTES"),
    ):
        store.put_view("me", "limits", "big", {"x": "v" * (2 * LIMIT)})


def _call_record(seq: int) -> dict[str, Any]:
    t0 = time.time() - 60 + seq * 0.001
    return {
        "seq": seq,
        "type": "call",
        "id": f"c{seq:06d}",
        "trace_id": f"t{seq:06d}",
        "parent_id": None,
        "op_name": "leaf",
        "display_name": None,
        "inputs": {"i": seq, "text": "q" * 100},
        "attributes": {},
        "started_at": t0,
        "output": seq,
        "exception": None,
        "summary": {},
        "ended_at": t0 + 0.0005,
    }


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_heron_server_reads_the_limit_from_its_environment(tmp_path: Path) -> None:
    from tests.helpers.live_server import LiveServer

    env = {"HERON_MAX_REQUEST_BYTES": str(LIMIT)}
    with LiveServer(tmp_path / "server", env=env) as live:
        status, body = raw_request(
            live.port,
            "POST /api/v1/runs/me/limits/r1/records HTTP/1.1\nHost: x\n"
            f"Content-Type: application/json\nContent-Length: {2 * LIMIT}\n",
        )
        assert_too_large(status, body, f"is {2 * LIMIT:,} bytes")
        with http_store(tmp_path, live.base_url) as store:  # the client splits to fit the server
            records = [run_record(1), *history_batch(2, range(2000), pad=40)]
            assert store.apply(RunKey("me", "limits", "r2"), "s1", records) == 2001
