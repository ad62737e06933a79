"""Faults a real training job meets: a server killed mid-run, a trainer killed mid-run,
two processes sharing one embedded store. Nothing logged may be lost or duplicated.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

import heron
from heron.records import LOG_SUFFIX, LogReader
from heron.sdk.sync import sync_paths
from heron.settings import Settings
from tests.e2e._util import start_script, wait_for_line
from tests.helpers.live_server import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def assert_exactly_once(api: heron.Api, path: str, steps: int) -> None:
    run = api.run(path)
    rows = list(run.scan_history(keys=["i", "sq"], page_size=5000))
    assert [r["_step"] for r in rows] == list(range(steps))
    assert all(r["i"] == r["_step"] and r["sq"] == r["_step"] ** 2 for r in rows)
    counts = {k.key: k.count for k in api.store.history_keys(run.info.key)}
    assert counts["i"] == steps and counts["sq"] == steps


def test_server_killed_mid_run(tmp_path: Path) -> None:
    steps = 3000
    with LiveServer(tmp_path / "server") as server:
        child = start_script(
            "log_steps.py",
            "--steps", str(steps), "--sleep", "0.001", "--announce", "500",
            cwd=tmp_path,
            HERON_BASE_URL=server.base_url,
        )  # fmt: skip
        try:
            path = wait_for_line(child, "RUN_PATH ")
            wait_for_line(child, "LOGGED ")
            server.kill()
            time.sleep(1.5)  # the client keeps logging into its run log meanwhile
            server.start()
            wait_for_line(child, "DONE", timeout=60)
            assert child.wait(timeout=30) == 0
        finally:
            child.kill()
            child.communicate()
        with heron.Api(settings=Settings.from_env(base_url=server.base_url)) as api:
            assert api.run(path).state == "finished"
            assert_exactly_once(api, path, steps)


def test_trainer_killed_then_synced(tmp_path: Path) -> None:
    # Offline, so that every record reaches the store through `heron sync` only.
    child = start_script(
        "log_steps.py",
        "--steps", "1000000", "--announce", "2000", "--pause", "1.0",
        cwd=tmp_path,
        HERON_MODE="offline",
    )  # fmt: skip
    try:
        path = wait_for_line(child, "RUN_PATH ")
        wait_for_line(child, "LOGGED ")
        time.sleep(0.3)  # it goes on logging; the kill lands mid-stream
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        child.kill()
        child.communicate()

    settings = Settings.from_env()
    logs = list(settings.runs_dir.rglob(f"*{LOG_SUFFIX}"))
    assert len(logs) == 1
    written = [r for r in LogReader(logs[0]) if r["type"] == "history"]
    assert len(written) >= 2000

    results = sync_paths(None, settings)
    assert [r.run_path for r in results] == [path]
    assert results[0].state == "crashed"
    with heron.Api(settings=settings) as api:
        assert api.run(path).state == "crashed"
        assert_exactly_once(api, path, len(written))
        # A second sync finds nothing new to apply.
        again = sync_paths([logs[0]], settings)
        assert all(r.applied == 0 for r in again)
        assert_exactly_once(api, path, len(written))


def test_two_processes_share_the_embedded_store(tmp_path: Path) -> None:
    steps = 5000
    children = [
        start_script("log_steps.py", "--steps", str(steps), "--project", "shared", cwd=tmp_path)
        for _ in range(2)
    ]
    try:
        paths = [wait_for_line(c, "RUN_PATH ") for c in children]
        for child in children:
            wait_for_line(child, "DONE", timeout=60)
            assert child.wait(timeout=30) == 0
    finally:
        for child in children:
            child.kill()
            child.communicate()
    assert paths[0] != paths[1]
    with heron.Api() as api:
        for path in paths:
            assert api.run(path).state == "finished"
            assert_exactly_once(api, path, steps)
