"""Transfers resume after an interruption: uploads send only missing blobs, downloads continue
a ``.partial`` file with a Range request, and damaged bytes are still refused."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from heron.artifacts.cache import ArtifactCache
from heron.errors import StoreError, UsageError
from heron.settings import Settings
from heron.store.blobs import LocalBlobStore, put_staged
from heron.store.http import HttpStore

FILES = 300
FILE_BYTES = 128 << 10


@pytest.fixture
def http(sdk_server: Any) -> Iterator[HttpStore]:
    """A client of the test server (closed after the test)."""
    with HttpStore(Settings(base_url=sdk_server.base_url), retry_deadline=5.0) as store:
        yield store


def _stage(folder: Path, files: int, size: int) -> dict[str, str]:
    """``files`` distinct files of ``size`` random bytes: ``{sha256: path}``."""
    folder.mkdir()
    staged = {}
    for i in range(files):
        data = os.urandom(size)
        path = folder / f"f{i:04d}.bin"
        path.write_bytes(data)
        staged[hashlib.sha256(data).hexdigest()] = str(path)
    return staged


def test_missing_names_the_absent_blobs(sdk_server: Any, http: HttpStore, tmp_path: Path) -> None:
    present = hashlib.sha256(b"here").hexdigest()
    absent = hashlib.sha256(b"not here").hexdigest()
    local = LocalBlobStore(tmp_path / "blobs")
    for blobs in (local, http.blobs):
        blobs.put(b"here")
        assert blobs.missing([absent, present, absent]) == [absent]
        assert blobs.missing([]) == []
    with pytest.raises(UsageError, match="64 lowercase hex"):
        http.blobs.missing(["../etc/passwd"])
    answer = httpx.post(f"{sdk_server.base_url}/api/v1/blobs/missing", json={"digests": ["x"]})
    assert answer.status_code == 400 and "64 lowercase hex" in answer.text


_UPLOADER = """
import json, sys
from heron.settings import Settings
from heron.store.blobs import put_staged
from heron.store.http import HttpStore
staged = json.load(open(sys.argv[2]))
put_staged(HttpStore(Settings(base_url=sys.argv[1])).blobs, staged, workers=1)
"""


def test_an_interrupted_upload_sends_only_what_is_missing(
    sdk_server: Any,
    http: HttpStore,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: Any,
) -> None:
    staged = _stage(tmp_path / "staged", FILES, FILE_BYTES)
    listing = tmp_path / "staged.json"
    listing.write_text(json.dumps(staged))
    server_blobs = LocalBlobStore(Path(sdk_server.data_dir) / "blobs")
    uploader = subprocess.Popen(
        [sys.executable, "-c", _UPLOADER, sdk_server.base_url, str(listing)],
        env={**os.environ, "HERON_PROGRESS": "0"},
    )
    try:
        deadline = time.monotonic() + 60
        while len(server_blobs.missing(list(staged))) > FILES - 10:
            assert uploader.poll() is None, "the uploader ended before it could be interrupted"
            assert time.monotonic() < deadline, "the uploader sent nothing within 60 s"
            time.sleep(0.005)
        uploader.kill()
    finally:
        uploader.kill()
        uploader.wait()
    time.sleep(0.3)  # a request in flight when the client died is finished or dropped by now
    left = server_blobs.missing(list(staged))
    assert 0 < len(left) < FILES - 9

    monkeypatch.setenv("HERON_PROGRESS", "1")
    capfd.readouterr()
    assert put_staged(http.blobs, staged) == []
    assert server_blobs.missing(list(staged)) == []
    final = capfd.readouterr().err.rstrip("\n").rsplit("\r", 1)[-1]
    assert final.startswith(f"heron: uploading: {len(left):,}/{len(left):,} files,"), final

    capfd.readouterr()
    assert put_staged(http.blobs, staged) == []  # nothing left: nothing sent
    assert capfd.readouterr().err == ""


def _partial_of(cache: ArtifactCache, sha256: str) -> Path:
    path = cache.path(sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(path.name + ".partial")


def test_an_interrupted_download_resumes_with_a_range(http: HttpStore, tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    blobs = http.blobs
    sha256 = blobs.put(data)
    cache = ArtifactCache(tmp_path / "cache")
    _partial_of(cache, sha256).write_bytes(data[: 1 << 20])  # what a cut-off fetch left
    fetched: list[int] = []

    path = cache.fetch(blobs, sha256, fetched.append)

    assert sum(fetched) == 2 << 20  # only the rest came over the wire
    assert Path(path).read_bytes() == data
    assert not _partial_of(cache, sha256).exists()
    assert cache.fetch(blobs, sha256, fetched.append) == path  # cached: nothing fetched
    assert sum(fetched) == 2 << 20


def test_a_complete_partial_is_verified_without_fetching(http: HttpStore, tmp_path: Path) -> None:
    data = os.urandom(1 << 20)
    blobs = http.blobs
    sha256 = blobs.put(data)
    cache = ArtifactCache(tmp_path / "cache")
    _partial_of(cache, sha256).write_bytes(data)
    fetched: list[int] = []
    assert Path(cache.fetch(blobs, sha256, fetched.append)).read_bytes() == data
    assert fetched == []


def test_a_damaged_partial_is_refused_then_fetched_whole(http: HttpStore, tmp_path: Path) -> None:
    data = os.urandom(2 << 20)
    blobs = http.blobs
    sha256 = blobs.put(data)
    cache = ArtifactCache(tmp_path / "cache")
    partial = _partial_of(cache, sha256)
    partial.write_bytes(os.urandom(1 << 20))  # not the blob's first MiB

    with pytest.raises(StoreError, match="refused blob"):
        cache.fetch(blobs, sha256)
    assert not partial.exists() and not cache.path(sha256).exists()

    fetched: list[int] = []
    assert Path(cache.fetch(blobs, sha256, fetched.append)).read_bytes() == data
    assert sum(fetched) == len(data)


def test_blob_ranges(sdk_server: Any, http: HttpStore) -> None:
    data = bytes(range(256)) * 16
    sha256 = http.blobs.put(data)
    url = f"{sdk_server.base_url}/api/v1/blobs/{sha256}"
    part = httpx.get(url, headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.content == data[100:]
    assert part.headers["content-range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    assert httpx.get(url, headers={"Range": "bytes=10-19"}).content == data[10:20]
    assert httpx.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    assert httpx.get(url).content == data


def test_concurrent_fetches_of_one_blob_share_one_download(http: HttpStore, tmp_path: Path) -> None:
    """Two entries with the same content (or two processes) never write one .partial at once."""
    data = os.urandom(4 << 20)
    sha256 = http.blobs.put(data)
    cache = ArtifactCache(tmp_path / "cache")
    fetched: list[int] = []
    with ThreadPoolExecutor(6) as pool:
        paths = list(pool.map(lambda _: cache.fetch(http.blobs, sha256, fetched.append), range(6)))
    assert len(set(paths)) == 1 and Path(paths[0]).read_bytes() == data
    assert sum(fetched) == len(data)  # fetched once
    assert not _partial_of(cache, sha256).exists()
