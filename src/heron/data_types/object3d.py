"""3-D objects for ``run.log``: point clouds become ``pts.json``; mesh files are kept.

>>> run.log({"cloud": heron.Object3D(points)})        # doctest: +SKIP
>>> run.log({"mesh": heron.Object3D("bunny.glb")})    # doctest: +SKIP

A point cloud is a numpy array (or tensor) of N points, one of:

- ``(N, 3)``: ``x, y, z``
- ``(N, 4)``: ``x, y, z, category`` (an integer class, coloured by the viewer)
- ``(N, 6)``: ``x, y, z, r, g, b`` with colours 0..255

stored as a JSON array of those rows. ``.obj``, ``.gltf`` and ``.glb`` files are
kept byte for byte. Clouds over :data:`MAX_POINTS` points are refused.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from heron.data_types.base import Media, MediaSink, read_media_file
from heron.data_types.image import array_of
from heron.errors import InvalidValueError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MAX_POINTS", "Object3D"]

MAX_POINTS = 2_000_000
"""Most points in one cloud: about 100 MB of JSON, as much as a browser tab draws smoothly."""
FILE_FORMATS = ("obj", "gltf", "glb")


class Object3D(Media):
    """A point cloud or a mesh file logged with ``run.log``; see the module docstring."""

    _type: ClassVar[str] = "object3D-file"

    def __init__(self, data_or_path: Any) -> None:
        self.points: int | None = None
        if isinstance(data_or_path, (str, os.PathLike)):
            self._from_file(os.fspath(data_or_path))
            return
        array = array_of(data_or_path)
        if array is None:
            raise InvalidValueError(
                f"cannot make an Object3D of a {type(data_or_path).__qualname__}; pass a numpy"
                " array of points (N, 3), (N, 4) or (N, 6), or the path of a .obj, .gltf or"
                " .glb file"
            )
        self._data = _points_json(array)
        self.format, self.points = "pts.json", int(array.shape[0])

    @classmethod
    def from_numpy(cls, points: Any) -> Object3D:
        """A point cloud from an ``(N, 3)``, ``(N, 4)`` or ``(N, 6)`` array (as wandb)."""
        if array_of(points) is None:
            raise InvalidValueError(
                "Object3D.from_numpy needs a numpy array of shape (N, 3), (N, 4) or (N, 6)"
            )
        return cls(points)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Object3D:
        """A mesh from a ``.obj``, ``.gltf`` or ``.glb`` file (as wandb)."""
        return cls(os.fspath(path))

    def _from_file(self, path: str) -> None:
        self._data, self.format = read_media_file(
            path, "3-D", FILE_FORMATS, " (point clouds: pass a numpy array)"
        )

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        stub = {**sink.store_media(key, "object3D", self.format, self._data), "format": self.format}
        if self.points is not None:
            stub["points"] = self.points
        return stub


def _points_json(array: np.ndarray) -> bytes:
    import numpy as np

    if array.ndim != 2 or array.shape[1] not in (3, 4, 6):
        raise InvalidValueError(
            "a point cloud must be an array of shape (N, 3) x,y,z, (N, 4) x,y,z,category or"
            f" (N, 6) x,y,z,r,g,b; got shape {array.shape}"
        )
    if array.shape[0] > MAX_POINTS:
        raise InvalidValueError(
            f"a point cloud of {array.shape[0]:,} points is over the limit of {MAX_POINTS:,};"
            " subsample it first"
        )
    if array.dtype.kind not in "biuf":
        raise InvalidValueError(f"point cloud values must be numbers, not {array.dtype}")
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise InvalidValueError("a point cloud holds NaN or ±Inf coordinates; drop those points")
    xyz = values[:, :3]
    if array.shape[1] == 3:
        return orjson.dumps(np.ascontiguousarray(xyz), option=orjson.OPT_SERIALIZE_NUMPY)
    extra = values[:, 3:]
    if not (extra == np.rint(extra)).all():
        raise InvalidValueError(
            "a point cloud's 4th column (category) or columns 4-6 (r, g, b) must be integers"
        )
    if array.shape[1] == 6 and (extra.min() < 0 or extra.max() > 255):
        raise InvalidValueError("a point cloud's r, g, b columns must be 0..255")
    rows = [
        [*point, *map(int, more)] for point, more in zip(xyz.tolist(), extra.tolist(), strict=True)
    ]
    return orjson.dumps(rows)
