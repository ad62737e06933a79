"""Run files as the query API shows them (wandb's ``run.files()``)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from heron.api._util import iso
from heron.entities import FileInfo
from heron.errors import StoreError, UsageError

if TYPE_CHECKING:
    from heron.api.run import Run


class File:
    """One file saved by a run (``output.log``, ``config.yaml``, a ``run.save()``d file).

    >>> f = run.file("config.yaml")            # doctest: +SKIP
    >>> f.download(root="out", replace=True)   # doctest: +SKIP
    """

    def __init__(self, run: Run, info: FileInfo) -> None:
        self._run = run
        self._info = info

    name = property(lambda self: self._info.name)
    size = property(lambda self: self._info.size)
    sha256 = property(lambda self: self._info.sha256)
    digest = sha256

    @property
    def updated_at(self) -> str | None:
        return iso(self._info.updated_at)

    @property
    def url(self) -> str:
        return f"{self._run.url}/files/{self.name}"

    def read_bytes(self) -> bytes:
        """The file's content."""
        return self._run._store.blobs.get(self.sha256)

    def download(
        self, root: str | os.PathLike[str] = ".", replace: bool = False, exist_ok: bool = False
    ) -> IO[str]:
        """Write the file to ``root/<name>`` and return it opened for reading, as wandb does.

        An existing file is kept and opened with ``exist_ok=True``, overwritten
        with ``replace=True``, and refused (UsageError) otherwise. The bytes are
        checked against the stored sha256 before they replace anything.
        """
        root_dir = Path(root).resolve()
        target = (root_dir / self.name).resolve()
        if root_dir != target and root_dir not in target.parents:
            raise UsageError(f"file name {self.name!r} points outside {root_dir}; not writing it")
        if target.exists() and not replace:
            if exist_ok:
                return open(target)
            raise UsageError(
                f"{target} already exists: pass replace=True to overwrite it"
                " or exist_ok=True to keep it"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".heron-download-")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, self._run._store.blobs.open(self.sha256) as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != self.sha256:
                raise StoreError(
                    f"{self.name}: downloaded bytes do not match sha256 {self.sha256};"
                    " the blob store is damaged"
                )
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return open(target)

    def __repr__(self) -> str:
        return f"<File {self.name} ({self.size} bytes)>"


__all__ = ["File"]
