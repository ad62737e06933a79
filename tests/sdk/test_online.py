"""Live sending to a store, embedded and a real server: values, resume, heartbeat, exits."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time

import pytest

from heron.entities import RunKey
from heron.errors import ConflictError, NotFoundError
from heron.sdk.client import Client
from heron.sdk.sender import read_progress
from heron.settings import Settings


def _key(run: object) -> RunKey:
    return RunKey(run.entity, run.project, run.id)  # type: ignore[attr-defined]


def test_a_delivered_log_skips_the_fsync_an_offline_one_gets(
    online_client: Client, client: Client
) -> None:
    delivered = online_client.init(project="sync")
    delivered.log({"x": 1})
    delivered.finish()
    assert read_progress(delivered.log_path)["complete"]
    assert not delivered._writer.fsynced  # the store holds every record

    offline = client.init(project="sync")
    offline.log({"x": 1})
    offline.finish()
    assert offline._writer.fsynced  # the log is the only copy


def test_a_record_the_store_refuses_does_not_hold_back_the_rest(
    online_client: Client, online: Settings
) -> None:
    run = online_client.init(project="refuse")
    run.log({"a": 1})
    run._put({"type": "history", "row": {"_step": 50, "": 1.0}})  # past log()'s checks
    run.log({"a": 2})
    run.finish()
    refused = run._sender.shipper.refused  # type: ignore[union-attr]
    assert [r["row"] for r in refused] == [{"_step": 50, "": 1.0}]
    store = online_client.store(online)
    assert [r["a"] for r in store.read_history(_key(run), keys=["a"])] == [1, 2]
    assert store.get_run(_key(run)).state == "finished"
    assert read_progress(run.log_path)["complete"]


def test_values_round_trip_including_nan_and_inf(online_client: Client, online: Settings) -> None:
    run = online_client.init(project="vals", config={"lr": 0.5})
    run.log({"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "s": "text", "l": [1, math.nan]})
    run.log({"nested": {"a": 1}, "b": True})
    run.summary["best"] = math.inf
    run.finish()
    assert read_progress(run.log_path) == {
        "seq": read_progress(run.log_path)["seq"],
        "complete": True,
    }
    store = online_client.store(online)
    rows = store.read_history(_key(run))
    assert (
        math.isnan(rows[0]["nan"]) and rows[0]["inf"] == math.inf and rows[0]["ninf"] == -math.inf
    )
    assert rows[0]["s"] == "text" and rows[0]["l"][0] == 1 and math.isnan(rows[0]["l"][1])
    assert rows[1]["nested/a"] == 1
    info = store.get_run(_key(run))
    assert info.state == "finished" and info.summary["best"] == math.inf
    assert math.isnan(info.summary["nan"]) and info.config == {"lr": 0.5}
    if online.base_url:  # the run's page on the server
        assert run.url == f"{online.base_url}/{run.entity}/{run.project}/runs/{run.id}"
    else:  # where the embedded database lives
        assert run.url is not None and run.path in run.url


def test_resume_continues_step_config_and_summary(online_client: Client, online: Settings) -> None:
    first = online_client.init(project="res", id="again1", config={"lr": 0.1})
    for i in range(5):
        first.log({"loss": i})
    first.summary["note"] = "kept"
    first.finish()
    run = online_client.init(project="res", id="again1", resume="allow", config={"epochs": 3})
    assert run.resumed and run.step == 5
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}
    assert run.summary["note"] == "kept" and run.summary["loss"] == 4
    run.log({"loss": 10})
    run.finish()
    store = online_client.store(online)
    assert [r["_step"] for r in store.read_history(_key(run), keys=["loss"])] == [0, 1, 2, 3, 4, 5]
    info = store.get_run(_key(run))
    assert info.last_step == 5 and info.config == {"lr": 0.1, "epochs": 3}
    with pytest.raises(NotFoundError, match="resume='must'"):
        online_client.init(project="res", id="nothere", resume="must")
    with pytest.raises(ConflictError, match="resume='never'"):
        online_client.init(project="res", id="again1", resume="never")


def test_heartbeat_while_idle(online_client: Client, online: Settings) -> None:
    run = online_client.init(project="hb")
    run.log({"x": 1})
    store = online_client.store(online)
    deadline = time.monotonic() + 10
    while True:
        try:
            first = store.get_run(_key(run)).heartbeat_at
            break
        except NotFoundError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    while store.get_run(_key(run)).heartbeat_at <= first:
        assert time.monotonic() < deadline, "no heartbeat within 10 s (interval 0.2 s)"
        time.sleep(0.1)
    run.finish()


EXIT_SCRIPT = textwrap.dedent(
    """
    import sys
    import heron
    heron.init(project="exits", id=sys.argv[1], settings={"stats": False, "console": "off",
               "git": False, "meta": False, "silent": True})
    heron.log({"x": 1})
    if sys.argv[1] == "exitcode":
        sys.exit(3)
    if sys.argv[1] == "raised":
        raise ValueError("uncaught")
    """
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "state", "code"),
    [("clean", "finished", 0), ("exitcode", "failed", 3), ("raised", "failed", 1)],
)
def test_exit_hooks_finish_with_the_exit_code(
    online_client: Client, online: Settings, how: str, state: str, code: int
) -> None:
    env = {**os.environ, "HERON_DIR": str(online.dir)}
    if online.base_url:  # the script sends to the same server, as this test's entity
        env.update(HERON_BASE_URL=online.base_url, HERON_ENTITY=online.entity or "")
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, how], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == code, done.stderr
    store = online_client.store(online)
    (info,) = store.list_runs(online.entity or store.list_projects()[0].entity, "exits")
    assert (info.state, info.exit_code) == (state, code)


def test_auto_resume_picks_up_an_unfinished_run(online_client: Client) -> None:
    first = online_client.init(project="auto", resume="auto")
    first.log({"x": 1})
    first.finish(exit_code=1)  # not finished cleanly: the next "auto" run resumes it
    second = online_client.init(project="auto", resume="auto")
    assert second.id == first.id and second.resumed and second.step == 1
    second.finish()
    third = online_client.init(project="auto", resume="auto")
    assert third.id != first.id and not third.resumed


def test_login_remembers_the_server(online_client: Client, online: Settings) -> None:
    assert online_client.login()  # embedded: nothing to remember
    assert online_client.login(host="http://heron.example:8765", key="k1")
    settings = Settings.from_env({"HERON_DIR": str(online.dir)})
    assert settings.base_url == "http://heron.example:8765" and settings.api_key == "k1"


@pytest.mark.postgres
def test_runs_reach_postgresql(settings: Settings, pg_url: str) -> None:
    # Embedded only by nature: the client itself opens the PostgreSQL database.
    online = settings.replace(meta=False, silent=True, database_url=pg_url)
    client = Client(online, install_hooks=False)
    try:
        run = client.init(project="pg")
        for i in range(50):
            run.log({"loss": 1 / (i + 1), "nan": math.nan})
        run.finish()
        store = client.store(client.settings())
        rows = store.read_history(_key(run))
        assert len(rows) == 50 and math.isnan(rows[0]["nan"])
        assert store.get_run(_key(run)).state == "finished"
    finally:
        client.teardown()
