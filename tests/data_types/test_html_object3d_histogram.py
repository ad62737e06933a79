"""heron.Html, heron.Object3D and heron.Histogram through a real run, and what they refuse."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

import heron
from heron.data_types import Histogram, Html, MemorySink, Object3D
from heron.data_types.histogram import MAX_BINS
from heron.data_types.html import INJECTED_STYLE
from heron.data_types.object3d import MAX_POINTS
from heron.errors import InvalidValueError
from heron.sdk.client import Client
from heron.settings import Settings
from tests.data_types.conftest import log_and_read

ROOT = Path(__file__).resolve().parents[2]


def test_html_object3d_and_histograms_round_trip(
    online_client: Client, online: Settings, tmp_path: Path
) -> None:
    cloud = np.random.default_rng(0).normal(size=(50, 3))
    labelled = np.hstack([cloud, np.arange(50)[:, None] % 3])
    coloured = np.hstack([cloud, np.tile([255, 0, 128], (50, 1))])
    (tmp_path / "cube.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    values = np.random.default_rng(1).normal(size=1000)
    store, (row,) = log_and_read(
        online_client,
        online,
        [
            {
                "page": Html("<h1>Epoch 3</h1>"),
                "raw": Html("<html><body>raw</body></html>", inject=False),
                "cloud": Object3D(cloud),
                "labelled": Object3D.from_numpy(labelled),
                "coloured": Object3D(coloured),
                "mesh": Object3D(tmp_path / "cube.obj"),
                "hist": Histogram(values, num_bins=20),
            }
        ],
    )
    page = row["page"]
    assert page["_type"] == "html-file" and page["path"].startswith("media/html/page_")
    assert store.blobs.get(page["sha256"]).decode() == INJECTED_STYLE + "<h1>Epoch 3</h1>"
    assert store.blobs.get(row["raw"]["sha256"]) == b"<html><body>raw</body></html>"

    stub = row["cloud"]
    assert stub["_type"] == "object3D-file" and stub["format"] == "pts.json"
    assert stub["points"] == 50 and stub["path"].endswith(".pts.json")
    assert orjson.loads(store.blobs.get(stub["sha256"])) == cloud.tolist()
    points = orjson.loads(store.blobs.get(row["labelled"]["sha256"]))
    assert points[4] == [*cloud[4].tolist(), 1] and isinstance(points[4][3], int)
    points = orjson.loads(store.blobs.get(row["coloured"]["sha256"]))
    assert points[0] == [*cloud[0].tolist(), 255, 0, 128]
    mesh = row["mesh"]
    assert mesh["format"] == "obj" and "points" not in mesh
    assert store.blobs.get(mesh["sha256"]) == (tmp_path / "cube.obj").read_bytes()

    counts, edges = np.histogram(values, bins=20)
    assert row["hist"] == {"_type": "histogram", "bins": edges.tolist(), "values": counts.tolist()}


def test_html_injection_goes_in_the_head_and_files_are_read(tmp_path: Path) -> None:
    with_head = Html("<html><HEAD><title>t</title></HEAD><body>x</body></html>").html
    assert with_head == f"<html><HEAD>{INJECTED_STYLE}<title>t</title></HEAD><body>x</body></html>"
    no_head = Html('<html lang="en"><body>x</body></html>').html
    assert no_head == f'<html lang="en"><head>{INJECTED_STYLE}</head><body>x</body></html>'
    (tmp_path / "report.html").write_text("<p>from a file</p>")
    sink = MemorySink()
    from_path = Html(str(tmp_path / "report.html"), inject=False).to_stub(sink, "r")
    assert sink.files[from_path["path"]] == b"<p>from a file</p>"
    assert Html(tmp_path / "report.html", inject=False).html == "<p>from a file</p>"
    assert Html(io.StringIO("<p>text io</p>"), inject=False).html == "<p>text io</p>"
    assert Html(io.BytesIO("<p>é</p>".encode()), inject=False).html == "<p>é</p>"
    with pytest.raises(InvalidValueError, match="cannot read HTML file"):
        Html("missing.html")
    with pytest.raises(InvalidValueError, match="pass HTML text"):
        Html(42)


def test_mesh_files_keep_their_format(tmp_path: Path) -> None:
    sink = MemorySink()
    for name in ("scene.gltf", "scene.GLB"):
        (tmp_path / name).write_bytes(b"glTF data " + name.encode())
        stub = Object3D.from_file(tmp_path / name).to_stub(sink, "scene")
        assert stub["format"] == name.rsplit(".", 1)[1].lower()
        assert sink.files[stub["path"]] == (tmp_path / name).read_bytes()


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.zeros((5, 5)), r"\(N, 3\) x,y,z, \(N, 4\) x,y,z,category or \(N, 6\)"),
        (np.zeros(3), r"got shape \(3,\)"),
        (np.array([[0.0, np.nan, 0.0]]), r"NaN or ±Inf"),
        (np.array([[0, 0, 0, 0.5]]), r"category\) or columns 4-6 \(r, g, b\) must be integers"),
        (np.array([[0, 0, 0, 300, 0, 0]]), r"r, g, b columns must be 0\.\.255"),
        (np.array([["a", "b", "c"]]), r"must be numbers"),
        (np.broadcast_to(np.float32(0), (MAX_POINTS + 1, 3)), r"over the limit of 2,000,000"),
        ("model.stl", r"must be one of \.obj, \.gltf, \.glb"),
        ({"points": []}, r"pass a numpy array of points"),
    ],
)
def test_bad_objects_are_refused(value: Any, match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        Object3D(value)


def test_from_numpy_wants_an_array() -> None:
    with pytest.raises(InvalidValueError, match="from_numpy needs a numpy array"):
        Object3D.from_numpy([[0, 0, 0]])


def test_histogram_of_an_np_histogram_and_of_lists() -> None:
    sink = MemorySink()
    given = Histogram(np_histogram=(np.array([1, 2]), np.array([0.0, 0.5, 1.0])))
    assert given.to_stub(sink, "h") == {"bins": [0.0, 0.5, 1.0], "values": [1, 2]}
    weighted = np.histogram([0.1, 0.2], bins=2, weights=[0.5, 0.25])
    assert Histogram(np_histogram=weighted).values == [0.5, 0.25]
    from_list = Histogram([1, 2, 2, 3], num_bins=2)
    assert from_list.values == [1, 3] and from_list.bins == [1.0, 2.0, 3.0]
    assert Histogram([], num_bins=MAX_BINS).values == [0] * MAX_BINS
    assert sink.files == {}  # inline: no file


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"exactly one of sequence .* or np_histogram"),
        ({"sequence": [1], "np_histogram": ([1], [0, 1])}, r"exactly one of"),
        ({"sequence": [1], "num_bins": 0}, r"num_bins must be 1\.\.512"),
        ({"sequence": [1], "num_bins": 513}, r"num_bins must be 1\.\.512"),
        ({"sequence": [1], "num_bins": 2.5}, r"num_bins must be an integer"),
        ({"sequence": [1.0, float("nan")]}, r"NaN or ±Inf; drop them first"),
        ({"sequence": ["a", "b"]}, r"sequence must be numbers"),
        ({"np_histogram": ([1, 2], [0, 1])}, r"one more bin edge than counts; got 2 counts"),
        ({"np_histogram": ([1, 2], [0, 2, 1])}, r"bin edges must increase"),
        ({"np_histogram": [1, 2, 3]}, r"\(counts, bin_edges\) pair"),
        ({"np_histogram": ([0] * 600, list(range(601)))}, r"1\.\.512 bins; this one has 600"),
    ],
)
def test_bad_histograms_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        Histogram(**kwargs)


def test_public_names_and_documented_limits() -> None:
    assert (heron.Html, heron.Object3D, heron.Histogram) == (Html, Object3D, Histogram)
    limits = (ROOT / "docs" / "limits.md").read_text()
    assert f"{MAX_POINTS:,} points" in limits and f"1..{MAX_BINS}" in limits
