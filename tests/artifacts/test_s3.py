"""Artifacts on S3 (a moto server on loopback): blobs in a bucket, and ``s3://`` references.

The embedded store and a real ``heron server`` keep their blobs in the bucket
(``HERON_BLOB_URL=s3://…``); runs log and download through them, ``heron gc``
collects there, and damaged objects are refused. References to objects are
tracked by ETag (and version id), never copied.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import heron
from heron.api import Api
from heron.cli import main
from heron.errors import StoreError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.helpers.live_server import LiveServer
from tests.helpers.s3_server import MotoS3, moto_s3, s3

__all__ = ["moto_s3", "s3"]


@pytest.fixture
def endpoint(s3: MotoS3, monkeypatch: pytest.MonkeyPatch) -> MotoS3:
    """The moto server, named in the environment (references and ``heron gc`` read it there)."""
    monkeypatch.setenv("HERON_S3_ENDPOINT_URL", s3.endpoint_url)
    return s3


@pytest.fixture
def bucket(endpoint: MotoS3) -> str:
    """A fresh bucket on the moto server."""
    return endpoint.make_bucket()


def _settings(heron_dir: Path, bucket: str, s3: MotoS3) -> Settings:
    return Settings(
        dir=heron_dir,
        blob_url=f"s3://{bucket}/blobs",
        s3_endpoint_url=s3.endpoint_url,
        stats=False,
        git=False,
        console="off",
        meta=False,
        silent=True,
    )


def _data(folder: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"alpha",
        "sub/b.bin": os.urandom(6 << 20),
        "sub/c.txt": b"gamma" * 1000,
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return files


def _keys(s3: MotoS3, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket).get("Contents", []))


def test_a_run_logs_to_s3_and_another_downloads(
    s3: MotoS3, bucket: str, heron_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(heron_dir, bucket, s3)
    files = _data(tmp_path / "src")
    writer = Client(settings, install_hooks=False)
    try:
        run = writer.init(project="s3")
        art = heron.Artifact("data", "dataset")
        art.add_dir(tmp_path / "src")
        run.log_artifact(art).wait(timeout=60)
        run.finish()
    finally:
        writer.teardown()
    digests = {hashlib.sha256(d).hexdigest() for d in files.values()}
    assert {f"blobs/{d[:2]}/{d}" for d in digests} <= set(_keys(s3, bucket))
    assert not (heron_dir / "blobs").exists()  # nothing went to the local folder

    reader = Client(settings, install_hooks=False)
    try:
        run = reader.init(project="s3", job_type="train")
        used = run.use_artifact("data:latest")
        out = Path(used.download(tmp_path / "out"))
        for name, data in files.items():
            assert (out / name).read_bytes() == data
        used.verify(out)
        run.finish()
    finally:
        reader.teardown()


def test_a_damaged_object_is_refused_on_download(
    s3: MotoS3, bucket: str, heron_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(heron_dir, bucket, s3)
    client = Client(settings, install_hooks=False)
    try:
        run = client.init(project="s3")
        art = heron.Artifact("data", "dataset")
        with art.new_file("a.txt") as f:
            f.write("the real bytes")
        run.log_artifact(art).wait(timeout=60)
        digest = art.get_entry("a.txt").digest
        s3.client().put_object(Bucket=bucket, Key=f"blobs/{digest[:2]}/{digest}", Body=b"bit rot")
        target = tmp_path / "out"
        with pytest.raises(StoreError, match=f"refused blob {digest} from the store.*damaged"):
            run.use_artifact("data:v0").download(target)
        assert not (target / "a.txt").exists()
        run.finish()
    finally:
        client.teardown()


def test_gc_collects_in_the_bucket(
    s3: MotoS3,
    bucket: str,
    heron_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = _settings(heron_dir, bucket, s3)
    client = Client(settings, install_hooks=False)
    try:
        run = client.init(project="gc")
        for text in ("version zero", "version one"):
            art = heron.Artifact("d", "dataset")
            with art.new_file("f.txt") as f:
                f.write(text)
            run.log_artifact(art).wait(timeout=60)
        run.finish()
    finally:
        client.teardown()
    zero, one = (hashlib.sha256(t).hexdigest() for t in (b"version zero", b"version one"))
    api = Api(settings=settings)
    api.artifact(f"{run.entity}/gc/d:v0").delete()
    api.close()
    store = SqlStore.from_settings(settings)
    try:
        orphan = store.blobs.put(b"nobody names me")
    finally:
        store.close()
    # heron gc reads the same settings from the environment.
    monkeypatch.setenv("HERON_BLOB_URL", settings.blob_url or "")
    assert main(["gc"]) == 0  # everything is younger than the default grace period
    assert "0 unreferenced blob(s)" in capsys.readouterr().out
    time.sleep(1.1)  # S3 keeps whole seconds
    assert main(["gc", "--grace", "0"]) == 0
    assert f"2 unreferenced blob(s); freed {12 + 15} bytes" in capsys.readouterr().out
    keys = _keys(s3, bucket)
    assert f"blobs/{one[:2]}/{one}" in keys
    assert f"blobs/{zero[:2]}/{zero}" not in keys and f"blobs/{orphan[:2]}/{orphan}" not in keys


class S3LiveServer(LiveServer):
    """A real ``heron server`` subprocess whose blobs are in a bucket."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        super().__init__(data_dir)
        self.env = env

    def start(self) -> S3LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "heron.server", "--port", str(self.port)]
        command += ["--data", str(self.data_dir)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HERON_", "WANDB_"))}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env={**env, **self.env}
            )
        self._wait_until_healthy()
        return self


@pytest.fixture
def s3_server(s3: MotoS3, bucket: str, tmp_path: Path) -> Iterator[tuple[S3LiveServer, str]]:
    env = {"HERON_BLOB_URL": f"s3://{bucket}/srv", "HERON_S3_ENDPOINT_URL": s3.endpoint_url}
    with S3LiveServer(tmp_path / "server", env) as server:
        yield server, bucket


def test_a_server_keeps_its_blobs_in_s3(
    s3: MotoS3, s3_server: tuple[S3LiveServer, str], heron_dir: Path, tmp_path: Path
) -> None:
    server, bucket = s3_server
    settings = Settings(
        dir=heron_dir,
        base_url=server.base_url,
        stats=False,
        git=False,
        console="off",
        meta=False,
        silent=True,
    )
    files = _data(tmp_path / "src")
    client = Client(settings, install_hooks=False)
    try:
        run = client.init(project="srv")
        art = heron.Artifact("data", "dataset")
        art.add_dir(tmp_path / "src")
        run.log_artifact(art).wait(timeout=60)
        out = Path(run.use_artifact("data:v0").download(tmp_path / "out"))
        for name, data in files.items():
            assert (out / name).read_bytes() == data
        run.finish()
    finally:
        client.teardown()
    big = files["sub/b.bin"]
    digest = hashlib.sha256(big).hexdigest()
    assert f"srv/{digest[:2]}/{digest}" in _keys(s3, bucket)
    assert not (server.data_dir / "blobs").exists()
    # The media route answers a range request by seeking in the object.
    media = f"{server.base_url}/api/v1/media/{digest}.mp4"
    response = httpx.get(media, headers={"Range": "bytes=1000-1999"})
    assert response.status_code == 206 and response.content == big[1000:2000]
    assert response.headers["content-range"] == f"bytes 1000-1999/{len(big)}"
    response = httpx.get(f"{server.base_url}/api/v1/blobs/{digest}")
    assert response.status_code == 200 and response.content == big
    assert response.headers["content-length"] == str(len(big))


# ---------------------------------------------------------------- s3:// references


def _put(s3: MotoS3, bucket: str, key: str, data: bytes) -> None:
    s3.client().put_object(Bucket=bucket, Key=key, Body=data)


def test_an_object_reference_is_tracked_by_etag(
    s3: MotoS3, bucket: str, settings: Settings, tmp_path: Path
) -> None:
    _put(s3, bucket, "models/w.bin", b"weights v0")
    client = Client(settings.replace(meta=False, silent=True), install_hooks=False)
    try:
        run = client.init(project="refs")
        art = heron.Artifact("weights", "model")
        art.add_reference(f"s3://{bucket}/models/w.bin")
        [entry] = art.files()
        assert (entry.path, entry.ref, entry.size) == ("w.bin", f"s3://{bucket}/models/w.bin", 10)
        assert entry.digest == "etag:" + hashlib.md5(b"weights v0").hexdigest()
        run.log_artifact(art).wait(timeout=30)
        assert not _blob_files(settings)  # referenced, not copied
        out = Path(run.use_artifact("weights:v0").download(tmp_path / "v0"))
        assert (out / "w.bin").read_bytes() == b"weights v0"

        same = heron.Artifact("weights", "model")
        same.add_reference(f"s3://{bucket}/models/w.bin")
        assert run.log_artifact(same).wait(timeout=30).version == "v0"  # unchanged: no version

        _put(s3, bucket, "models/w.bin", b"weights v1!")
        changed = heron.Artifact("weights", "model")
        changed.add_reference(f"s3://{bucket}/models/w.bin", name="model/weights.bin")
        assert run.log_artifact(changed).wait(timeout=30).version == "v1"
        out = Path(run.use_artifact("weights:v1").download(tmp_path / "v1"))
        assert (out / "model" / "weights.bin").read_bytes() == b"weights v1!"
        # v0's object was overwritten (no versioning): refused, not silently different.
        with pytest.raises(StoreError, match=r"models/w\.bin changed since it was logged"):
            run.use_artifact("weights:v0").download(tmp_path / "again")
        assert not (tmp_path / "again" / "w.bin").exists()
        run.finish()
    finally:
        client.teardown()


def _blob_files(settings: Settings) -> list[Path]:
    return [p for p in Path(settings.resolved_blob_url).rglob("*") if p.is_file()]


def test_a_prefix_in_a_versioned_bucket_keeps_old_versions_downloadable(
    endpoint: MotoS3, settings: Settings, tmp_path: Path
) -> None:
    s3 = endpoint
    bucket = s3.make_bucket(versioned=True)
    for name in ("a.csv", "sub/b.csv", "sub/c.csv"):
        _put(s3, bucket, f"data/{name}", f"first {name}".encode())
    _put(s3, bucket, "database.csv", b"not under data/")
    client = Client(settings.replace(meta=False, silent=True), install_hooks=False)
    try:
        run = client.init(project="refs")
        art = heron.Artifact("table", "dataset")
        art.add_reference(f"s3://{bucket}/data", name="raw")
        assert [e.path for e in art.files()] == ["raw/a.csv", "raw/sub/b.csv", "raw/sub/c.csv"]
        assert all(";version:" in e.digest for e in art.files())
        run.log_artifact(art).wait(timeout=30)

        _put(s3, bucket, "data/sub/b.csv", b"second")
        art = heron.Artifact("table", "dataset")
        art.add_reference(f"s3://{bucket}/data/", name="raw")
        assert run.log_artifact(art).wait(timeout=30).version == "v1"
        old = Path(run.use_artifact("table:v0").download(tmp_path / "v0"))
        assert (old / "raw" / "sub" / "b.csv").read_bytes() == b"first sub/b.csv"
        new = Path(run.use_artifact("table:v1").download(tmp_path / "v1"))
        assert (new / "raw" / "sub" / "b.csv").read_bytes() == b"second"
        assert (new / "raw" / "a.csv").read_bytes() == b"first a.csv"
        run.finish()
    finally:
        client.teardown()


def test_reference_limits_and_errors_name_the_uri(s3: MotoS3, bucket: str) -> None:
    for i in range(3):
        _put(s3, bucket, f"many/{i}.txt", b"x")
    art = heron.Artifact("refs", "dataset")
    with pytest.raises(UsageError, match=r"holds more than 2 objects; pass max_objects="):
        art.add_reference(f"s3://{bucket}/many", max_objects=2)
    art.add_reference(f"s3://{bucket}/many", max_objects=3)
    assert len(art.files()) == 3
    with pytest.raises(UsageError, match="max_objects must be a positive integer"):
        art.add_reference(f"s3://{bucket}/many", max_objects=0)
    with pytest.raises(UsageError, match=rf"s3://{bucket}/nothing/here.*no object or prefix"):
        art.add_reference(f"s3://{bucket}/nothing/here")
    missing = f"no-bucket-{uuid.uuid4().hex[:8]}"
    with pytest.raises(StoreError, match=rf"reference s3://{missing}/x: the bucket does not exist"):
        art.add_reference(f"s3://{missing}/x")
    unchecked = heron.Artifact("refs", "dataset")
    unchecked.add_reference(f"s3://{bucket}/many/0.txt", checksum=False)
    [entry] = unchecked.files()
    assert entry.digest == entry.ref == f"s3://{bucket}/many/0.txt"
