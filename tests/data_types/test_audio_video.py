"""heron.Audio and heron.Video: arrays become WAV / GIF / MP4 / WebM files that decode back."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageSequence

import heron
from heron.data_types import Audio, MemorySink, Video
from heron.errors import InvalidValueError
from heron.sdk.client import Client
from heron.settings import Settings
from tests.data_types.conftest import log_and_read


def wav_samples(data: bytes) -> tuple[int, np.ndarray]:
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert wav.getsampwidth() == 2
        frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        return wav.getframerate(), frames.reshape(-1, wav.getnchannels())


def test_audio_arrays_round_trip_sample_for_sample(online_client: Client, online: Settings) -> None:
    t = np.linspace(0, 1, 8000, endpoint=False)
    tone = np.sin(2 * np.pi * 440 * t) * 0.5
    stereo = np.random.default_rng(0).integers(-32768, 32767, (500, 2), dtype=np.int16)
    loud = np.array([-2.0, -1.0, 0.0, 1.0, 1.5])
    store, (row,) = log_and_read(
        online_client,
        online,
        [
            {
                "tone": Audio(tone, sample_rate=8000, caption="A4"),
                "stereo": Audio(stereo, sample_rate=1000),
                "loud": Audio(loud, sample_rate=10),
            }
        ],
    )
    stub = row["tone"]
    assert stub["_type"] == "audio-file" and stub["format"] == "wav"
    assert (stub["sample_rate"], stub["duration"], stub["caption"]) == (8000, 1.0, "A4")
    assert stub["path"].startswith("media/audio/tone_") and stub["path"].endswith(".wav")
    rate, samples = wav_samples(store.blobs.get(stub["sha256"]))
    assert rate == 8000 and samples.shape == (8000, 1)
    assert np.array_equal(samples[:, 0], np.rint(tone * 32767).astype(np.int16))

    rate, samples = wav_samples(store.blobs.get(row["stereo"]["sha256"]))
    assert rate == 1000 and np.array_equal(samples, stereo)
    assert row["stereo"]["duration"] == 0.5
    _, samples = wav_samples(store.blobs.get(row["loud"]["sha256"]))
    assert samples[:, 0].tolist() == [-32767, -32767, 0, 32767, 32767]  # clipped to -1..1


def encode_audio(path: Path, codec: str, rate: int, seconds: float) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        count = int(rate * seconds)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, count), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def test_audio_files_are_kept_and_probed(tmp_path: Path) -> None:
    sink = MemorySink()
    with wave.open(str(tmp_path / "a.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b"\0\0" * 4000)
    stub = Audio(tmp_path / "a.wav").to_stub(sink, "wav")
    assert (stub["sample_rate"], stub["duration"]) == (16000, 0.25)
    assert sink.files[stub["path"]] == (tmp_path / "a.wav").read_bytes()

    encode_audio(tmp_path / "b.flac", "flac", 22050, 0.5)
    stub = Audio(str(tmp_path / "b.flac"), caption="flac").to_stub(sink, "flac")
    assert stub["format"] == "flac" and stub["sample_rate"] == 22050
    assert stub["duration"] == pytest.approx(0.5, abs=0.01)
    assert sink.files[stub["path"]] == (tmp_path / "b.flac").read_bytes()
    assert stub["path"].endswith(".flac") and stub["caption"] == "flac"


@pytest.mark.parametrize(
    ("value", "kwargs", "match"),
    [
        (np.zeros(10), {}, r"needs sample_rate"),
        (np.zeros(10), {"sample_rate": 0}, r"sample_rate must be a positive integer"),
        (np.zeros(10), {"sample_rate": 44.1}, r"sample_rate must be a positive integer"),
        (np.zeros((2, 100)), {"sample_rate": 8}, r"100 channels.*data\.T"),
        (np.zeros((2, 2, 2)), {"sample_rate": 8}, r"1-D \(mono\) or \(n_samples, channels\)"),
        (np.zeros(0), {"sample_rate": 8}, r"1-D \(mono\)"),
        (np.zeros(4, np.int32), {"sample_rate": 8}, r"dtype int32; expected floats in -1\.\.1"),
        (np.array([0.0, np.nan]), {"sample_rate": 8}, r"NaN or ±Inf"),
        ([0.0, 0.1], {"sample_rate": 8}, r"pass a numpy array of samples"),
    ],
)
def test_bad_audio_is_refused(value: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        Audio(value, **kwargs)


def test_bad_audio_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.aiff").write_bytes(b"FORM")
    with pytest.raises(InvalidValueError, match=r"must be one of \.wav, \.mp3, \.ogg, \.flac"):
        Audio(tmp_path / "a.aiff")
    (tmp_path / "bad.wav").write_bytes(b"RIFF nonsense")
    with pytest.raises(InvalidValueError, match="not a readable WAV"):
        Audio(tmp_path / "bad.wav")
    with pytest.raises(InvalidValueError, match="cannot read audio file"):
        Audio(tmp_path / "missing.mp3")


def clip(frames: int = 6, height: int = 10, width: int = 14) -> np.ndarray:
    """T x C x H x W frames of flat, distinct colours (exact even through GIF's palette)."""
    video = np.zeros((frames, 3, height, width), np.uint8)
    for t in range(frames):
        video[t, 0] = 40 * t
        video[t, 1, : height // 2] = 255
        video[t, 2, :, : width // 2] = 128
    return video


def decode(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_videos_round_trip_as_gif_mp4_and_webm(online_client: Client, online: Settings) -> None:
    video = clip()
    store, (row,) = log_and_read(
        online_client,
        online,
        [
            {
                "gif": Video(video, fps=5, caption="ride"),
                "mp4": Video(video, fps=8, format="mp4"),
                "webm": Video(video, format="webm"),
            }
        ],
    )
    gif = row["gif"]
    assert gif["_type"] == "video-file" and gif["format"] == "gif"
    assert (gif["width"], gif["height"], gif["fps"], gif["frames"]) == (14, 10, 5, 6)
    assert gif["caption"] == "ride" and gif["path"].startswith("media/videos/gif_")
    decoded = PILImage.open(io.BytesIO(store.blobs.get(gif["sha256"])))
    frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(decoded)]
    assert len(frames) == 6 and decoded.info["duration"] == 200
    for t, frame in enumerate(frames):
        assert np.array_equal(frame, video[t].transpose(1, 2, 0))

    for fmt, fps in (("mp4", 8), ("webm", 4)):
        stub = row[fmt]
        assert stub["format"] == fmt and stub["path"].endswith(f".{fmt}")
        assert (stub["width"], stub["height"], stub["fps"], stub["frames"]) == (14, 10, fps, 6)
        frames = decode(store.blobs.get(stub["sha256"]))
        assert len(frames) == 6 and frames[0].shape == (10, 14, 3)
        # Lossy codecs blur colour edges; the frames' order shows in the red ramp 0, 40, 80, ...
        red = [float(frame[..., 0].mean()) for frame in frames]
        assert red == pytest.approx([40 * t for t in range(6)], abs=10)


def test_batches_tile_into_a_grid_and_odd_sizes_are_padded_for_h264() -> None:
    sink = MemorySink()
    batch = np.stack([clip(3, 5, 7)] * 3)  # B x T x C x H x W; 3 clips pad to 4 -> 2 x 2
    stub = Video(batch, format="gif").to_stub(sink, "grid")
    assert (stub["width"], stub["height"], stub["frames"]) == (14, 10, 3)
    odd = Video(clip(2, 5, 7), format="mp4").to_stub(sink, "odd")
    assert (odd["width"], odd["height"]) == (8, 6)
    assert decode(sink.files[odd["path"]])[0].shape == (6, 8, 3)


def test_video_files_are_kept_and_probed(tmp_path: Path) -> None:
    sink = MemorySink()
    made = Video(clip(), fps=10, format="mp4").to_stub(sink, "made")
    (tmp_path / "v.mp4").write_bytes(sink.files[made["path"]])
    stub = Video(tmp_path / "v.mp4").to_stub(sink, "kept")
    assert stub["sha256"] == made["sha256"]
    assert (stub["width"], stub["height"], stub["fps"], stub["frames"]) == (14, 10, 10, 6)
    gif = Video(clip(), fps=5).to_stub(sink, "gif")
    (tmp_path / "v.gif").write_bytes(sink.files[gif["path"]])
    kept = Video(str(tmp_path / "v.gif")).to_stub(sink, "kept_gif")
    assert (kept["width"], kept["height"], kept["fps"], kept["frames"]) == (14, 10, 5, 6)


@pytest.mark.parametrize(
    ("value", "kwargs", "match"),
    [
        (np.zeros((4, 8, 8), np.uint8), {}, r"\(time, channels, height, width\)"),
        (np.zeros((4, 2, 8, 8), np.uint8), {}, r"1, 3 or 4 channels; got shape \(4, 2, 8, 8\)"),
        (np.zeros((4, 3, 8, 8)), {"fps": 0}, r"fps must be a number in \(0, 240\]"),
        (np.zeros((4, 3, 8, 8)), {"format": "avi"}, r"'gif', 'mp4' or 'webm', not 'avi'"),
        (np.full((2, 3, 4, 4), np.nan), {}, r"NaN or ±Inf"),
        (np.zeros((2, 3, 4, 4), np.complex64), {}, r"dtype complex64"),
        ("clip.avi", {}, r"must be one of \.gif, \.mp4, \.webm"),
        ([[1]], {}, r"pass a numpy array"),
    ],
)
def test_bad_video_is_refused(value: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        Video(value, **kwargs)


def test_public_names() -> None:
    assert heron.Audio is Audio and heron.Video is Video
