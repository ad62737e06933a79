"""The ``heron`` command, each subcommand run as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

import heron
from tests.helpers.live_server import free_port

CLI = [sys.executable, "-m", "heron.cli"]


def heron_cmd(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env or dict(os.environ)
    )


def test_version() -> None:
    out = heron_cmd("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"heron {heron.__version__}"


def test_console_script_is_installed() -> None:
    exe = shutil.which("heron")
    if exe is None:
        pytest.skip("the heron console script is not on PATH (pip install -e . installs it)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == f"heron {heron.__version__}"


@pytest.mark.parametrize(
    "command", [[], ["server"], ["ui"], ["sync"], ["login"], ["runs"], ["runs", "list"], ["demo"]]
)
def test_help_has_examples(command: list[str]) -> None:
    out = heron_cmd(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert "examples:" in out.stdout
    assert "usage: heron" in out.stdout


def test_help_is_fast() -> None:
    heavy = "'sqlalchemy', 'httpx', 'fastapi', 'numpy', 'pandas', 'sklearn'"
    code = f"import sys, heron.cli; print(sorted(m for m in ({heavy}) if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_command_prints_help() -> None:
    out = heron_cmd()
    assert out.returncode == 2
    assert "COMMAND" in out.stdout


def test_runs_list(heron_dir: Path) -> None:
    from heron.api import Api
    from heron.settings import Settings
    from tests.api.conftest import make_run

    api = Api(settings=Settings(dir=heron_dir))
    for i in range(3):
        make_run(
            api,
            "digits",
            f"run{i}",
            entity="alice",
            name=f"name-{i}",
            tags=["t"] if i else [],
            config={"lr": i},
            state="failed" if i == 2 else "finished",
            created_at=1.7e9 + i,
        )
    api.close()

    out = heron_cmd("runs", "list", "digits")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATE", "CREATED", "RUNTIME", "TAGS"]
    assert [line.split()[0] for line in lines[1:4]] == ["run2", "run1", "run0"]
    assert "3 run(s) in alice/digits" in out.stdout

    out = heron_cmd(
        "runs",
        "list",
        "digits",
        "--entity",
        "alice",
        "--filters",
        '{"config.lr": {"$gte": 1}}',
        "--limit",
        "1",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].split()[:3] == ["run2", "name-2", "failed"]
    assert "1 of 2 run(s)" in out.stdout

    bad = heron_cmd("runs", "list", "digits", "--filters", "{nope")
    assert bad.returncode == 1
    assert "--filters is not valid JSON" in bad.stderr
    none = heron_cmd("runs", "list")
    assert none.returncode == 1
    assert "alice/digits" in none.stderr  # the hint lists the projects


def test_login_writes_the_login_file(heron_dir: Path, tmp_path: Path) -> None:
    from tests.helpers.live_server import LiveServer

    with LiveServer(tmp_path / "server") as server:
        out = heron_cmd("login", server.base_url, "--key", "secret")
        assert out.returncode == 0, out.stderr
        assert f"Logged in to {server.base_url}" in out.stdout
    saved = json.loads((heron_dir / "login.json").read_text())
    assert saved == {"base_url": server.base_url, "api_key": "secret"}
    assert (heron_dir / "login.json").stat().st_mode & 0o777 == 0o600

    status = heron_cmd("login")
    assert f"Logged in to {server.base_url}" in status.stdout
    out = heron_cmd("login", "--relogin")
    assert out.returncode == 0 and "Logged out" in out.stdout
    assert not (heron_dir / "login.json").exists()


def test_login_refuses_an_unreachable_server(heron_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    out = heron_cmd("login", url)
    assert out.returncode == 1
    assert f"cannot reach a heron server at {url}" in out.stderr
    assert not (heron_dir / "login.json").exists()
    out = heron_cmd("login", "ftp://x")
    assert out.returncode == 1 and "not a server URL" in out.stderr


def test_sync_an_offline_run(heron_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import heron
            run = heron.init(project="offline-proj", entity="alice", id="off1", config={"lr": 0.1})
            for i in range(5):
                heron.log({"loss": 1.0 / (i + 1)})
            run.finish()
            """
        )
    )
    env = {
        **os.environ,
        "HERON_MODE": "offline",
        "HERON_DISABLE_STATS": "1",
        "HERON_DISABLE_GIT": "1",
        "HERON_CONSOLE": "off",
        "HERON_SILENT": "1",
    }
    subprocess.run([sys.executable, str(script)], check=True, env=env, timeout=60, cwd=tmp_path)

    out = heron_cmd("sync")
    assert out.returncode == 0, out.stderr
    assert "alice/offline-proj/off1" in out.stdout
    assert "Synced 1 run log(s)" in out.stdout

    from heron.api import Api

    with Api() as api:
        run = api.run("alice/offline-proj/off1")
        assert run.state == "finished"
        assert [r["loss"] for r in run.scan_history(keys=["loss"])] == [
            1.0 / (i + 1) for i in range(5)
        ]

    again = heron_cmd("sync")
    assert again.returncode == 0
    assert "Nothing to sync" in again.stdout
    replay = heron_cmd("sync", "--include-synced")
    assert replay.returncode == 0, replay.stderr
    assert "Synced 1 run log(s)" in replay.stdout

    missing = heron_cmd("sync", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_sync_fails_for_a_file_that_is_not_a_log(tmp_path: Path) -> None:
    junk = tmp_path / "junk.heronlog"
    junk.write_text("not a log\n")
    out = heron_cmd("sync", str(junk))
    assert out.returncode == 1
    assert "junk.heronlog" in out.stderr
    assert "1 failed" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("command", ["server", "ui"])
def test_server_answers_health(command: str, tmp_path: Path, heron_dir: Path) -> None:
    port = free_port()
    data = tmp_path / "data" if command == "server" else heron_dir
    extra = ["--data", str(data)] if command == "server" else []
    proc = subprocess.Popen(
        [*CLI, command, "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(
                        f"heron server did not come up: {proc.stdout.read() if proc.stdout else ''}"
                    )
                time.sleep(0.2)
        assert response.json()["status"] == "ok"
        assert (data / "heron.db").is_file()
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
