"""The local-folder BlobStore (``<root>/ab/cdef…`` files named by their sha256), the
factory that picks a blob store from the settings, and the copying helpers they share.

>>> blobs = open_blob_store(Settings.from_env())  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import queue
import re
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
"""Files at least this big are hashed in one thread while the next chunk is copied in another."""
_STEP = 16 << 20
_FALLBACK_ERRNOS = frozenset(
    {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM}
)
_buffers = threading.local()


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
    buffer = _buffer()
    view = memoryview(buffer)
    digest, size = hashlib.sha256(), 0
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
            size += n
    return digest.hexdigest(), size


def copy_file_hashing(
    source: str, target: str, *, pipeline_min: int = PIPELINE_MIN
) -> tuple[str, int]:
    """Copy ``source`` into ``target`` (made or truncated); the sha256 and size of the copy.

    The kernel copies (``copy_file_range``: no bytes pass through Python, and
    file systems that share extents make a reflink) and the digest is taken
    from the target, so it names exactly the bytes that landed even if the
    source changes meanwhile. A file of ``pipeline_min`` bytes or more is
    hashed a chunk behind the copy, in a second thread (both release the GIL).
    """
    with open(source, "rb", buffering=0) as src, open(target, "w+b", buffering=0) as dst:
        src_fd, dst_fd = src.fileno(), dst.fileno()
        if os.fstat(src_fd).st_size >= pipeline_min:
            return _copy_pipelined(src_fd, dst_fd)
        size = 0
        while n := _copy_chunk(src_fd, dst_fd, _STEP, size):
            size += n
        digest = hashlib.sha256()
        _hash_range(digest, dst_fd, 0, size)
        return digest.hexdigest(), size


def _copy_pipelined(src_fd: int, dst_fd: int) -> tuple[str, int]:
    progress: queue.SimpleQueue[int | BaseException | None] = queue.SimpleQueue()
    stop = threading.Event()

    def copy() -> None:
        done = 0
        try:
            while not stop.is_set() and (n := _copy_chunk(src_fd, dst_fd, _STEP, done)):
                done += n
                progress.put(done)
        except BaseException as exc:
            progress.put(exc)
        progress.put(None)

    copier = threading.Thread(target=copy, name="heron-copy", daemon=True)
    copier.start()
    digest, hashed = hashlib.sha256(), 0
    try:
        while (done := progress.get()) is not None:
            if isinstance(done, BaseException):
                raise done
            _hash_range(digest, dst_fd, hashed, done)
            hashed = done
    finally:
        stop.set()
        copier.join()
    return digest.hexdigest(), hashed


def _copy_chunk(src_fd: int, dst_fd: int, count: int, done: int) -> int:
    """Copy up to ``count`` bytes at the files' offsets; 0 at the end of the source."""
    if hasattr(os, "copy_file_range"):
        try:
            n = os.copy_file_range(src_fd, dst_fd, count)
        except OSError as exc:
            if exc.errno not in _FALLBACK_ERRNOS:
                raise
        else:
            if n or done:  # 0 at offset 0 may be a /proc-like file that reports no size
                return n
    block = os.read(src_fd, min(count, _CHUNK))
    view = memoryview(block)
    while view:
        view = view[os.write(dst_fd, view) :]
    return len(block)


def _hash_range(digest: hashlib._Hash, fd: int, start: int, end: int) -> None:
    """Add bytes ``start:end`` of a file to ``digest``: mapped (no copy), else read."""
    if end <= start:
        return
    base = start - start % mmap.ALLOCATIONGRANULARITY
    try:
        mapped = mmap.mmap(fd, end - base, offset=base, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        mapped = None  # a file system that cannot map files
    if mapped is not None:
        with mapped, memoryview(mapped) as view:
            digest.update(view[start - base :])
        return
    buffer = _buffer()
    view = memoryview(buffer)
    while start < end:
        n = os.preadv(fd, [view[: min(len(buffer), end - start)]], start)
        if not n:
            raise OSError(errno.EIO, "the copy is shorter than what was written")
        digest.update(view[:n])
        start += n


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

    def put(item: tuple[str, str]) -> str | None:
        sha256, path = item
        try:
            stored, _ = blobs.put_file(path)
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
