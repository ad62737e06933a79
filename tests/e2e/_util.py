"""Helpers for the end-to-end tests: run a script as a user would, read lines from it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).parent / "scripts"
REPO_ROOT = Path(__file__).resolve().parents[2]


def script_env(**extra: str) -> dict[str, str]:
    """This process's environment (HERON_DIR set by conftest) plus ``extra``."""
    env = dict(os.environ)
    env.setdefault("HERON_DISABLE_GIT", "true")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_script(name: str, *args: str, cwd: Path, timeout: float = 60, **env: str) -> str:
    """Run ``scripts/<name>`` to completion; return its stdout; fail with its stderr."""
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        cwd=cwd,
        env=script_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stderr[-4000:]}"
    return done.stdout


def start_script(name: str, *args: str, cwd: Path, **env: str) -> subprocess.Popen[str]:
    """Start ``scripts/<name>`` with stdout as a pipe (read it with :func:`wait_for_line`)."""
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / name), *args],
        cwd=cwd,
        env=script_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float = 30) -> str:
    """The rest of the first stdout line starting with ``prefix`` (fails on exit or timeout)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"script ended before printing {prefix!r}:\n{stderr[-4000:]}")
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    raise AssertionError(f"no {prefix!r} line within {timeout} s")


def run_path(stdout: str) -> str:
    """The ``RUN_PATH`` a script printed."""
    for line in stdout.splitlines():
        if line.startswith("RUN_PATH "):
            return line.split(" ", 1)[1].strip()
    raise AssertionError(f"the script printed no RUN_PATH line:\n{stdout[-2000:]}")
