"""Bad input gets a clear error that says what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import heron
from heron.errors import InvalidNameError, NotFoundError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings


def test_drafts_refuse_bad_files_and_names(tmp_path: Path) -> None:
    art = heron.Artifact("ok", "dataset")
    with pytest.raises(UsageError, match="no such file"):
        art.add_file(tmp_path / "missing.txt")
    with pytest.raises(UsageError, match="use add_dir"):
        art.add_file(tmp_path)
    with pytest.raises(UsageError, match="no such folder"):
        art.add_dir(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InvalidNameError, match="escape"):
        art.add_file(tmp_path / "f.txt", name="../f.txt")
    with pytest.raises(InvalidNameError, match="relative"):
        art.add_file(tmp_path / "f.txt", name="/etc/f.txt")
    with pytest.raises(InvalidNameError, match="invalid artifact name"):
        heron.Artifact("no spaces!", "dataset")
    with pytest.raises(InvalidNameError, match="invalid artifact type"):
        heron.Artifact("ok", "a/b")
    with pytest.raises(UsageError, match="not supported"):
        art.add_reference("gs://bucket/key")
    with pytest.raises(UsageError, match="no file or folder"):
        art.add_reference((tmp_path / "gone.csv").as_uri())
    with pytest.raises(UsageError, match="no file or folder 'nope'"):
        art.remove("nope")
    with pytest.raises(UsageError, match="draft"):
        art.download()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    with pytest.raises(UsageError, match="not readable"):
        heron.Artifact("ok", "dataset").add_file(secret)


def test_symlink_loops_do_not_hang_add_dir(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("a")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    art = heron.Artifact("ok", "dataset")
    art.add_dir(tmp_path / "d")
    assert [e.path for e in art.files()] == ["a.txt"]


def test_remove_takes_files_and_folders_out(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    art = heron.Artifact("ok", "dataset")
    art.add_dir(tmp_path)
    art.remove("sub")
    assert [e.path for e in art.files()] == ["b.txt"]


def test_runs_refuse_colliding_aliases_unknown_versions_and_logged_changes(
    online_client: Client, tmp_path: Path
) -> None:
    (tmp_path / "f.txt").write_text("x")
    run = online_client.init(project="bad")
    art = heron.Artifact("d", "dataset")
    art.add_file(tmp_path / "f.txt")
    with pytest.raises(InvalidNameError, match="collides with version names"):
        run.log_artifact(art, aliases=["v2"])
    run.log_artifact(art, aliases=["latest", "good"])
    with pytest.raises(UsageError, match="is logged and cannot change"):
        art.add_file(tmp_path / "f.txt", name="g.txt")
    with pytest.raises(UsageError, match="already logged"):
        run.log_artifact(art)
    with pytest.raises(NotFoundError, match="no version 'v7'"):
        run.use_artifact("d:v7")
    with pytest.raises(NotFoundError, match="not found"):
        run.use_artifact("missing:latest")
    with pytest.raises(UsageError, match="of type 'dataset', not 'model'"):
        run.use_artifact("d:good", type="model")
    with pytest.raises(UsageError, match="no such file or folder"):
        run.log_artifact(tmp_path / "nothing")
    run.finish()


def test_offline_runs_log_artifacts_but_cannot_use_or_wait(
    settings: Settings, tmp_path: Path
) -> None:
    client = Client(settings.replace(mode="offline", meta=False, silent=True), install_hooks=False)
    try:
        run = client.init(project="off")
        (tmp_path / "f.txt").write_text("x")
        art = run.log_artifact(tmp_path / "f.txt", type="dataset")
        assert art.version is None  # made when heron sync sends the run
        with pytest.raises(UsageError, match="offline run: its version is made when"):
            art.wait()
        with pytest.raises(UsageError, match="artifacts need a store: this run is offline"):
            run.use_artifact("anything:latest")
        run.finish()
    finally:
        client.teardown()
