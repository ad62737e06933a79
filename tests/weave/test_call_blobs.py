"""Large strings, bytes, images, audio and files in calls: stubs in the row, bytes as blobs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

import heron
from heron import weave
from heron.weave.client import WeaveClient
from heron.weave.serialize import MAX_STRING


@weave.op
def echo(value: object) -> object:
    return value


def test_large_and_media_values_become_blob_stubs(client: WeaveClient, tmp_path: Path) -> None:
    huge = "x" * (MAX_STRING + 10) + "tail"
    picture = PILImage.new("RGB", (4, 3), (255, 0, 0))
    raw = bytes(range(256)) * 4
    doc = tmp_path / "notes.pdf"
    doc.write_bytes(b"%PDF-1.4 fake")
    clip = heron.Audio(np.zeros(800, dtype=np.float32), sample_rate=8000)
    echo(huge)
    echo(picture)
    echo({"blob": raw, "doc": doc, "clip": clip, "img": heron.Image(np.zeros((2, 2, 3)))})
    calls = list(client.get_calls())
    text_stub = calls[0].output
    assert text_stub["_type"] == "blob" and text_stub["size"] == len(huge)
    assert text_stub["preview"] == huge[:1000] and text_stub["ext"] == "txt"
    assert calls[0].inputs["value"] == text_stub
    blobs = client.store().blobs
    assert blobs.get(text_stub["sha256"]).decode() == huge
    image = calls[1].output
    assert (image["_type"], image["ext"], image["width"], image["height"]) == ("image", "png", 4, 3)
    with blobs.open(image["sha256"]) as f, PILImage.open(f) as back:
        assert back.size == (4, 3) and back.getpixel((0, 0)) == (255, 0, 0)
    out = calls[2].output
    assert out["blob"]["_type"] == "file"
    assert out["blob"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert blobs.get(out["blob"]["sha256"]) == raw
    assert out["doc"] == {
        "_type": "file",
        "sha256": hashlib.sha256(b"%PDF-1.4 fake").hexdigest(),
        "size": 13,
        "ext": "bin",
        "name": "notes.pdf",
    }
    assert out["clip"]["_type"] == "audio" and out["clip"]["ext"] == "wav"
    assert blobs.get(out["clip"]["sha256"])[:4] == b"RIFF"
    assert out["img"]["_type"] == "image" and out["img"]["ext"] == "png"
    assert client.staged is not None and not any(client.staged.folder.iterdir())


def test_without_a_client_long_strings_are_cut() -> None:
    from heron.weave.serialize import to_json

    cut = to_json({"s": "y" * (MAX_STRING + 5)})["s"]
    assert isinstance(cut, str) and "truncated" in cut
