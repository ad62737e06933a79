"""init() arguments, run properties, modes, reinit, save and the run's lifecycle."""

from __future__ import annotations

import os
import re
import types
from pathlib import Path

import pytest

import heron
from heron.errors import InvalidNameError, InvalidValueError, NotInitializedError, UsageError
from heron.sdk.client import Client
from heron.sdk.disabled import DisabledRun
from heron.settings import Settings

from .conftest import log_records


def test_defaults_ids_names_and_folder(client: Client, offline: Settings) -> None:
    run = client.init()
    assert run.project == "uncategorized"
    assert re.fullmatch(r"[a-z0-9]{8}", run.id)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", run.name)
    assert run.entity  # the OS user, sanitized
    folder = Path(run.dir).parent
    assert folder.parent == offline.runs_dir
    assert re.fullmatch(rf"run-\d{{8}}_\d{{6}}-{run.id}", folder.name)
    assert (folder / f"run-{run.id}.heronlog").is_file()
    assert run.path == f"{run.entity}/uncategorized/{run.id}"
    assert run.offline and not run.disabled and not run.resumed and run.url is None


def test_init_arguments_reach_the_run_record(client: Client, tmp_path: Path) -> None:
    run = client.init(
        project="proj",
        entity="team",
        name="first",
        id="abc123",
        notes="why",
        tags=["a", "b"],
        group="g",
        job_type="train",
        dir=tmp_path / "elsewhere",
    )
    assert (run.project, run.entity, run.name, run.id) == ("proj", "team", "first", "abc123")
    assert (run.notes, run.tags, run.group, run.job_type) == ("why", ("a", "b"), "g", "train")
    assert Path(run.dir).parent.parent == tmp_path / "elsewhere"
    run.name = "renamed"
    run.tags = ["c"]
    run.notes = "more"
    run.finish()
    runs = log_records(run, "run")
    assert runs[0]["name"] == "first" and runs[0]["tags"] == ["a", "b"] and runs[0]["group"] == "g"
    assert [r.get("name") for r in runs[1:]] == ["renamed", None, None]
    assert runs[2]["tags"] == ["c"] and runs[3]["notes"] == "more"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"project": "has space"}, InvalidNameError),
        ({"id": "bad/id"}, InvalidNameError),
        ({"mode": "sometimes"}, UsageError),
        ({"resume": "maybe"}, UsageError),
        ({"reinit": "sometimes"}, UsageError),
        ({"tags": [""]}, UsageError),
        ({"name": "n" * 257}, InvalidValueError),
        ({"group": "g" * 257}, InvalidValueError),
        ({"job_type": 7}, InvalidValueError),
        ({"notes": 5}, InvalidValueError),
    ],
)
def test_bad_arguments_raise(client: Client, kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        client.init(**kwargs)  # type: ignore[arg-type]


def test_bad_labels_set_later_raise_before_reaching_the_log(client: Client) -> None:
    """The store would refuse them, and every later record of the run with them."""
    run = client.init(project="labels", name="n" * 256)
    with pytest.raises(InvalidValueError, match="at most 256"):
        run.name = "x" * 257
    with pytest.raises(UsageError):
        run.name = ""
    with pytest.raises(InvalidValueError, match="notes must be a string"):
        run.notes = 3  # type: ignore[assignment]
    run.finish()
    names = [r.get("name") for r in log_records(run, "run")]
    assert "x" * 257 not in names and run.name == "n" * 256


def test_unknown_arguments_get_one_notice_each(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        client.init(
            project="p", sync_tensorboard=True, monitor_gym=False, settings={"silent": False}
        ).finish()
    err = capsys.readouterr().err
    assert err.count("'sync_tensorboard'") == 1 and err.count("'monitor_gym'") == 1


def test_settings_argument_forms(client: Client) -> None:
    as_dict = client.init(settings={"project": "from-dict", "start_method": "thread"})
    assert as_dict.project == "from-dict"
    as_object = client.init(settings=types.SimpleNamespace(project="from-object", x_unknown=1))
    assert as_object.project == "from-object"
    as_settings = client.init(settings=heron.Settings(project="from-settings", start_method="fork"))
    assert as_settings.project == "from-settings"
    assert heron.Settings(_disable_stats=True, disable_git=True).stats is False


def test_disabled_mode_accepts_everything(client: Client, offline: Settings) -> None:
    run = client.init(mode="disabled", config={"lr": 0.1})
    assert isinstance(run, DisabledRun) and run.disabled
    run.log({"anything": object()})
    run.define_metric("x", summary="max")
    run.log_artifact("whatever")
    run.summary["x"] = 1
    assert run.config.lr == 0.1 and run.summary["x"] == 1
    with run:
        pass
    assert not offline.runs_dir.exists()


def test_log_after_finish_and_module_log_before_init(client: Client) -> None:
    with pytest.raises(NotInitializedError, match=r"heron\.init\(\) before heron\.log"):
        client.log({"a": 1})
    run = client.init()
    client.log({"a": 1})
    client.finish()
    assert client.run is None
    for use in (
        lambda: run.log({"a": 1}),
        lambda: run.define_metric("a"),
        lambda: setattr(run, "name", "x"),
        lambda: run.save("x"),
    ):
        with pytest.raises(NotInitializedError, match="finished"):
            use()
    run.finish()  # a second finish does nothing


def test_context_manager_marks_failed_on_exception(client: Client) -> None:
    with pytest.raises(RuntimeError), client.init() as run:
        run.log({"a": 1})
        raise RuntimeError("boom")
    assert run.state == "failed"
    (exit_record,) = log_records(run, "exit")
    assert exit_record["state"] == "failed" and exit_record["exit_code"] == 1
    with client.init() as ok:
        pass
    assert ok.state == "finished" and log_records(ok, "exit")[0]["state"] == "finished"


def test_reinit_policies(client: Client) -> None:
    first = client.init()
    second = client.init()
    assert first.state == "finished" and client.run is second
    assert client.init(reinit="return_previous") is second
    third = client.init(reinit="create_new")
    assert second.state == "running" and client.run is third
    client.finish()
    assert client.run is second


def test_save_policies(client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "a.pt").write_bytes(b"A")
    (tmp_path / "notes.txt").write_text("now")
    run = client.init()
    saved_live = run.save("ckpt/*.pt")
    saved_now = run.save(str(tmp_path / "notes.txt"), policy="now")
    run.save("late/*.bin", policy="end")
    assert saved_live == [os.path.join(run.dir, "ckpt", "a.pt")]
    assert saved_now == [os.path.join(run.dir, "notes.txt")]
    (tmp_path / "ckpt" / "a.pt").write_bytes(b"A2")  # live: uploaded again at finish
    (tmp_path / "late").mkdir()
    (tmp_path / "late" / "z.bin").write_bytes(b"Z")  # end: picked up at finish
    with pytest.raises(UsageError, match="policy"):
        run.save("x", policy="sometimes")
    run.finish()
    names = [r["name"] for r in log_records(run, "file")]
    assert names.count("ckpt/a.pt") == 2
    assert "notes.txt" in names and "late/z.bin" in names and "config.yaml" in names
    assert Path(run.dir, "ckpt", "a.pt").read_bytes() == b"A2"


def test_module_level_face_follows_the_default_client() -> None:
    assert heron.run is None
    with pytest.raises(NotInitializedError):
        _ = heron.config.lr
    with pytest.raises(NotInitializedError):
        heron.log({"a": 1})
    run = heron.init(
        mode="offline",
        settings={"stats": False, "console": "off", "meta": False, "git": False, "silent": True},
        config={"lr": 1},
    )
    try:
        assert heron.run is run and heron.config.lr == 1
        heron.log({"a": 1})
        heron.summary["b"] = 2
        assert heron.summary["a"] == 1
    finally:
        heron.finish()
    assert heron.run is None


def test_a_record_that_cannot_be_encoded_is_left_out_and_the_run_goes_on(
    client: Client,
) -> None:
    """log() refuses such values; should one slip past it, the writer must not die."""
    run = client.init(project="defence")
    run.log({"before": 1})
    run._put({"type": "history", "row": {"_step": 99, "huge": 2**70}})  # past log()'s checks
    run.log({"after": 2})
    run.finish()
    assert run._writer.dropped == 1 and run._writer.error is None
    rows = [r["row"] for r in log_records(run, "history")]
    assert [sorted(k for k in row if not k.startswith("_")) for row in rows] == [
        ["before"],
        ["after"],
    ]
    seqs = [r["seq"] for r in log_records(run)]
    assert seqs == list(range(1, len(seqs) + 1))  # no gap where the record was left out
