"""The BlobStore contract, on the local folder and on S3 (a moto server on loopback).

Content addressing, dedupe, atomic writes (no leftovers), refusal of bad
digests, seekable reads, listing and deleting for ``heron gc``, and the copy
helper local stores and downloads use.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from heron.errors import NotFoundError, StoreError, UsageError
from heron.store.base import BlobStore
from heron.store.blobs import LocalBlobStore, copy_file_hashing, put_staged
from heron.store.sql import SqlStore
from tests.helpers.s3_server import MotoS3, moto_s3, s3

__all__ = ["moto_s3", "s3"]


class Backend:
    """A blob store with a look at its raw storage, to check what really landed."""

    def __init__(
        self, blobs: BlobStore, stored: Callable[[], list[str]], leftovers: Callable[[], list[Any]]
    ):
        self.blobs = blobs
        self.stored = stored
        """Every digest the raw storage holds, sorted."""
        self.leftovers = leftovers
        """Temporary files or unfinished uploads that a finished put left behind."""


def _local(tmp_path: Path) -> Backend:
    root = tmp_path / "blobs"
    blobs = LocalBlobStore(root)

    def stored() -> list[str]:
        return sorted(p.parent.name + p.name for p in root.glob("??/*") if p.is_file())

    def leftovers() -> list[Any]:
        return [p for p in root.iterdir() if p.name.startswith(".tmp-")]

    return Backend(blobs, stored, leftovers)


def _s3(server: MotoS3) -> Backend:
    from heron.store.s3 import S3BlobStore

    bucket = server.make_bucket()
    # Small parts, so a few MB already go up in several parts.
    blobs = S3BlobStore(
        bucket,
        "team/heron",
        endpoint_url=server.endpoint_url,
        multipart_threshold=5 << 20,
        multipart_chunksize=5 << 20,
    )
    client = server.client()

    def stored() -> list[str]:
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        keys = [item["Key"] for item in listed]
        assert all(k.startswith("team/heron/") for k in keys), keys
        return sorted(k.rsplit("/", 1)[1] for k in keys)

    def leftovers() -> list[Any]:
        return client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])

    return Backend(blobs, stored, leftovers)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return _local(tmp_path)
    return _s3(request.getfixturevalue("s3"))


def test_put_names_blobs_by_sha256_and_stores_once(backend: Backend) -> None:
    blobs = backend.blobs
    digest = blobs.put(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert blobs.put(b"hello") == digest
    assert backend.stored() == [digest]
    assert blobs.exists(digest) and blobs.get(digest) == b"hello"
    with blobs.open(digest) as f:
        assert f.read(2) == b"he"


def test_put_file_streams_and_dedupes(backend: Backend, tmp_path: Path) -> None:
    blobs = backend.blobs
    data = bytes(range(256)) * 50_000  # 12.8 MB: more than one copy block, several S3 parts
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    digest, size = blobs.put_file(str(path))
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert blobs.get(digest) == data
    assert blobs.put_file(str(path)) == (digest, size)
    assert blobs.put(data) == digest
    assert backend.stored() == [digest]
    assert backend.leftovers() == []
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert blobs.put_file(str(empty)) == (hashlib.sha256(b"").hexdigest(), 0)
    assert blobs.get(hashlib.sha256(b"").hexdigest()) == b""


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "a" * 63, "", "g" * 64])
def test_bad_digests_are_refused(backend: Backend, bad: str) -> None:
    with pytest.raises(UsageError, match="digest"):
        backend.blobs.exists(bad)
    with pytest.raises(UsageError, match="digest"):
        backend.blobs.open(bad)
    with pytest.raises(UsageError, match="digest"):
        backend.blobs.delete(bad)


def test_missing_blob_is_not_found(backend: Backend) -> None:
    missing = "0" * 64
    assert not backend.blobs.exists(missing)
    with pytest.raises(NotFoundError, match=missing):
        backend.blobs.get(missing)
    assert backend.blobs.delete(missing) is False


def test_open_is_seekable(backend: Backend) -> None:
    """The media route answers range requests by seeking; Parquet tables read from the end."""
    data = os.urandom(3 << 20)
    digest = backend.blobs.put(data)
    with backend.blobs.open(digest) as f:
        assert f.seek(0, os.SEEK_END) == len(data)
        f.seek(1_000_000)
        assert f.tell() == 1_000_000
        assert f.read(10) == data[1_000_000:1_000_010]
        f.seek(-5, os.SEEK_END)
        assert f.read() == data[-5:]
        f.seek(3)
        assert f.read(4) == data[3:7]
        assert f.read() == data[7:]
        assert f.read(1) == b""


def test_list_and_delete(backend: Backend) -> None:
    blobs = backend.blobs
    before = time.time()
    small, other = blobs.put(b"small"), blobs.put(b"other bytes")
    listed = {sha: (size, mtime) for sha, size, mtime in blobs.list_blobs()}
    assert set(listed) == {small, other}
    assert listed[small][0] == 5 and listed[other][0] == 11
    assert all(before - 2 <= mtime <= time.time() + 1 for _, mtime in listed.values())
    assert blobs.delete(small) is True
    assert not blobs.exists(small) and blobs.delete(small) is False
    assert [sha for sha, _, _ in blobs.list_blobs()] == [other]


def test_putting_a_stored_blob_again_refreshes_its_time(backend: Backend, tmp_path: Path) -> None:
    """The gc grace period spares a blob an upload in flight has just put again."""
    blobs = backend.blobs
    digest = blobs.put(b"old bytes")
    (first,) = [mtime for _, _, mtime in blobs.list_blobs()]
    time.sleep(1.1)  # S3 keeps whole seconds
    path = tmp_path / "again"
    path.write_bytes(b"old bytes")
    assert blobs.put_file(str(path))[0] == digest
    (second,) = [mtime for _, _, mtime in blobs.list_blobs()]
    assert second > first
    assert blobs.get(digest) == b"old bytes"


def test_gc_deletes_unreferenced_blobs_past_the_grace_period(
    backend: Backend, tmp_path: Path
) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'gc.db'}", backend.blobs)
    try:
        digest = backend.blobs.put(b"nobody needs me")
        assert store.gc(grace_seconds=3600).blobs == []  # fresh: maybe an upload in flight
        time.sleep(1.1)
        report = store.gc(grace_seconds=0, dry_run=True)
        assert report.blobs == [digest] and backend.blobs.exists(digest)
        report = store.gc(grace_seconds=0)
        assert report.blobs == [digest] and report.freed_bytes == len(b"nobody needs me")
        assert backend.stored() == []
    finally:
        store.close()


def test_a_blob_is_always_named_by_its_content(backend: Backend) -> None:
    """/proc/uptime reads differently from one moment to the next, like a file being
    rewritten while it is put: whatever is stored must still hash to its name."""
    blobs = backend.blobs
    for _ in range(3):
        try:
            digest, size = blobs.put_file("/proc/uptime")
        except StoreError as exc:
            assert "kept changing while it was uploaded" in str(exc)
            continue
        assert hashlib.sha256(blobs.get(digest)).hexdigest() == digest
        assert len(blobs.get(digest)) == size
    for sha256, _, _ in blobs.list_blobs():
        assert hashlib.sha256(blobs.get(sha256)).hexdigest() == sha256
    assert backend.leftovers() == []


def test_put_staged_stores_what_is_missing_and_reports_what_it_cannot(
    backend: Backend, tmp_path: Path
) -> None:
    blobs = backend.blobs
    staged = {}
    for name, data in (("good", b"good bytes"), ("gone", b"gone bytes"), ("changed", b"before")):
        path = tmp_path / name
        path.write_bytes(data)
        staged[hashlib.sha256(data).hexdigest()] = str(path)
    (tmp_path / "gone").unlink()
    (tmp_path / "changed").write_bytes(b"after")  # its digest no longer names it
    failed = put_staged(blobs, staged)
    good, gone, changed = staged
    assert sorted(failed) == sorted([gone, changed])
    assert blobs.get(good) == b"good bytes"
    assert not blobs.exists(gone) and not blobs.exists(changed)
    assert put_staged(blobs, {good: str(tmp_path / "good")}) == []  # already stored


# ---------------------------------------------------------------- the copy helper


@pytest.mark.parametrize("size", [0, 1, 4096, (1 << 20) + 3])
def test_copy_file_hashing_names_the_copy(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    (tmp_path / "src").write_bytes(data)
    assert copy_file_hashing(str(tmp_path / "src"), str(tmp_path / "dst")) == (
        hashlib.sha256(data).hexdigest(),
        size,
    )
    assert (tmp_path / "dst").read_bytes() == data


@pytest.fixture
def many_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cores to spare: a big copy hashes in a second thread even on a one-core machine."""
    import heron.store.blobs as blobs_module

    monkeypatch.setattr(blobs_module, "cores", lambda: 8)


@pytest.mark.usefixtures("many_cores")
def test_copy_file_hashing_pipelined(tmp_path: Path) -> None:
    """A big file is hashed a block behind the copy; the digest is the same."""
    data = os.urandom(1 << 20) * 40 + b"tail"  # many 1 MiB blocks, the last one short
    (tmp_path / "src").write_bytes(data)
    (tmp_path / "dst").write_bytes(b"x" * (50 << 20))  # longer than the copy: truncated first
    sha256, size = copy_file_hashing(str(tmp_path / "src"), str(tmp_path / "dst"), pipeline_min=1)
    assert (sha256, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (tmp_path / "dst").read_bytes() == data


@pytest.mark.usefixtures("many_cores")
def test_copy_file_hashing_pipelined_hash_failure_is_raised_not_hung(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure in the hashing thread reaches the caller; the copy loop does not wait forever."""
    import heron.store.blobs as blobs_module

    class Failing:
        def __init__(self) -> None:
            self.calls = 0

        def update(self, data: object) -> None:
            self.calls += 1
            if self.calls == 3:
                raise MemoryError("hash failed")

        def hexdigest(self) -> str:
            return "0" * 64

    monkeypatch.setattr(blobs_module.hashlib, "sha256", Failing)
    (tmp_path / "src").write_bytes(os.urandom(1 << 20) * 12)  # more blocks than the ring holds
    with pytest.raises(MemoryError, match="hash failed"):
        copy_file_hashing(str(tmp_path / "src"), str(tmp_path / "dst"), pipeline_min=1)


def test_big_copies_hash_in_a_second_thread_only_while_a_core_is_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import heron.store.blobs as blobs_module

    monkeypatch.setattr(blobs_module, "cores", lambda: 2)
    copies = blobs_module._BigCopies()
    with copies.enter() as first:
        with copies.enter() as second:  # both cores busy: copied and hashed in one thread
            assert (first, second) == (True, False)
        with copies.enter() as third:
            assert third is False
    with copies.enter() as alone:
        assert alone is True
    monkeypatch.setattr(blobs_module, "cores", lambda: 1)
    with copies.enter() as single_core:
        assert single_core is False


def test_copy_file_hashing_hashes_a_reflinked_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the file system clones (btrfs, XFS), the clone is hashed, not copied again."""
    import heron.store.blobs as blobs_module

    cloned: list[int] = []

    def clone(src: int, dst: int) -> bool:  # stands in for the FICLONE ioctl
        os.write(dst, os.pread(src, 1 << 30, 0))
        os.lseek(dst, 0, os.SEEK_SET)
        cloned.append(dst)
        return True

    monkeypatch.setattr(blobs_module, "_reflink", clone)
    data = os.urandom((1 << 20) * 3 + 5)
    (tmp_path / "src").write_bytes(data)
    assert copy_file_hashing(str(tmp_path / "src"), str(tmp_path / "dst")) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert cloned and (tmp_path / "dst").read_bytes() == data


def test_copy_file_hashing_across_file_systems_and_from_proc(tmp_path: Path) -> None:
    """/proc files report no size (copy_file_range copies nothing): read instead."""
    sha256, size = copy_file_hashing("/proc/self/status", str(tmp_path / "status"))
    copied = (tmp_path / "status").read_bytes()
    assert size == len(copied) > 0 and sha256 == hashlib.sha256(copied).hexdigest()
    if os.path.isdir("/dev/shm"):
        source = Path("/dev/shm") / f"heron-test-{os.getpid()}"
        source.write_bytes(b"on tmpfs" * 1000)
        try:
            assert copy_file_hashing(str(source), str(tmp_path / "from-shm"))[0] == (
                hashlib.sha256(b"on tmpfs" * 1000).hexdigest()
            )
        finally:
            source.unlink()


def test_local_copy_in_names_the_blob_by_what_was_copied(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "f").write_bytes(b"content")
    digest, size = blobs.copy_in(str(tmp_path / "f"))
    assert (digest, size) == (hashlib.sha256(b"content").hexdigest(), 7)
    assert blobs.path(digest).read_bytes() == b"content"
    assert not [p for p in (tmp_path / "blobs").iterdir() if p.name.startswith(".tmp-")]
