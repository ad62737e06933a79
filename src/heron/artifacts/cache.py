"""The local download cache: blobs of a remote store, fetched once, verified, capped in size.

Downloads from a ``heron server`` (or any store whose blobs are not a local
folder) land here first, named by sha256 like the blob store, and are copied
out to each download folder; a second download of the same bytes, by any
artifact or version, reads the disk only. The cache lives in
``$HERON_ARTIFACT_CACHE_DIR`` (default ``<HERON_DIR>/cache/artifacts``) and
is trimmed after each download to ``$HERON_ARTIFACT_CACHE_MAX`` (default
10GB), least recently used first; ``heron artifact cache cleanup`` trims it
on demand.

>>> ArtifactCache.from_env().cleanup(parse_size("1GB"))  # doctest: +SKIP
(12, 3221225472)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from heron.errors import StoreError, UsageError
from heron.store.blobs import file_digest

if TYPE_CHECKING:
    from heron.settings import Settings
    from heron.store.base import BlobStore
    from heron.store.s3 import S3BlobStore

DEFAULT_MAX_BYTES = 10 * 1000**3
_CHUNK = 1 << 20
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from ``"500MB"``, ``"10GB"``, ``"2GiB"`` or a plain number of bytes."""
    match = _SIZE_RE.match(str(text))
    if not match:
        raise UsageError(f"invalid size {text!r}: use bytes or a unit, e.g. 500MB, 10GB, 2GiB")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    base = 1024 if "i" in unit else 1000
    power = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4}[unit[:1]]
    return int(number * base**power)


class ArtifactCache:
    """Blobs in ``<root>/ab/cdef…``; a file's mtime is when it was last used."""

    def __init__(self, root: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = int(max_bytes)

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> ArtifactCache:
        """The cache the environment names (see the module docstring)."""
        if settings is None:
            from heron.settings import Settings

            settings = Settings.from_env()
        root = os.environ.get("HERON_ARTIFACT_CACHE_DIR") or settings.dir / "cache" / "artifacts"
        cap = os.environ.get("HERON_ARTIFACT_CACHE_MAX")
        return cls(Path(root).expanduser(), parse_size(cap) if cap else DEFAULT_MAX_BYTES)

    def path(self, sha256: str) -> Path:
        from heron.store.blobs import check_sha256

        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:]

    def fetch(
        self, blobs: BlobStore, sha256: str, progress: Callable[[int], None] | None = None
    ) -> str:
        """The cached file of a blob, fetched from ``blobs`` and verified if not cached yet.

        The fetch writes ``<blob>.partial`` first: one that an interrupted fetch
        left is resumed (the HTTP store asks for the rest with a ``Range``
        request), and the whole file is verified before it takes the blob's name;
        one that does not verify is deleted and refused (StoreError).
        ``progress`` is told the size of each block fetched.
        """
        path = self.path(sha256)
        try:
            os.utime(path)
            return str(path)
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        from heron.store.s3 import S3BlobStore

        if isinstance(blobs, S3BlobStore):
            return self._fetch_s3(blobs, sha256, path)
        partial = path.with_name(path.name + ".partial")
        with _locked(partial):
            if path.is_file():  # another thread or process fetched it meanwhile
                partial.unlink(missing_ok=True)  # the empty one this wait made
                return str(path)
            try:
                got = blobs.fetch_into(sha256, str(partial), progress)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    if partial.stat().st_size == 0:  # nothing to resume: leave no empty file
                        partial.unlink()
                raise
            if got != sha256:
                partial.unlink(missing_ok=True)
                raise StoreError(
                    f"refused blob {sha256} from the store: its bytes hash to {got};"
                    " the stored copy is damaged"
                )
            os.replace(partial, path)
        return str(path)

    def _fetch_s3(self, blobs: S3BlobStore, sha256: str, path: Path) -> str:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        os.close(fd)
        try:
            blobs.download_file(sha256, tmp)  # parallel ranged GETs for large objects
            got = file_digest(tmp)[0]
            if got != sha256:
                raise StoreError(
                    f"refused blob {sha256} from the store: its bytes hash to {got};"
                    " the stored copy is damaged"
                )
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return str(path)

    def drop(self, sha256: str) -> None:
        try:
            os.unlink(self.path(sha256))
        except FileNotFoundError:
            pass

    def entries(self) -> list[tuple[float, int, Path]]:
        """``(last used, size, path)`` of every cached blob, least recently used first."""
        found = []
        if self.root.is_dir():
            for folder in self.root.iterdir():
                if len(folder.name) != 2 or not folder.is_dir():
                    continue
                for file in folder.iterdir():
                    if file.name.startswith(".tmp-"):
                        continue
                    try:
                        stat = file.stat()
                    except FileNotFoundError:
                        continue
                    found.append((stat.st_mtime, stat.st_size, file))
        return sorted(found)

    def size(self) -> int:
        return sum(size for _, size, _ in self.entries())

    def cleanup(self, max_bytes: int | None = None) -> tuple[int, int]:
        """Remove least recently used blobs until the cache holds at most ``max_bytes``.

        Returns ``(files removed, bytes freed)``; ``max_bytes`` defaults to the cap.
        """
        cap = self.max_bytes if max_bytes is None else int(max_bytes)
        if cap < 0:
            raise UsageError(f"the cache size limit must be >= 0, not {cap}")
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for _, size, path in entries:
            if total <= cap:
                break
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            total -= size
            removed += 1
            freed += size
        return removed, freed

    def trim(self) -> None:
        """Keep the cache within its cap (after a download)."""
        self.cleanup(self.max_bytes)


@contextlib.contextmanager
def _locked(partial: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``partial`` (made if absent): one fetch of a blob at a time.

    A lock taken on a file another holder has since renamed or deleted is
    taken again on the file now at that name.
    """
    while True:
        fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.fstat(fd).st_ino == os.stat(partial).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield
                return
        finally:
            os.close(fd)
