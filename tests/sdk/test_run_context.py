"""The run calls the context capture modules when the settings ask for them."""

from __future__ import annotations

import time
from pathlib import Path

from heron.sdk.client import Client
from heron.settings import Settings

from .conftest import log_records


def test_system_metrics_console_and_metadata(offline: Settings, capsys: object) -> None:
    settings = offline.replace(
        stats=True, stats_interval=0.1, console="wrap", meta=True, silent=False
    )
    client = Client(settings, install_hooks=False)
    try:
        run = client.init(project="ctx")
        print("hello from the training loop")
        run.log({"x": 1})
        time.sleep(0.45)
        run.finish()
    finally:
        client.teardown()
    system = [r["row"] for r in log_records(run, "system")]
    assert system, "no system metrics sampled"
    assert [row["_step"] for row in system] == list(range(len(system)))
    assert all("_runtime" in row and "_timestamp" in row for row in system)
    assert any(k.startswith("system/") for k in system[0])
    metadata = [r["metadata"] for r in log_records(run, "run") if "metadata" in r]
    assert metadata and metadata[0]
    files = {r["name"] for r in log_records(run, "file")}
    assert "output.log" in files
    output = (Path(run.dir) / "output.log").read_text()
    assert "hello from the training loop" in output
    assert "tracking run" not in output  # Heron's own banner is not the program's output


def test_context_capture_off(client: Client) -> None:
    run = client.init(project="ctx")
    run.finish()
    assert not log_records(run, "system")
    assert not (Path(run.dir) / "output.log").exists()
    assert all("metadata" not in r for r in log_records(run, "run"))
