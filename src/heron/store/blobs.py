"""The local-folder BlobStore: ``<root>/ab/cdef…`` files named by their sha256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from heron.errors import NotFoundError, UsageError
from heron.store.base import BlobStore

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def file_digest(path: str) -> tuple[str, int]:
    """The sha256 hex digest and size of a file, read in 1 MiB blocks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def check_sha256(sha256: str) -> str:
    """Refuse anything but 64 lowercase hex digits (no path tricks reach the disk)."""
    if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
        raise UsageError(f"invalid blob digest {sha256!r}: expected 64 lowercase hex digits")
    return sha256


class LocalBlobStore(BlobStore):
    """Blobs as files in a folder; writes go to a temp file then an atomic rename."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self._touch(sha256):
            self._write([data])
        return sha256

    def put_file(self, path: str) -> tuple[str, int]:
        # Hash first: most puts of a known file find it stored and copy nothing.
        sha256, size = file_digest(path)
        if self._touch(sha256):
            return sha256, size
        with open(path, "rb") as f:
            # The digest of what was copied names the blob, even if the file changed meanwhile.
            return self._write(iter(lambda: f.read(_CHUNK), b""))

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def _touch(self, sha256: str) -> bool:
        """Refresh a stored blob's time (True), so ``heron gc``'s grace period spares it."""
        try:
            os.utime(self.path(sha256))
        except FileNotFoundError:
            return False
        return True

    def list_blobs(self) -> Iterator[tuple[str, int, float]]:
        for prefix in sorted(os.listdir(self.root)):
            folder = self.root / prefix
            if len(prefix) != 2 or not folder.is_dir():
                continue  # .tmp-* files of writes in flight
            for rest in sorted(os.listdir(folder)):
                sha256 = prefix + rest
                if _SHA256_RE.match(sha256):
                    stat = (folder / rest).stat()
                    yield sha256, stat.st_size, stat.st_mtime

    def delete(self, sha256: str) -> bool:
        try:
            os.unlink(self.path(sha256))
        except FileNotFoundError:
            return False
        return True

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {sha256} is not in the blob store") from None

    def _write(self, blocks: Iterable[bytes]) -> tuple[str, int]:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                for block in blocks:
                    digest.update(block)
                    size += len(block)
                    out.write(block)
            target = self.path(digest.hexdigest())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return digest.hexdigest(), size


def put_staged(blobs: BlobStore, staged: dict[str, str], workers: int = 8) -> list[str]:
    """Put staged files (``{sha256: path}``) the store lacks; return the digests that failed.

    A file that is gone, unreadable, or whose content no longer has its
    digest is reported, never stored under the wrong name. Files go up in
    parallel threads (hashing and copying release the GIL).
    """

    def put(item: tuple[str, str]) -> str | None:
        sha256, path = item
        if blobs.exists(sha256):
            return None
        try:
            stored, _ = blobs.put_file(path)
        except OSError:
            return sha256
        return None if stored == sha256 else sha256

    # Imported here: importing concurrent.futures registers an atexit hook, which fails
    # when the store is first opened by a run finishing at interpreter exit.
    from concurrent.futures import ThreadPoolExecutor

    items = list(staged.items())
    if len(items) <= 1:
        failed = [put(item) for item in items]
    else:
        with ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="heron-put") as pool:
            failed = list(pool.map(put, items))
    return [sha for sha in failed if sha is not None]
