"""Moving artifact files: parallel uploads into the BlobStore, verified downloads out of it.

Blobs are named by their sha256, so an upload of bytes the store already
holds sends nothing, and a download is checked against the manifest: a file
whose bytes do not hash to the recorded digest is refused, never kept.

Each byte is read once where it can be: a file is hashed while it is copied
(:func:`copy_hashing`), a private staged copy is hard-linked into a local
blob store or a run folder instead of copied again, and downloads from a
remote store go through the local :mod:`~heron.artifacts.cache`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from heron.artifacts.entities import ManifestEntry
from heron.artifacts.progress import NO_PROGRESS, Progress
from heron.artifacts.references import local_path, s3_source
from heron.errors import NotFoundError, StoreError, UsageError
from heron.store.blobs import copy_file_hashing, cores, file_digest

if TYPE_CHECKING:
    from heron.artifacts.cache import ArtifactCache
    from heron.store.base import BlobStore

T = TypeVar("T")
R = TypeVar("R")

WORKERS = 8
"""Threads for transfers that wait on a network (a server, S3, http references)."""
_CHUNK = 1 << 20


LOCAL_WORKERS = max(2, min(WORKERS, cores() + 1))
"""Threads for local copying, hashing and linking: a core each, and one to cover waits.

More only contend for the GIL: on 2 cores, 8 threads copying and hashing
1,000 files of 100 kB take half as long again as 3 do.
"""


def parallel(fn: Callable[[T], R], items: Sequence[T], workers: int = WORKERS) -> list[R]:
    """``fn`` over ``items`` in up to ``workers`` threads, results in order.

    Each thread takes every ``workers``-th item in one task: a task per item
    costs more in thread hand-offs than linking or hashing a small file.
    """
    if len(items) <= 1:
        return [fn(item) for item in items]
    workers = min(workers, len(items))

    def run(start: int) -> list[R]:
        return [fn(item) for item in items[start::workers]]

    with ThreadPoolExecutor(workers, thread_name_prefix="heron-artifact") as pool:
        parts = list(pool.map(run, range(workers)))
    out: list[R] = [None] * len(items)  # type: ignore[list-item]
    for start, part in enumerate(parts):
        out[start::workers] = part
    return out


def target_path(root: str, entry_path: str) -> str:
    """Where an entry lands under ``root``; refuses a path that would leave it."""
    return Targets(root).path(entry_path)


class Targets:
    """:func:`target_path` for many entries under one root.

    Symlinks are resolved as ``realpath`` would, but each folder once: a
    download of 1,000 files in 10 folders resolves 10 folders, not 1,000
    paths of a dozen ``lstat`` calls each. A folder's symlinks are resolved
    when it is first asked for; the download then writes under it.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._real_root = os.path.realpath(root)
        self._folders: dict[str, str] = {}

    def path(self, entry_path: str) -> str:
        folder, _, name = entry_path.rpartition("/")
        if name in ("", ".", ".."):  # a folder, not a file: "a/.." would name the root itself
            raise UsageError(f"artifact path {entry_path!r} does not name a file")
        real_folder = self._folders.get(folder)
        if real_folder is None:
            real_folder = os.path.realpath(os.path.join(self._real_root, folder))
            self._folders[folder] = real_folder
        full = os.path.join(real_folder, name)
        if os.path.islink(full):
            full = os.path.realpath(full)
        if not full.startswith(self._real_root + os.sep):
            raise UsageError(
                f"artifact path {entry_path!r} would escape the download root {self.root}"
            )
        return full


def copy_hashing(source: str, target: str, atomic: bool = True) -> tuple[str, int]:
    """Copy ``source`` to ``target`` in one pass; the sha256 and size copied.

    ``atomic`` writes a temporary file and renames it, so no reader sees half
    a file; a private staging copy needs no such care. The digest is that of
    the copy (see :func:`~heron.store.blobs.copy_file_hashing`).
    """
    return _copy(source, target, atomic)


def _copy(
    source: str, target: str, atomic: bool, expected: str | None = None, name: str = ""
) -> tuple[str, int]:
    """:func:`copy_hashing`; with ``expected``, a copy with another digest is refused."""
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        os.makedirs(parent, exist_ok=True)
    # Not mkstemp: its O_EXCL retries cost milliseconds a file on some file systems.
    tmp = f"{target}.{os.getpid()}.{threading.get_ident()}.partial" if atomic else target
    try:
        sha256, size = copy_file_hashing(source, tmp)
        if expected is not None and sha256 != expected:
            raise StoreError(
                f"refused {name or target}: its bytes hash to {sha256}, but the manifest"
                f" records {expected}; the stored copy is damaged"
            )
        if atomic:
            os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return sha256, size


def link_or_copy(source: str, target: str) -> None:
    """Hard-link ``source`` at ``target`` (replacing it), or copy it across file systems."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = f"{target}.{os.getpid()}.{threading.get_ident()}.link"
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def put_known(blobs: BlobStore, path: str, sha256: str, private: bool) -> None:
    """Put a file whose digest is known; a ``private`` copy may be hard-linked into a local store.

    Only files no one else writes (the artifact's own staged copies) are
    linked: a user's file could change under the blob.
    """
    from heron.store.blobs import LocalBlobStore

    if isinstance(blobs, LocalBlobStore) and private:
        target = blobs.path(sha256)
        for _ in range(3):
            try:
                os.link(path, target)  # atomic, and the name is the content's: no temp file
                return
            except FileExistsError:
                if blobs._touch(sha256):  # stored already: refresh it for gc's grace period
                    return
            except FileNotFoundError:
                if not os.path.exists(path):
                    raise
                target.parent.mkdir(exist_ok=True)  # the first blob of its ab/ folder
            except OSError:  # another file system, or no hard links there
                link_or_copy(path, str(target))
                return
        link_or_copy(path, str(target))
        return
    if isinstance(blobs, LocalBlobStore):
        if blobs._touch(sha256):
            return
        stored, _ = blobs.copy_in(path)  # the digest is known: no second read to ask first
    elif not blobs.exists(sha256):
        stored, _ = blobs.put_file(path)
    else:
        return
    if stored != sha256:
        raise UsageError(f"artifact file {path} changed after it was added; add it again")


def download(
    blobs: BlobStore, entries: Sequence[ManifestEntry], root: str, cache: ArtifactCache | None
) -> None:
    """Write every entry under ``root``; files already there with the right digest are kept.

    A local blob store is read directly; a remote one through ``cache``
    (blobs fetched once, verified, then copied out), trimmed to its cap after.
    """
    from heron.store.blobs import LocalBlobStore

    os.makedirs(root, exist_ok=True)
    via = None if isinstance(blobs, LocalBlobStore) else cache
    entries = list(entries)
    total = sum(e.size or 0 for e in entries)
    targets = Targets(root)
    local = via is None and all(e.ref is None or e.ref.startswith("file://") for e in entries)
    with Progress.start("downloading", len(entries), total) as progress:
        parallel(
            lambda entry: _fetch(blobs, entry, targets, via, progress),
            entries,
            LOCAL_WORKERS if local else WORKERS,
        )
    if via is not None:
        via.trim()


def _fetch(
    blobs: BlobStore,
    entry: ManifestEntry,
    targets: Targets,
    cache: ArtifactCache | None,
    progress: Progress = NO_PROGRESS,
) -> None:
    target = targets.path(entry.path)
    expected = _expected_sha256(entry)
    if expected is not None and os.path.isfile(target) and file_digest(target)[0] == expected:
        progress.file_done(entry.size or 0)
        return
    if cache is not None and entry.ref is None:
        # Bytes are counted as they arrive (a large file moves the line while it comes).
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            _copy(
                cache.fetch(blobs, entry.digest, progress.advance),
                target,
                True,
                entry.digest,
                entry.path,
            )
        except StoreError:
            cache.drop(entry.digest)  # damaged since it was cached: fetch it again
            _copy(cache.fetch(blobs, entry.digest), target, True, entry.digest, entry.path)
        progress.advance(0, 1)
        return
    _fetch_other(blobs, entry, target, expected)
    progress.file_done(entry.size or 0)


def _fetch_other(blobs: BlobStore, entry: ManifestEntry, target: str, expected: str | None) -> None:
    """A local blob store's file, copied and verified; a reference's, streamed and verified."""
    from heron.store.blobs import LocalBlobStore

    if entry.ref is None and isinstance(blobs, LocalBlobStore):
        source = str(blobs.path(entry.digest))
        try:
            _copy(source, target, True, entry.digest, entry.path)
        except FileNotFoundError as exc:
            if exc.filename == source:
                raise NotFoundError(f"blob {entry.digest} is not in the blob store") from None
            raise
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".heron-download-")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for block in _source(blobs, entry):
                digest.update(block)
                out.write(block)
        if expected is not None and digest.hexdigest() != expected:
            raise StoreError(
                f"refused {entry.path}: its bytes hash to {digest.hexdigest()}, but the manifest"
                f" records {expected}; the stored copy is damaged or the reference changed"
            )
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _expected_sha256(entry: ManifestEntry) -> str | None:
    if entry.ref is None:
        return entry.digest
    if entry.digest.startswith("sha256:"):
        return entry.digest[len("sha256:") :]
    return None


def _source(blobs: BlobStore, entry: ManifestEntry) -> Iterator[bytes]:
    """The entry's bytes, a block at a time: from the blob store or the reference."""
    if entry.ref is None:
        with blobs.open(entry.digest) as f:
            while block := f.read(_CHUNK):
                yield block
        return
    if entry.ref.startswith("file://"):
        path = local_path(entry.ref)
        try:
            with open(path, "rb") as f:
                while block := f.read(_CHUNK):
                    yield block
        except OSError as exc:
            raise StoreError(f"referenced file {path} cannot be read: {exc.strerror}") from None
        return
    if entry.ref.lower().startswith("s3://"):
        yield from s3_source(entry.ref, entry.digest, _CHUNK)
        return
    import httpx

    try:
        with httpx.stream("GET", entry.ref, follow_redirects=True, timeout=30.0) as response:
            if response.status_code >= 400:
                raise StoreError(f"reference {entry.ref} answered HTTP {response.status_code}")
            yield from response.iter_bytes(_CHUNK)
    except httpx.HTTPError as exc:
        raise StoreError(f"reference {entry.ref} is unreachable: {exc}") from None


def verify(entries: Sequence[ManifestEntry], root: str) -> None:
    """Check that every file under ``root`` the manifest names has its recorded digest."""

    targets = Targets(root)

    def problem(entry: ManifestEntry) -> str | None:
        expected = _expected_sha256(entry)
        target = targets.path(entry.path)
        if not os.path.isfile(target):
            return f"{entry.path} is missing"
        if expected is not None and file_digest(target)[0] != expected:
            return f"{entry.path} does not match its digest"
        return None

    problems = [p for p in parallel(problem, list(entries), LOCAL_WORKERS) if p is not None]
    if problems:
        raise StoreError(f"artifact files under {root} fail verification: {'; '.join(problems)}")
