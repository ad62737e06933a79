"""Versions follow content; blobs are stored once however many versions hold them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import heron
from heron.api import Api
from heron.sdk.client import Client
from heron.settings import Settings
from tests.artifacts.conftest import folder_bytes


def _dataset(folder: Path, small: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train").mkdir(exist_ok=True)
    for i in range(4):
        path = folder / "train" / f"part{i}.bin"
        if not path.exists():
            path.write_bytes(os.urandom(256 * 1024))
    (folder / "labels.txt").write_text(small)
    return folder


def test_same_content_makes_no_new_version_and_change_moves_latest(
    online_client: Client, online: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = _dataset(tmp_path / "data", "cat\ndog\n")
    run = online_client.init(project="arts")
    first = heron.Artifact("pets", "dataset", description="pets", metadata={"rows": 2})
    first.add_dir(data)
    logged = run.log_artifact(first, aliases=["best"])
    assert logged is first and first.version == "v0"
    assert first.aliases == ["best", "latest"]
    assert [e.path for e in first.files()] == [
        "labels.txt",
        *(f"train/part{i}.bin" for i in range(4)),
    ]

    again = heron.Artifact("pets", "dataset")
    again.add_dir(data)
    assert again.digest == first.digest
    with caplog.at_level("INFO", logger="heron"):
        assert run.log_artifact(again).version == "v0"
    assert "same content as v0, so no new version" in caplog.text

    (data / "labels.txt").write_text("cat\ndog\nbird\n")
    changed = run.log_artifact(str(data), name="pets", type="dataset")
    assert changed.version == "v1" and changed.aliases == ["latest"]
    run.finish()

    api = Api(settings=online)
    versions = api.artifacts("dataset", f"{run.entity}/arts/pets")
    assert [(v.version, v.aliases) for v in versions] == [("v0", ["best"]), ("v1", ["latest"])]
    assert versions[0].metadata == {"rows": 2} and versions[0].description == "pets"
    assert api.artifact(f"{run.entity}/arts/pets").version == "v1"
    assert [t.name for t in api.artifact_types(f"{run.entity}/arts")] == ["dataset"]
    api.close()


def test_ten_versions_differing_in_one_small_file_store_each_blob_once(
    online_client: Client, tmp_path: Path, blob_dir: Path
) -> None:
    data = _dataset(tmp_path / "data", "v-0")
    run = online_client.init(project="dedup")
    before = folder_bytes(blob_dir) if blob_dir.exists() else 0
    for i in range(10):
        (data / "labels.txt").write_text(f"v-{i}")
        art = heron.Artifact("big", "dataset")
        art.add_dir(data)
        assert run.log_artifact(art).version == f"v{i}"
    grown = folder_bytes(blob_dir) - before
    run.finish()
    dataset = 4 * 256 * 1024
    # The four large parts once, plus ten 3-byte label files: not ten copies.
    assert dataset <= grown < dataset + 10 * 1024


def test_aliases_move_between_versions(online_client: Client, online: Settings) -> None:
    run = online_client.init(project="aliases")
    for i in range(3):
        art = heron.Artifact("model", "model")
        with art.new_file("weights.txt") as f:
            f.write(f"weights {i}")
        run.log_artifact(art, aliases=["prod"] if i == 0 else None)
    run.finish()
    api = Api(settings=online)
    store = api.store
    store.set_alias(run.entity, "aliases", "model", "prod", 2)
    assert api.artifact(f"{run.entity}/aliases/model:prod").version == "v2"
    assert api.artifact(f"{run.entity}/aliases/model:v0").aliases == []
    api.close()
