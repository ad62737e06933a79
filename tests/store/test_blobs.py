"""LocalBlobStore: content addressing, dedupe, atomic files, refusal of bad digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from heron.errors import NotFoundError, UsageError
from heron.store.blobs import LocalBlobStore, put_staged


def test_put_names_blobs_by_sha256_and_stores_once(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    digest = blobs.put(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert blobs.put(b"hello") == digest
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert files == [tmp_path / "blobs" / digest[:2] / digest[2:]]
    assert blobs.exists(digest) and blobs.get(digest) == b"hello"
    with blobs.open(digest) as f:
        assert f.read(2) == b"he"


def test_put_file_streams_and_dedupes(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    data = bytes(range(256)) * 10_000  # 2.5 MB, more than one copy block
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    digest, size = blobs.put_file(str(path))
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert blobs.get(digest) == data
    assert blobs.put_file(str(path)) == (digest, size)
    assert blobs.put(data) == digest
    assert not [p for p in (tmp_path / "blobs").iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "a" * 63, "", "g" * 64])
def test_bad_digests_are_refused(tmp_path: Path, bad: str) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(UsageError, match="digest"):
        blobs.exists(bad)
    with pytest.raises(UsageError, match="digest"):
        blobs.open(bad)


def test_missing_blob_is_not_found(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    missing = "0" * 64
    assert not blobs.exists(missing)
    with pytest.raises(NotFoundError, match=missing):
        blobs.get(missing)


def test_put_staged_stores_what_is_missing_and_reports_what_it_cannot(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
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
