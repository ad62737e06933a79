"""Video for ``run.log``: frame arrays become GIF, MP4 or WebM files; video files are kept.

>>> run.log({"rollout": heron.Video(frames, fps=8, format="mp4")})  # doctest: +SKIP

Arrays are ``(time, channels, height, width)``, or wandb's batch
``(batch, time, channels, height, width)`` tiled into a grid per frame, with
1 (grey), 3 (RGB) or 4 (RGBA; alpha dropped) channels and pixels as
:class:`~heron.data_types.Image` takes them (``uint8``, or floats in 0..1).
GIFs are written with Pillow; MP4 (H.264) and WebM (VP9) with PyAV, which
bundles FFmpeg: both come with ``pip install 'heron[media]'``. H.264 and VP9
want even sizes, so an odd width or height gains one edge row or column.
Files ``.gif``, ``.mp4`` and ``.webm`` are kept byte for byte.
"""

from __future__ import annotations

import io
import os
import tempfile
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from heron.data_types.base import Media, MediaSink, read_media_file
from heron.data_types.image import array_of, pixels_uint8, require_pil
from heron.errors import InvalidValueError, MissingDependencyError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Video"]

FORMATS = ("gif", "mp4", "webm")
_CODECS = {"mp4": "libx264", "webm": "libvpx-vp9"}
_SHAPES = "(time, channels, height, width) or (batch, time, channels, height, width)"


class Video(Media):
    """A clip logged with ``run.log``; see the module docstring for what it accepts."""

    _type: ClassVar[str] = "video-file"

    def __init__(
        self,
        data_or_path: Any,
        *,
        fps: float = 4,
        format: str = "gif",
        caption: str | None = None,
    ) -> None:
        self.caption = None if caption is None else str(caption)
        self.width: int | None
        self.height: int | None
        self.fps: float | None
        self.frames: int | None
        if isinstance(data_or_path, (str, os.PathLike)):
            self._from_file(os.fspath(data_or_path))
            return
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 240:
            raise InvalidValueError(f"fps must be a number in (0, 240], not {fps!r}")
        if format not in FORMATS:
            raise InvalidValueError(f"video format must be 'gif', 'mp4' or 'webm', not {format!r}")
        array = array_of(data_or_path)
        if array is None:
            raise InvalidValueError(
                f"cannot make a Video of a {type(data_or_path).__module__}."
                f"{type(data_or_path).__qualname__}; pass a numpy array {_SHAPES} or the path"
                " of a .gif, .mp4 or .webm file"
            )
        frames = _frames(array)
        self.format, self.fps, self.frames = format, fps, frames.shape[0]
        if format == "gif":
            self._data = _gif(frames, fps)
        else:
            frames = _even(frames)
            self._data = _encode_av(frames, fps, format)
        self.height, self.width = frames.shape[1], frames.shape[2]

    def _from_file(self, path: str) -> None:
        self._data, extension = read_media_file(path, "video", FORMATS)
        self.format = extension
        self.width, self.height, self.fps, self.frames = _probe(self._data, extension)

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        stub: dict[str, Any] = {
            **sink.store_media(key, "videos", self.format, self._data),
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "frames": self.frames,
        }
        if self.caption is not None:
            stub["caption"] = self.caption
        return stub


def _frames(array: np.ndarray) -> np.ndarray:
    """``(T, C, H, W)`` or ``(B, T, C, H, W)`` as ``uint8`` frames ``(T, H, W, 3)``."""
    import numpy as np

    given = array.shape
    if array.ndim == 4:
        array = array[None]
    if array.ndim != 5 or array.shape[2] not in (1, 3, 4) or 0 in array.shape:
        raise InvalidValueError(
            f"a video array must be {_SHAPES} with 1, 3 or 4 channels; got shape {given}"
        )
    pixels = pixels_uint8(array, "the video array")
    batch, time, channels, height, width = pixels.shape
    # wandb's grid: pad the batch to a power of two, then rows x columns of clips.
    padded = 1 << (batch - 1).bit_length()
    if padded != batch:
        fill = np.zeros((padded - batch, time, channels, height, width), np.uint8)
        pixels = np.concatenate([pixels, fill])
    rows = 2 ** ((padded.bit_length() - 1) // 2)
    cols = padded // rows
    grid = pixels.reshape(rows, cols, time, channels, height, width)
    frames = grid.transpose(2, 0, 4, 1, 5, 3).reshape(time, rows * height, cols * width, channels)
    if channels == 1:
        frames = np.repeat(frames, 3, axis=3)
    return np.ascontiguousarray(frames[..., :3])


def _even(frames: np.ndarray) -> np.ndarray:
    import numpy as np

    _, height, width, _ = frames.shape
    if height % 2 or width % 2:
        frames = np.pad(frames, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    return frames


def _gif(frames: np.ndarray, fps: float) -> bytes:
    pil = require_pil()
    images = [pil.fromarray(frame) for frame in frames]
    out = io.BytesIO()
    images[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(10, round(1000 / fps)),
        loop=0,
    )
    return out.getvalue()


def _require_av() -> Any:
    try:
        import av
    except ImportError:
        raise MissingDependencyError.for_extra("av (PyAV)", "media") from None
    return av


def _encode_av(frames: np.ndarray, fps: float, fmt: str) -> bytes:
    av = _require_av()
    # MP4's index goes first ("faststart") so browsers play before the whole file
    # arrives; moving it needs a second pass over a real file, hence the temp folder.
    options = {"movflags": "faststart"} if fmt == "mp4" else {}
    with tempfile.TemporaryDirectory(prefix="heron-video-") as folder:
        path = os.path.join(folder, f"video.{fmt}")
        with av.open(path, mode="w", format=fmt, options=options) as container:
            rate = Fraction(fps).limit_denominator(1001)
            stream = container.add_stream(_CODECS[fmt], rate=rate)
            stream.height, stream.width = frames.shape[1], frames.shape[2]
            stream.pix_fmt = "yuv420p"
            if fmt == "webm":
                stream.options = {"deadline": "realtime", "cpu-used": "8"}
            for frame in frames:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode(None))
        with open(path, "rb") as f:
            return f.read()


def _probe(data: bytes, fmt: str) -> tuple[int | None, int | None, float | None, int | None]:
    """Width, height, fps and frame count of a video file; Nones for what cannot be read."""
    if fmt == "gif":
        pil = require_pil()
        try:
            image = pil.open(io.BytesIO(data))
        except (OSError, SyntaxError) as exc:
            raise InvalidValueError(f"the GIF file is not readable: {exc}") from None
        duration = image.info.get("duration") or 0
        frames = getattr(image, "n_frames", 1)
        return image.width, image.height, (1000 / duration if duration else None), frames
    try:
        av = _require_av()
    except MissingDependencyError:
        return None, None, None, None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            return (
                stream.width or None,
                stream.height or None,
                float(rate) if rate else None,
                stream.frames or None,
            )
    except (av.FFmpegError, IndexError) as exc:
        raise InvalidValueError(f"the {fmt} file is not a readable video: {exc}") from None
