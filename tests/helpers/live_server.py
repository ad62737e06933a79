"""A real ``python -m heron.server`` subprocess on a free loopback port, for tests.

    with LiveServer(tmp_path / "server") as server:
        store = HttpStore(Settings(dir=tmp_path / "client", base_url=server.base_url))
        ...
        server.kill()        # SIGKILL, as a crash would
        server.start()       # same port, same data

The server's output goes to ``<data_dir>/server.log`` (a file, not a pipe, so a
chatty server can never block on a full pipe); a server that does not come up
raises with the tail of that log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """``python -m heron.server --port P --data DIR`` as a child process.

    The port is chosen once (unless given) and kept across restarts, so a
    client pointed at :attr:`base_url` reaches the restarted server.
    ``database_url`` serves another database (e.g. PostgreSQL) instead of
    ``<data_dir>/heron.db``; ``env`` adds variables (``HERON_*`` settings) to
    the otherwise clean environment the server starts in.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        database_url: str | None = None,
        startup_timeout: float = 60.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.database_url = database_url
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> LiveServer:
        """Start the server and wait until ``/api/v1/health`` answers."""
        if self.running:
            raise RuntimeError(f"the server on port {self.port} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "heron.server", "--port", str(self.port)]
        command += ["--data", str(self.data_dir)]
        if self.database_url:
            command += ["--database-url", self.database_url]
        with open(self.log_path, "ab") as log:
            log.write(f"--- {' '.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**_clean_environment(), **self.env},
            )
        self._wait_until_healthy()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the server to shut down (SIGTERM) and wait; SIGKILL if it will not."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL the server, as a crash or an OOM kill would, and reap it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def restart(self) -> LiveServer:
        self.stop()
        return self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.base_url}/api/v1/health"
        while True:
            code = self.process.poll()
            if code is not None:
                self.process = None
                raise RuntimeError(
                    f"heron server exited with code {code} before answering {url}:\n"
                    + self.log_tail()
                )
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"heron server did not answer {url} within {self.startup_timeout:.0f}s:\n"
                    + self.log_tail()
                )
            time.sleep(0.05)


def _clean_environment() -> dict[str, str]:
    """This process's environment without any HERON_*/WANDB_* setting (no HERON_BASE_URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERON_", "WANDB_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env
