"""How rich values reach the store: bytes become run files by content, rows hold stubs."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from heron.data_types import Media, MediaSink
from heron.entities import RunKey
from heron.errors import InvalidValueError
from heron.sdk.client import Client
from heron.sdk.values import prepare_row
from heron.settings import Settings
from tests.sdk.conftest import log_records


class Blob(Media):
    """The smallest data type: some bytes and a caption."""

    _type: ClassVar[str] = "blob-file"

    def __init__(self, data: bytes, caption: str = "") -> None:
        self.data = data
        self.caption = caption

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        return {**sink.store_media(key, "blobs", "bin", self.data), "caption": self.caption}


def test_media_rows_hold_stubs_and_the_bytes_become_run_files(
    online_client: Client, online: Settings
) -> None:
    run = online_client.init(project="media")
    run.log({"sample": Blob(b"first", "a"), "loss": 0.5})
    run.log({"sample": Blob(b"first", "again")})  # same bytes: one file
    run.log({"nested": {"sample": Blob(b"second")}, "many": [Blob(b"x"), Blob(b"y")]})
    run.summary["best"] = Blob(b"best one")
    run.finish()

    store = online_client.store(online)
    key = RunKey(run.entity, run.project, run.id)
    rows = store.read_history(key, keys=["sample", "nested/sample", "many"])
    first = rows[0]["sample"]
    assert first["_type"] == "blob-file" and first["caption"] == "a"
    assert first["path"].startswith("media/blobs/sample_") and first["size"] == 5
    assert rows[1]["sample"]["path"] == first["path"]
    assert rows[2]["nested/sample"]["_type"] == "blob-file"
    assert [item["_type"] for item in rows[2]["many"]] == ["blob-file", "blob-file"]

    files = {f.name: f for f in store.list_files(key)}
    for stub in (first, rows[2]["nested/sample"], *rows[2]["many"]):
        assert files[stub["path"]].sha256 == stub["sha256"]
    assert store.blobs.get(first["sha256"]) == b"first"
    assert store.get_run(key).summary["best"]["_type"] == "blob-file"
    assert store.blobs.get(store.get_run(key).summary["best"]["sha256"]) == b"best one"
    file_records = [r for r in log_records(run, "file") if r["name"].startswith("media/")]
    assert len(file_records) == 5  # first, second, x, y, best: "first" again is not re-queued
    assert all("_bytes" not in r for r in file_records)
    assert (run.folder / "files" / first["path"]).read_bytes() == b"first"


def test_offline_media_is_kept_in_the_run_folder_until_sync(client: Client) -> None:
    run = client.init(project="media-offline")
    run.log({"sample": Blob(b"offline bytes")})
    run.finish()
    (record,) = [r for r in log_records(run, "file") if r["name"].startswith("media/")]
    assert (run.folder / "files" / record["name"]).read_bytes() == b"offline bytes"


def test_media_needs_a_run() -> None:
    with pytest.raises(InvalidValueError, match="needs a run"):
        prepare_row({"sample": Blob(b"x")}, None)


def test_media_files_are_not_sent_again_by_the_final_scan(client: Client) -> None:
    run = client.init(project="media-scan")
    for i in range(50):
        run.log({"sample": Blob(bytes([i]) * 100_000)})
    run.finish()
    names = [r["name"] for r in log_records(run, "file")]
    media = [n for n in names if n.startswith("media/")]
    assert len(media) == len(set(media)) == 50
    assert not [n for n in names if n.endswith(".partial")]
