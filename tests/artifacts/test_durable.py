"""Artifacts travel through the run log: offline runs log them, heron sync replays them."""

from __future__ import annotations

from pathlib import Path

import pytest

import heron
from heron.api import Api
from heron.records import LogReader
from heron.sdk.client import Client
from heron.sdk.sync import sync_paths
from heron.settings import Settings
from heron.store import open_store


def _data(folder: Path) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.bin").write_bytes(bytes(range(256)) * 64)
    return folder


def test_offline_artifact_is_staged_in_the_run_folder_and_synced_once(
    settings: Settings, tmp_path: Path
) -> None:
    offline = settings.replace(mode="offline", meta=False, silent=True)
    client = Client(offline, install_hooks=False)
    try:
        run = client.init(project="durable")
        art = heron.Artifact("docs", "dataset", metadata={"rows": 2, "loss": float("nan")})
        art.add_dir(_data(tmp_path / "data"))
        run.log_artifact(art, aliases=["best"])
        run.finish()
    finally:
        client.teardown()
    # The record is in the log, the blobs are staged by digest, nothing reached a store.
    records = [r for r in LogReader(run.log_path) if r["type"] == "artifact"]
    assert len(records) == 1 and records[0]["aliases"] == ["best"]
    staged = records[0]["staged"]
    assert sorted(e["path"] for e in records[0]["manifest"]) == ["a.txt", "sub/b.bin"]
    for sha256, path in staged.items():
        assert Path(path).is_file() and Path(path).parent.parent == run.folder / "artifacts"
        assert path.endswith(sha256[2:])
    # A blob the tests put by hand would be a false positive: the store starts empty.
    online = settings.replace(meta=False, silent=True)
    [result] = sync_paths([run.folder], online)
    assert result.error is None and result.refused == 0
    api = Api(settings=online)
    try:
        version = api.artifact(f"{run.entity}/durable/docs:best")
        assert version.version == "v0" and version.aliases == ["best", "latest"]
        assert (
            version.metadata["rows"] == 2 and version.metadata["loss"] != version.metadata["loss"]
        )
        assert version.logged_by() is not None and version.logged_by().id == run.id
        root = Path(version.download(tmp_path / "out"))
        assert (root / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 64
        # Replaying the whole log again makes no second version.
        sync_paths([run.folder], online)
        store = open_store(online)
        from heron.sdk.sync import sync_log

        sync_log(run.log_path, store)
        assert len(store.list_artifact_versions(run.entity, "durable", "docs")) == 1
        store.close()
    finally:
        api.close()


def test_applying_an_artifact_record_twice_makes_one_version(
    online_client: Client, online: Settings, tmp_path: Path
) -> None:
    run = online_client.init(project="twice")
    art = heron.Artifact("d", "dataset")
    art.add_dir(_data(tmp_path / "data"))
    run.log_artifact(art)
    run.finish()
    [record] = [r for r in LogReader(run.log_path) if r["type"] == "artifact"]
    record = {k: v for k, v in record.items() if k != "staged"}
    store = open_store(online)
    try:
        # A second stream (another log of the same run) carrying the same record.
        store.apply(run._key, "other-stream", [{**record, "seq": 1}])
        store.apply(run._key, "third-stream", [{**record, "seq": 1}])
        versions = store.list_artifact_versions(run.entity, "twice", "d")
        assert [v.version for v in versions] == [0]
    finally:
        store.close()


def test_wait_fills_version_and_the_store_refusal_is_reported(
    online_client: Client, tmp_path: Path
) -> None:
    (tmp_path / "f.txt").write_text("x")
    run = online_client.init(project="waits")
    art = heron.Artifact("w", "dataset")
    art.add_file(tmp_path / "f.txt")
    assert run.log_artifact(art).wait(timeout=30) is art
    assert art.version == "v0" and art.qualified_name.endswith("/waits/w:v0")
    other = heron.Artifact("w", "model")  # the type clashes: the store refuses the record
    other.add_file(tmp_path / "f.txt", name="g.txt")
    run.log_artifact(other)
    with pytest.raises(heron.errors.UsageError, match="the store refused artifact 'w'"):
        other.wait(timeout=30)
    run.finish()
