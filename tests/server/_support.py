"""Test support for the server tests: a scripted loopback HTTP server, record builders."""

from __future__ import annotations

import dataclasses
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclasses.dataclass
class Reply:
    status: int = 200
    body: Any = None
    delay: float = 0.0
    raw: bytes | None = None
    """Bytes sent as is (e.g. a proxy's HTML page) instead of ``body`` as JSON."""


class CaptureServer:
    """A stdlib HTTP server on loopback that records requests and plays scripted replies.

    The edge of the world for HttpStore tests: what a client really puts on
    the wire (headers, bodies, retries), and answers no real server gives on
    demand (a 503 storm, a slow reply, a proxy's HTML error page).
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.script: list[Reply] = []
        self.default = Reply(200, {})
        capture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.headers.get("Transfer-Encoding") == "chunked":
                    body = self._read_chunked()
                else:
                    body = self.rfile.read(length) if length else b""
                capture.seen.append(
                    Seen(
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                reply = capture.script.pop(0) if capture.script else capture.default
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.raw if reply.raw is not None else orjson.dumps(reply.body)
                self.send_response(reply.status)
                ctype = "text/html" if reply.raw is not None else "application/json"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    try:
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            def _read_chunked(self) -> bytes:
                out = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="capture-server", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> CaptureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_record(seq: int = 1, name: str = "first-run", **fields: Any) -> dict[str, Any]:
    """The ``run`` record that creates a run (see heron.records)."""
    return {"seq": seq, "type": "run", "name": name, "created_at": time.time(), **fields}


def history_record(seq: int, step: int, **values: Any) -> dict[str, Any]:
    row = {"_step": step, "_runtime": float(step), "_timestamp": time.time(), **values}
    return {"seq": seq, "type": "history", "row": row}
