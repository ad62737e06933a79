"""heron.Image: arrays, PIL images, tensors, files and figures round-trip through a real run."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

import heron
from heron.data_types import Image, MemorySink
from heron.data_types.image import MAX_IMAGE_PIXELS
from heron.errors import InvalidValueError
from heron.sdk.client import Client
from heron.settings import Settings
from tests.data_types.conftest import log_and_read

ROOT = Path(__file__).resolve().parents[2]


def pixels(store: Any, stub: dict[str, Any]) -> np.ndarray:
    data = store.blobs.get(stub["sha256"])
    assert hashlib.sha256(data).hexdigest() == stub["sha256"] and len(data) == stub["size"]
    return np.asarray(PILImage.open(io.BytesIO(data)))


def test_arrays_round_trip_pixel_for_pixel(online_client: Client, online: Settings) -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    grey = rng.random((16, 8))
    chw = rng.integers(0, 256, (4, 10, 12), dtype=np.uint8)  # RGBA, channels first
    logged = Image(rgb, caption="rgb")
    rgb[:] = 0  # changing the array after logging changes nothing
    store, rows = log_and_read(
        online_client,
        online,
        [
            {"rgb": logged, "grey": Image(grey), "chw": Image(chw)},
            {"gallery": [Image(chw[:3]), Image(chw[:1]), Image(grey, caption="last")]},
        ],
    )
    first, second = rows
    stub = first["rgb"]
    assert stub["_type"] == "image-file" and stub["format"] == "png"
    assert (stub["width"], stub["height"], stub["caption"]) == (30, 20, "rgb")
    assert stub["path"].startswith("media/images/rgb_") and stub["path"].endswith(".png")
    expected = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    assert np.array_equal(pixels(store, stub), expected)
    assert np.array_equal(pixels(store, first["grey"]), np.rint(grey * 255).astype(np.uint8))
    assert np.array_equal(pixels(store, first["chw"]), chw.transpose(1, 2, 0))
    assert "caption" not in first["grey"]

    gallery = second["gallery"]
    assert [s["_type"] for s in gallery] == ["image-file"] * 3
    assert np.array_equal(pixels(store, gallery[0]), chw[:3].transpose(1, 2, 0))
    assert np.array_equal(pixels(store, gallery[1]), chw[0])
    assert gallery[2]["caption"] == "last" and gallery[2]["sha256"] == first["grey"]["sha256"]


def test_masks_and_boxes_survive(online_client: Client, online: Settings) -> None:
    mask = np.zeros((6, 8), dtype=np.int64)
    mask[2:4, 1:5] = 7
    boxes = {
        "truth": {
            "box_data": [
                {
                    "position": {"minX": 1, "maxX": 5, "minY": 2, "maxY": 4},
                    "domain": "pixel",
                    "class_id": 7,
                    "box_caption": "cat",
                },
                {
                    "position": {"middle": [0.5, 0.5], "width": 0.5, "height": 0.25},
                    "class_id": 1,
                    "scores": {"iou": np.float32(0.75)},
                },
            ],
            "class_labels": {7: "cat", 1: "dog"},
        }
    }
    image = Image(
        np.zeros((6, 8, 3), np.uint8),
        masks={"pred": {"mask_data": mask, "class_labels": {7: "cat"}}},
        boxes=boxes,
        classes=[{"id": 7, "name": "cat"}, {"id": 1, "name": "dog"}],
    )
    mask[:] = 0
    store, (row,) = log_and_read(online_client, online, [{"seg": image}])
    stub = row["seg"]
    pred = stub["masks"]["pred"]
    assert pred["_type"] == "mask" and pred["class_labels"] == {"7": "cat"}
    assert pred["path"].startswith("media/masks/")
    decoded = PILImage.open(io.BytesIO(store.blobs.get(pred["sha256"])))
    assert decoded.mode == "L"
    expected = np.zeros((6, 8), np.uint8)
    expected[2:4, 1:5] = 7
    assert np.array_equal(np.asarray(decoded), expected)

    truth = stub["boxes"]["truth"]
    assert truth["class_labels"] == {"7": "cat", "1": "dog"}
    pixel_box, fraction_box = truth["box_data"]
    assert pixel_box == {
        "position": {"minX": 1.0, "maxX": 5.0, "minY": 2.0, "maxY": 4.0},
        "domain": "pixel",
        "class_id": 7,
        "box_caption": "cat",
    }
    assert fraction_box["domain"] is None and fraction_box["scores"] == {"iou": 0.75}
    assert fraction_box["position"] == {"minX": 0.25, "maxX": 0.75, "minY": 0.375, "maxY": 0.625}
    assert stub["classes"] == {"7": "cat", "1": "dog"}


def test_a_mask_png_file_is_read_as_class_ids(tmp_path: Path) -> None:
    ids = np.arange(12, dtype=np.uint8).reshape(3, 4)
    PILImage.fromarray(ids, mode="L").save(tmp_path / "mask.png")
    sink = MemorySink()
    stub = Image(np.zeros((3, 4)), masks={"m": {"path": tmp_path / "mask.png"}}).to_stub(sink, "x")
    mask = stub["masks"]["m"]
    assert mask["class_labels"] == {}
    assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(sink.files[mask["path"]]))), ids)


def test_files_are_kept_byte_for_byte(tmp_path: Path) -> None:
    picture = PILImage.fromarray(np.random.default_rng(1).integers(0, 256, (9, 7, 3), np.uint8))
    sink = MemorySink()
    for name, fmt in [("a.png", "png"), ("b.JPG", "jpeg"), ("c.jpeg", "jpeg"), ("d.gif", "gif")]:
        path = tmp_path / name
        picture.save(path)
        stub = Image(str(path)).to_stub(sink, "file")
        assert stub["format"] == fmt and (stub["width"], stub["height"]) == (7, 9)
        assert sink.files[stub["path"]] == path.read_bytes()
        assert stub["path"].endswith({"png": ".png", "jpeg": ".jpg", "gif": ".gif"}[fmt])


def test_pil_images_modes_and_file_types() -> None:
    sink = MemorySink()
    picture = PILImage.new("RGBA", (5, 4), (10, 20, 30, 40))
    stub = Image(picture).to_stub(sink, "p")
    assert np.asarray(PILImage.open(io.BytesIO(sink.files[stub["path"]])))[0, 0].tolist() == [
        10,
        20,
        30,
        40,
    ]
    grey = Image(picture, mode="L").to_stub(sink, "g")
    assert PILImage.open(io.BytesIO(sink.files[grey["path"]])).mode == "L"
    jpeg = Image(picture, file_type="jpg").to_stub(sink, "j")
    assert jpeg["format"] == "jpeg" and jpeg["path"].endswith(".jpg")
    assert PILImage.open(io.BytesIO(sink.files[jpeg["path"]])).format == "JPEG"
    cmyk = Image(PILImage.new("CMYK", (2, 2))).to_stub(sink, "c")
    assert PILImage.open(io.BytesIO(sink.files[cmyk["path"]])).mode == "RGB"


class FakeTensor:
    """What Image needs of a torch tensor (torch itself is not a dependency)."""

    __module__ = "torch"

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def detach(self) -> FakeTensor:
        return self

    def cpu(self) -> FakeTensor:
        return self

    def numpy(self) -> np.ndarray:
        return self.array


def test_torch_tensors_are_read_channels_first() -> None:
    chw = np.random.default_rng(2).random((3, 5, 6)).astype(np.float32)
    sink = MemorySink()
    stub = Image(FakeTensor(chw)).to_stub(sink, "t")
    decoded = np.asarray(PILImage.open(io.BytesIO(sink.files[stub["path"]])))
    assert np.array_equal(decoded, np.rint(chw.transpose(1, 2, 0) * 255).astype(np.uint8))


def test_matplotlib_figures_become_pngs() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(2, 1), dpi=50)
    axes.plot([0, 1], [1, 0])
    sink = MemorySink()
    stub = Image(figure).to_stub(sink, "fig")
    assert (stub["width"], stub["height"], stub["format"]) == (100, 50, "png")
    assert Image(plt).to_stub(sink, "plt")["sha256"] == stub["sha256"]
    plt.close(figure)


def test_float_pixels_above_one_are_0_to_255_values_as_in_wandb() -> None:
    sink = MemorySink()
    stub = Image(np.full((2, 2), 200.0)).to_stub(sink, "f")
    assert np.asarray(PILImage.open(io.BytesIO(sink.files[stub["path"]])))[0, 0] == 200


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.zeros((2, 3, 4, 5)), r"HW, HWC or CHW.*4 dimensions.*list of images"),
        (np.zeros((5, 5, 5)), r"no channel axis of 1, 3 or 4"),
        (np.zeros(5), r"HW, HWC or CHW"),
        (np.zeros((4, 4), dtype=np.complex64), r"dtype complex64; expected uint8"),
        (np.array([[0.5, np.nan]]), r"NaN or ±Inf"),
        (np.array([[-0.5, 1.0]]), r"float values from -0.5 to 1; expected uint8"),
        (np.array([[0, 300]]), r"values from 0 to 300"),
        (np.zeros((0, 4)), r"empty"),
        ({"not": "an image"}, r"pass a numpy array, a torch tensor, a PIL image"),
        (np.broadcast_to(np.uint8(0), (8000, 7000)), r"56,000,000 pixels, over the limit"),
    ],
)
def test_bad_arrays_are_refused(value: Any, match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        Image(value)


def test_bad_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.bmp").write_bytes(b"BM")
    with pytest.raises(InvalidValueError, match=r"must be \.png, \.jpg/\.jpeg or \.gif"):
        Image(str(tmp_path / "a.bmp"))
    with pytest.raises(InvalidValueError, match="cannot read image file"):
        Image(tmp_path / "missing.png")
    (tmp_path / "fake.png").write_bytes(b"not a png at all")
    with pytest.raises(InvalidValueError, match="is not a readable image"):
        Image(tmp_path / "fake.png")
    PILImage.new("RGB", (2, 2)).save(tmp_path / "really.png")
    (tmp_path / "really.gif").write_bytes((tmp_path / "really.png").read_bytes())
    assert Image(tmp_path / "really.gif").format == "png"  # what the bytes are, not the name


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"masks": {"m": np.zeros((2, 2))}}, r'"mask_data" \(a 2-D array'),
        ({"masks": {"m": {"mask_data": np.zeros((3, 2), int)}}}, r"it must be the image's size"),
        ({"masks": {"m": {"mask_data": np.zeros((2, 2))}}}, r"dtype float64; expected integer"),
        ({"masks": {"m": {"mask_data": np.full((2, 2), 256)}}}, r"outside 0\.\.255"),
        (
            {"masks": {"m": {"mask_data": np.zeros((2, 2), int), "class_labels": {"a": "x"}}}},
            r"class id 'a' is not an integer",
        ),
        ({"boxes": {"b": {"box_data": [{"position": {"minX": 0}}]}}}, r"needs minX, maxX"),
        (
            {
                "boxes": {
                    "b": {"box_data": [{"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}}]}
                }
            },
            r"needs an integer class_id",
        ),
        (
            {
                "boxes": {
                    "b": {
                        "box_data": [
                            {
                                "position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1},
                                "class_id": 1,
                                "domain": "percent",
                            }
                        ]
                    }
                }
            },
            r'domain must be "pixel" or absent',
        ),
        (
            {
                "boxes": {
                    "b": {
                        "box_data": [
                            {
                                "position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": float("nan")},
                                "class_id": 1,
                            }
                        ]
                    }
                }
            },
            r"must be a finite number",
        ),
        ({"boxes": [1, 2]}, r"boxes must be a dict"),
        ({"classes": "cat"}, r"classes must be a dict"),
        ({"file_type": "tiff"}, r"file_type 'tiff' is not supported"),
        ({"mode": "NOPE"}, r"cannot convert the image to mode 'NOPE'"),
    ],
)
def test_bad_annotations_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        Image(np.zeros((2, 2), np.uint8), **kwargs)


def test_public_names_and_documented_limit() -> None:
    assert heron.Image is Image
    assert f"{MAX_IMAGE_PIXELS:,} pixels" in (ROOT / "docs" / "limits.md").read_text()
    assert re.search(r"heron\.Image\(", (ROOT / "docs" / "media.md").read_text())
