"""Audio for ``run.log``: arrays become 16-bit PCM WAV files; audio files are kept.

>>> run.log({"speech": heron.Audio(samples, sample_rate=16000, caption="take 1")})  # doctest: +SKIP
>>> run.log({"song": heron.Audio("song.mp3")})                                      # doctest: +SKIP

Arrays are 1-D (mono) or ``(n_samples, channels)``: floats in -1..1 (values
beyond are clipped, as wandb's encoder does) or ``int16`` samples; they need
``sample_rate``. Files ``.wav``, ``.mp3``, ``.ogg`` and ``.flac`` are kept byte
for byte; their sample rate and duration are read from the WAV header, or
probed with PyAV (the ``media`` extra) for the compressed formats, and are
None when neither can tell.
"""

from __future__ import annotations

import io
import os
import wave
from typing import Any, ClassVar

from heron.data_types.base import Media, MediaSink, read_media_file
from heron.data_types.image import array_of
from heron.errors import InvalidValueError

__all__ = ["Audio"]

FILE_FORMATS = ("wav", "mp3", "ogg", "flac")
MAX_CHANNELS = 16


class Audio(Media):
    """A sound clip logged with ``run.log``; see the module docstring for what it accepts."""

    _type: ClassVar[str] = "audio-file"

    def __init__(
        self, data_or_path: Any, sample_rate: int | None = None, caption: str | None = None
    ) -> None:
        self.caption = None if caption is None else str(caption)
        if sample_rate is not None and (
            isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0
        ):
            raise InvalidValueError(
                f"sample_rate must be a positive integer (samples per second), not {sample_rate!r}"
            )
        self.sample_rate: int | None
        self.duration: float | None
        if isinstance(data_or_path, (str, os.PathLike)):
            self._from_file(os.fspath(data_or_path), sample_rate)
        else:
            self._from_array(data_or_path, sample_rate)

    def _from_array(self, data: Any, sample_rate: int | None) -> None:
        import numpy as np

        array = array_of(data)
        if array is None:
            raise InvalidValueError(
                f"cannot make Audio of a {type(data).__module__}.{type(data).__qualname__};"
                " pass a numpy array of samples (with sample_rate) or the path of a"
                " .wav, .mp3, .ogg or .flac file"
            )
        if sample_rate is None:
            raise InvalidValueError(
                "Audio of an array needs sample_rate (samples per second), e.g."
                " heron.Audio(samples, sample_rate=16000)"
            )
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[0] == 0:
            raise InvalidValueError(
                "audio samples must be 1-D (mono) or (n_samples, channels);"
                f" got shape {array.shape}"
            )
        if array.shape[1] > MAX_CHANNELS:
            raise InvalidValueError(
                f"audio of shape {array.shape} would have {array.shape[1]} channels (at most"
                f" {MAX_CHANNELS}); samples go first: pass (n_samples, channels), e.g. data.T"
            )
        if array.dtype == np.int16:
            pcm = array
        elif array.dtype.kind == "f":
            if not np.isfinite(array).all():
                raise InvalidValueError("audio samples hold NaN or ±Inf; expected floats in -1..1")
            pcm = np.rint(np.clip(array, -1.0, 1.0) * 32767.0).astype(np.int16)
        else:
            raise InvalidValueError(
                f"audio samples have dtype {array.dtype}; expected floats in -1..1 or int16"
            )
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(pcm.shape[1])
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(np.ascontiguousarray(pcm, dtype="<i2").tobytes())
        self._data, self.format = out.getvalue(), "wav"
        self.sample_rate, self.duration = sample_rate, pcm.shape[0] / sample_rate

    def _from_file(self, path: str, sample_rate: int | None) -> None:
        self._data, extension = read_media_file(path, "audio", FILE_FORMATS)
        self.format = extension
        if extension == "wav":
            try:
                with wave.open(io.BytesIO(self._data), "rb") as wav:
                    rate, frames = wav.getframerate(), wav.getnframes()
            except (wave.Error, EOFError) as exc:
                raise InvalidValueError(
                    f"audio file {path!r} is not a readable WAV: {exc}"
                ) from None
            self.sample_rate, self.duration = rate, frames / rate
        else:
            self.sample_rate, self.duration = _probe(self._data)
            self.sample_rate = self.sample_rate or sample_rate

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        stub: dict[str, Any] = {
            **sink.store_media(key, "audio", self.format, self._data),
            "format": self.format,
            "sample_rate": self.sample_rate,
            "duration": self.duration,
        }
        if self.caption is not None:
            stub["caption"] = self.caption
        return stub


def _probe(data: bytes) -> tuple[int | None, float | None]:
    """Sample rate and duration of a compressed clip with PyAV; Nones without it."""
    try:
        import av
    except ImportError:
        return None, None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.audio[0]
            rate = stream.rate or None
            if stream.duration is not None and stream.time_base is not None:
                return rate, float(stream.duration * stream.time_base)
            if container.duration is not None:
                return rate, container.duration / av.time_base
            return rate, None
    except (av.FFmpegError, IndexError):
        return None, None
