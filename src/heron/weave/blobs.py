"""Large values and media in call inputs and outputs, stored as blobs.

While a client traces, :func:`to_json <heron.weave.serialize.to_json>` turns

* a string longer than :data:`~heron.weave.serialize.MAX_STRING` characters into
  ``{"_type": "blob", "sha256", "size", "ext": "txt", "preview"}`` (the first
  :data:`PREVIEW_CHARS` characters);
* bytes that are not UTF-8 into ``{"_type": "file", "sha256", "size", "ext": "bin"}``;
* a PIL image or ``heron.Image`` into ``{"_type": "image", "sha256", "size", "ext",
  "width", "height"}``, a ``heron.Audio`` into ``{"_type": "audio", ...}``;
* a :class:`pathlib.Path` to a file of at most :data:`MAX_FILE_BYTES` into an
  ``image``, ``audio`` or ``file`` stub by its extension (with its ``name``).

The bytes are *staged* on the caller's thread (written once per content to
the client's staging folder, named by sha256) and uploaded by the sender
thread to the blob store before the records that name them are applied
(:class:`heron.sdk.sender.CallSink`). The dashboard shows a stub's bytes from
``/api/v1/media/{sha256}.{ext}``. Nothing here raises into the traced code:
a value that cannot be staged is kept as tracing would without a client.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("heron")

PREVIEW_CHARS = 1000
"""Characters of a large string kept in the call row, ahead of its blob."""
MAX_FILE_BYTES = 50 * 1024 * 1024
"""The largest file a ``pathlib.Path`` value is stored from (bigger ones stay a path)."""
IMAGE_EXTS = frozenset({"png", "jpg", "jpeg", "gif"})
AUDIO_EXTS = frozenset({"wav", "mp3", "ogg", "flac"})

stager: BlobStager | None = None
"""Where the active client stages blobs (None: no client, large values are cut instead)."""


class BlobStager:
    """A folder of blobs waiting for upload, each file named by its sha256."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def stage(self, data: bytes) -> tuple[str, int]:
        """Write ``data`` (once per content); return its sha256 and size."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.folder / digest
        if not path.exists():
            tmp = self.folder / f".{digest}.{threading.get_ident()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest, len(data)

    def upload(self, blobs: Any) -> int:
        """Put every staged blob into ``blobs`` (a blob store), then drop it; return how many."""
        from heron.store.blobs import put_folder

        with self._lock:
            return put_folder(blobs, self.folder)


def large_text(value: str) -> dict[str, Any] | None:
    """A blob stub for a long string, or None when nothing can be staged."""
    return _stub("blob", value.encode("utf-8", "replace"), "txt", preview=value[:PREVIEW_CHARS])


def binary(data: bytes) -> dict[str, Any] | None:
    """A file stub for bytes that are not text."""
    return _stub("file", data, "bin")


def media(value: Any) -> dict[str, Any] | None:
    """An image, audio or file stub for a media value, or None when ``value`` is not one."""
    if stager is None:
        return None
    kind = type(value)
    module = kind.__module__
    if module.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "size"):
        out = io.BytesIO()
        image = (
            value if value.mode in ("RGB", "RGBA", "L", "LA", "P", "1") else value.convert("RGBA")
        )
        image.save(out, format="PNG")
        width, height = value.size
        return _stub("image", out.getvalue(), "png", width=width, height=height)
    if module.startswith("heron.data_types."):
        return _heron_media(value)
    if isinstance(value, Path):
        return _path(value)
    return None


def _heron_media(value: Any) -> dict[str, Any] | None:
    from heron.data_types.audio import Audio
    from heron.data_types.image import Image

    if not isinstance(value, (Image, Audio)):
        return None
    sink = _StagingSink()
    stub = value.to_stub(sink, "call")
    kind = "image" if isinstance(value, Image) else "audio"
    out = {"_type": kind, "sha256": stub["sha256"], "size": stub["size"], "ext": sink.ext}
    for key in ("width", "height", "caption", "sample_rate", "duration"):
        if stub.get(key) is not None:
            out[key] = stub[key]
    return out


class _StagingSink:
    """The :class:`~heron.data_types.base.MediaSink` a heron media value stages through."""

    ext = "bin"

    def store_media(self, key: str, kind: str, ext: str, data: bytes) -> dict[str, Any]:
        assert stager is not None
        self.ext = ext
        digest, size = stager.stage(data)
        return {"path": f"{kind}/{key}.{ext}", "sha256": digest, "size": size}


def _path(path: Path) -> dict[str, Any] | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    ext = path.suffix.lower().lstrip(".")
    kind = "image" if ext in IMAGE_EXTS else "audio" if ext in AUDIO_EXTS else "file"
    return _stub(kind, data, ext if kind != "file" else "bin", name=path.name)


def _stub(kind: str, data: bytes, ext: str, **more: Any) -> dict[str, Any] | None:
    staging = stager
    if staging is None:
        return None
    try:
        digest, size = staging.stage(data)
    except OSError as exc:
        log.warning("heron: could not stage a %s of a call (%s); keeping it inline", kind, exc)
        return None
    return {"_type": kind, "sha256": digest, "size": size, "ext": ext, **more}
