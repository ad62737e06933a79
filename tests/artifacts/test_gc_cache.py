"""heron gc frees only unreferenced, settled blobs; the download cache is capped and cleaned."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import BinaryIO

import pytest

import heron
from heron.api import Api
from heron.artifacts import transfer
from heron.artifacts.cache import ArtifactCache, parse_size
from heron.artifacts.entities import ManifestEntry
from heron.cli import main
from heron.errors import StoreError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings
from heron.store.base import BlobStore
from heron.store.blobs import LocalBlobStore
from heron.store.sql import SqlStore


def _age(blobs: LocalBlobStore, sha256: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(blobs.path(sha256), (then, then))


def test_gc_keeps_referenced_and_recent_blobs(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    online = settings.replace(meta=False, silent=True)
    client = Client(online, install_hooks=False)
    try:
        run = client.init(project="gc")
        art = heron.Artifact("d", "dataset")
        with art.new_file("kept.txt") as f:
            f.write("referenced by v0")
        run.log_artifact(art).wait(timeout=30)
        run.log({"img": heron.Histogram([1, 2, 3])})  # a media blob, referenced by a run file
        run.finish()
    finally:
        client.teardown()
    store = SqlStore.from_settings(online)
    blobs = store.blobs
    assert isinstance(blobs, LocalBlobStore)
    orphan = blobs.put(b"nobody names me" * 100)
    fresh = blobs.put(b"an upload in flight")
    for sha, _, _ in list(blobs.list_blobs()):
        _age(blobs, sha, 7200)
    _age(blobs, fresh, 10)
    referenced = {sha for sha, _, _ in blobs.list_blobs()} - {orphan, fresh}
    assert len(referenced) >= 2

    assert store.unreferenced_blobs(3600) == [(orphan, 1500)]
    assert main(["gc", "--dry-run"]) == 0
    assert "1 unreferenced blob(s); would free 1500 bytes" in capsys.readouterr().out
    assert blobs.exists(orphan)
    assert main(["gc"]) == 0
    assert "freed 1500 bytes" in capsys.readouterr().out
    assert not blobs.exists(orphan) and blobs.exists(fresh)
    assert all(blobs.exists(sha) for sha in referenced)
    # Putting bytes the store holds refreshes the blob: the grace period covers re-uploads.
    _age(blobs, fresh, 7200)
    blobs.put(b"an upload in flight")
    assert store.unreferenced_blobs(3600) == []
    # A deleted version's blobs are unreferenced once it is gone.
    api = Api(settings=online)
    api.artifact(f"{run.entity}/gc/d:v0").delete()
    api.close()
    art_blob = hashlib.sha256(b"referenced by v0").hexdigest()
    assert art_blob in referenced
    assert art_blob in {sha for sha, _ in store.unreferenced_blobs(0)}
    assert referenced - {art_blob} <= {sha for sha, _, _ in blobs.list_blobs()}
    assert not referenced - {art_blob} & {sha for sha, _ in store.unreferenced_blobs(0)}
    assert main(["gc", "--grace", "-1"]) == 1
    store.close()


class _RemoteBlobs(BlobStore):
    """A blob store that is not a local folder (as a server's is to the SDK); counts reads."""

    def __init__(self, inner: LocalBlobStore) -> None:
        self.inner = inner
        self.opened = 0

    def put(self, data: bytes) -> str:
        return self.inner.put(data)

    def put_file(self, path: str) -> tuple[str, int]:
        return self.inner.put_file(path)

    def exists(self, sha256: str) -> bool:
        return self.inner.exists(sha256)

    def open(self, sha256: str) -> BinaryIO:
        self.opened += 1
        return self.inner.open(sha256)


def test_remote_downloads_go_through_the_capped_cache(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path / "blobs")
    remote = _RemoteBlobs(local)
    shas = [local.put(bytes([i]) * 1000) for i in range(3)]
    entries = [ManifestEntry(f"f{i}.bin", sha, 1000) for i, sha in enumerate(shas)]
    cache = ArtifactCache(tmp_path / "cache", max_bytes=10_000)
    transfer.download(remote, entries, str(tmp_path / "one"), cache)
    transfer.download(remote, entries, str(tmp_path / "two"), cache)
    assert remote.opened == 3  # the second download read the cache only
    assert (tmp_path / "two" / "f2.bin").read_bytes() == bytes([2]) * 1000
    assert cache.size() == 3000
    # A blob damaged in the store is refused on its way into the cache.
    damaged = local.put(b"good bytes")
    local.path(damaged).write_bytes(b"bad bytes!")
    with pytest.raises(StoreError, match="damaged"):
        transfer.download(remote, [ManifestEntry("x", damaged, 10)], str(tmp_path / "x"), cache)
    assert not (tmp_path / "x" / "x").exists() and not cache.path(damaged).exists()
    # A cap trims the least recently used blobs first.
    os.utime(cache.path(shas[0]), (1, 1))
    small = ArtifactCache(cache.root, max_bytes=2000)
    small.trim()
    assert not cache.path(shas[0]).exists() and cache.path(shas[2]).exists()


def test_cache_cleanup_command(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = ArtifactCache.from_env(settings)
    assert cache.root == settings.dir / "cache" / "artifacts"
    local = LocalBlobStore(settings.dir / "remote")
    for i in range(4):
        cache.fetch(local, local.put(bytes([i]) * 1000))
    assert main(["artifact", "cache", "cleanup", "--max-size", "2.5kB"]) == 0
    assert "removed 2 file(s), freed 2000 bytes; 2000 bytes left" in capsys.readouterr().out
    monkeypatch.setenv("HERON_ARTIFACT_CACHE_MAX", "1000")
    assert main(["artifact", "cache", "cleanup"]) == 0
    assert "1000 bytes left" in capsys.readouterr().out
    assert main(["artifact", "cache", "cleanup", "--max-size", "lots"]) == 1
    assert "invalid size 'lots'" in capsys.readouterr().err
    assert parse_size("2GiB") == 2 * 1024**3 and parse_size("10GB") == 10 * 1000**3
    with pytest.raises(UsageError):
        parse_size("-1")
