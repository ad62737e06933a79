"""What every rich data type shares: turn itself into blobs plus a small JSON stub.

A history row never holds media bytes. ``run.log({"sample": heron.Image(x)})``
asks the value for its stub with :meth:`Media._heron_serialize`; the value
encodes its bytes (PNG, WAV, Parquet, …) and hands each file to the run's
:class:`MediaSink`, which names it by content, queues it for the writer thread
(the caller's thread does no I/O) and answers where it will live::

    {"_type": "image-file", "path": "media/images/sample_3f2a…png",
     "sha256": "3f2a…", "size": 1234, "width": 28, "height": 28, "format": "png"}

The writer puts the file in the run's folder and the sender uploads it to the
content-addressed BlobStore as a run file named ``path``, so identical media is
stored once however often it is logged. Stubs follow wandb's JSON shapes in
spirit (``_type``, ``path``, ``sha256``) so scripts reading history see
familiar dicts; the dashboard fetches the bytes by ``sha256``.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, ClassVar, Protocol

from heron.errors import InvalidValueError

__all__ = ["Media", "MediaSink", "MemorySink", "media_path", "read_media_file"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def media_path(kind: str, key: str, sha256: str, ext: str) -> str:
    """``media/<kind>/<key>_<sha256[:20]>.<ext>``: readable; the same bytes, the same name."""
    safe = _UNSAFE.sub("_", key).strip("._")[:80] or "media"
    return f"media/{kind}/{safe}_{sha256[:20]}.{ext}"


def read_media_file(
    path: str, what: str, formats: tuple[str, ...], hint: str = ""
) -> tuple[bytes, str]:
    """The bytes and lower-case extension of a media file whose extension is one of ``formats``.

    ``what`` names the type in errors ("audio", "video", "3-D"); ``hint`` is
    added to the message about a refused extension.
    """
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in formats:
        allowed = ", ".join(f".{f}" for f in formats)
        raise InvalidValueError(
            f"cannot log {what} file {path!r}: the file must be one of {allowed}{hint}"
        )
    try:
        with open(path, "rb") as f:
            return f.read(), extension
    except OSError as exc:
        raise InvalidValueError(f"cannot read {what} file {path!r}: {exc.strerror}") from None


class MediaSink(Protocol):
    """Where a data type puts its files: the run (or, in tests, :class:`MemorySink`)."""

    def store_media(self, key: str, kind: str, ext: str, data: bytes) -> dict[str, Any]:
        """Queue ``data`` as a run file; return ``{"path", "sha256", "size"}`` for the stub."""
        ...


class MemorySink:
    """A :class:`MediaSink` that keeps files in a dict by path (tests, and Table cells)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def store_media(self, key: str, kind: str, ext: str, data: bytes) -> dict[str, Any]:
        sha256 = hashlib.sha256(data).hexdigest()
        path = media_path(kind, key, sha256, ext)
        self.files[path] = data
        return {"path": path, "sha256": sha256, "size": len(data)}


class Media:
    """Base of Image, Audio, Video, Html, Object3D, Table, Histogram and plots.

    Subclasses implement :meth:`to_stub`. ``run.log`` calls
    :meth:`_heron_serialize` (the hook :mod:`heron.sdk.values` looks for) with
    the run as sink and the key being logged.
    """

    _type: ClassVar[str]
    """The stub's ``_type`` (``"image-file"``, ``"histogram"``, …)."""

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        """Encode this value, hand its files to ``sink``, return the JSON stub."""
        raise NotImplementedError

    def _heron_serialize(self, sink: MediaSink, key: str) -> dict[str, Any]:
        stub = self.to_stub(sink, key)
        stub.setdefault("_type", self._type)
        return stub
