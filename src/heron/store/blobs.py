"""The local-folder BlobStore (``<root>/ab/cdef…`` files named by their sha256), the
factory that picks a blob store from the settings, and the copying helpers they share.

>>> blobs = open_blob_store(Settings.from_env())  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import re
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from heron.errors import NotFoundError, UsageError
from heron.store.base import BlobStore

if TYPE_CHECKING:
    from heron.settings import Settings

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20
PIPELINE_MIN = 64 << 20
"""Files at least this big are hashed in a second thread, when a core is free for it."""
_PIPELINE_BLOCKS = 4
_FICLONE: int | None = getattr(fcntl, "FICLONE", 0x40049409 if sys.platform == "linux" else None)
_buffers = threading.local()


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _BigCopies:
    """Counts the big copies in flight, to give a hashing thread only to those with a core free.

    Two big files copied at once on two cores are each best copied and hashed
    in one thread: a second thread per file only adds hand-offs and moves
    every block from one core's cache to the other's.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0

    @contextlib.contextmanager
    def enter(self) -> Iterator[bool]:
        """Count this copy while it runs; yields whether it should hash in a second thread."""
        with self._lock:
            pipeline = self._active + 1 < cores()
            self._active += 1
        try:
            yield pipeline
        finally:
            with self._lock:
                self._active -= 1


_big_copies = _BigCopies()


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store ``settings.resolved_blob_url`` names.

    A folder path or ``file://`` URL is a :class:`LocalBlobStore`;
    ``s3://bucket/prefix`` an :class:`~heron.store.s3.S3BlobStore` (boto3 is
    imported only then), at ``settings.s3_endpoint_url`` when set.
    """
    url = settings.resolved_blob_url
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "s3":
        from heron.store.s3 import S3BlobStore

        return S3BlobStore.from_url(url, endpoint_url=settings.s3_endpoint_url)
    if scheme == "file":
        from urllib.parse import unquote, urlparse

        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise UsageError(
                f"HERON_BLOB_URL {url!r}: a file:// URL names a local folder (file:///srv/blobs)"
            )
        return LocalBlobStore(unquote(parsed.path))
    if scheme:
        raise UsageError(
            f"HERON_BLOB_URL {url!r}: the {scheme}:// scheme is not supported; use a folder"
            " path, file:///path or s3://bucket/prefix"
        )
    return LocalBlobStore(Path(url).expanduser())


def file_digest(path: str) -> tuple[str, int]:
    """The sha256 hex digest and size of a file, read in 1 MiB blocks."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return _hash_fd(fd)
    finally:
        os.close(fd)


def copy_file_hashing(
    source: str, target: str, *, pipeline_min: int = PIPELINE_MIN
) -> tuple[str, int]:
    """Copy ``source`` into ``target`` (made or truncated); the sha256 and size of the copy.

    Each block is read once into a buffer, hashed from it and written from
    it, so the digest names exactly the bytes written even if the source
    changes meanwhile, and nothing reads the fresh copy back. A file of
    ``pipeline_min`` bytes or more is hashed in a second thread while the
    next blocks are copied (hashlib and file I/O release the GIL), unless
    other big copies already keep every core busy. Where the file system
    shares extents (btrfs, XFS) the copy is a reflink instead, and the
    clone is hashed.
    """
    src = os.open(source, os.O_RDONLY)
    try:
        dst = os.open(target, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            if _reflink(src, dst):
                return _hash_fd(dst)
            if os.fstat(src).st_size < pipeline_min:
                return _copy_serial(src, dst)
            with _big_copies.enter() as pipeline:
                return _copy_pipelined(src, dst) if pipeline else _copy_serial(src, dst)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _reflink(src: int, dst: int) -> bool:
    """Make ``dst`` a clone of ``src`` sharing its extents; False where unsupported."""
    if _FICLONE is None:
        return False
    try:
        fcntl.ioctl(dst, _FICLONE, src)
    except OSError:  # ext4, tmpfs, another file system: copy instead
        return False
    return True


def _copy_serial(src: int, dst: int) -> tuple[str, int]:
    buffer = _buffer()
    view = memoryview(buffer)
    digest, size = hashlib.sha256(), 0
    while n := os.readv(src, [buffer]):
        digest.update(view[:n])
        _write_all(dst, view[:n])
        size += n
    return digest.hexdigest(), size


def _copy_pipelined(src: int, dst: int) -> tuple[str, int]:
    """Read and write here; hash each block in a second thread; a block is reused once hashed."""
    blocks = [bytearray(_CHUNK) for _ in range(_PIPELINE_BLOCKS)]
    free: queue.SimpleQueue[int] = queue.SimpleQueue()
    filled: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
    for index in range(len(blocks)):
        free.put(index)
    digest = hashlib.sha256()
    failed: list[BaseException] = []

    def hash_blocks() -> None:
        while (item := filled.get()) is not None:
            index, n = item
            if not failed:
                try:
                    digest.update(memoryview(blocks[index])[:n])
                except BaseException as exc:  # handed back below; blocks keep flowing
                    failed.append(exc)
            free.put(index)

    hasher = threading.Thread(target=hash_blocks, name="heron-hash", daemon=True)
    hasher.start()
    size = 0
    try:
        while not failed:
            index = free.get()
            n = os.readv(src, [blocks[index]])
            if not n:
                break
            filled.put((index, n))
            _write_all(dst, memoryview(blocks[index])[:n])
            size += n
    finally:
        filled.put(None)
        hasher.join()
    if failed:
        raise failed[0]
    return digest.hexdigest(), size


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view) :]


def _hash_fd(fd: int) -> tuple[str, int]:
    """The sha256 and size of what ``fd`` reads from its current offset."""
    buffer = _buffer()
    view = memoryview(buffer)
    digest, size = hashlib.sha256(), 0
    while n := os.readv(fd, [buffer]):
        digest.update(view[:n])
        size += n
    return digest.hexdigest(), size


def _buffer() -> bytearray:
    """This thread's 1 MiB read buffer."""
    buffer: bytearray | None = getattr(_buffers, "buffer", None)
    if buffer is None:
        buffer = _buffers.buffer = bytearray(_CHUNK)
    return buffer


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
        return self.copy_in(path)

    def copy_in(self, path: str) -> tuple[str, int]:
        """Copy a file in without hashing it first; return the (sha256, size) stored.

        The digest of what was copied names the blob, even if the file changed
        meanwhile. For callers that know the blob is absent (``put_file`` asks first).
        """
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        os.close(fd)
        try:
            sha256, size = copy_file_hashing(path, tmp)
            target = self.path(sha256)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return sha256, size

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


def put_staged(
    blobs: BlobStore, staged: dict[str, str], workers: int = 8, label: str = "uploading"
) -> list[str]:
    """Put staged files (``{sha256: path}``) the store lacks; return the digests that failed.

    The store is asked once which blobs it lacks (:meth:`BlobStore.missing`)
    and only those are sent, so a second call after an interrupted one sends
    only what the first did not; a file is resent whole if it was cut off.
    A file that is gone, unreadable, or whose content no longer has its
    digest is reported, never stored under the wrong name. Files go up in
    parallel threads (hashing and copying release the GIL), with a progress
    line for large uploads (:mod:`heron.artifacts.progress`).
    """
    from heron.artifacts.progress import Progress

    absent = set(blobs.missing(list(staged))) if staged else set()
    items = [(sha256, path) for sha256, path in staged.items() if sha256 in absent]
    sizes = {sha256: _size_or_zero(path) for sha256, path in items}
    progress = Progress.start(label, len(items), sum(sizes.values()))
    # A local store was just asked: it lacks these, so one pass copies and hashes each.
    put_file = blobs.copy_in if isinstance(blobs, LocalBlobStore) else blobs.put_file

    def put(item: tuple[str, str]) -> str | None:
        sha256, path = item
        try:
            stored, _ = put_file(path)
        except OSError:
            return sha256
        progress.file_done(sizes[sha256])
        return None if stored == sha256 else sha256

    # Imported here: importing concurrent.futures registers an atexit hook, which fails
    # when the store is first opened by a run finishing at interpreter exit.
    from concurrent.futures import ThreadPoolExecutor

    with progress:
        if len(items) <= 1:
            failed = [put(item) for item in items]
        else:
            with ThreadPoolExecutor(
                min(workers, len(items)), thread_name_prefix="heron-put"
            ) as pool:
                failed = list(pool.map(put, items))
    return [sha for sha in failed if sha is not None]


def put_folder(blobs: BlobStore, folder: Path) -> int:
    """Put each blob staged in ``folder`` (files named by their sha256) and remove it.

    Used for the blobs weave calls stage beside their call log; the sender,
    and ``heron sync`` for an offline call log, put them before the calls
    that name them. Returns how many were put; a missing folder is none.
    """
    try:
        paths = sorted(folder.iterdir())
    except FileNotFoundError:
        return 0
    done = 0
    for path in paths:
        if _SHA256_RE.match(path.name):
            blobs.put_file(str(path))
            path.unlink(missing_ok=True)
            done += 1
    return done


def _size_or_zero(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
