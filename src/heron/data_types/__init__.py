"""Rich data types for ``run.log``: each serializes itself into blobs plus a JSON stub.

See :mod:`heron.data_types.base` for how a value becomes files and a stub, and
``docs/media.md`` for every type's stub. The types load on first use (PEP 562),
so ``import heron`` imports neither numpy nor Pillow.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from heron.data_types.base import Media, MediaSink, MemorySink, media_path

if TYPE_CHECKING:
    from heron.data_types.audio import Audio as Audio
    from heron.data_types.histogram import Histogram as Histogram
    from heron.data_types.html import Html as Html
    from heron.data_types.image import Image as Image
    from heron.data_types.object3d import Object3D as Object3D
    from heron.data_types.plot import Plot as Plot
    from heron.data_types.table import Table as Table
    from heron.data_types.video import Video as Video

__all__ = [
    "Audio",
    "Histogram",
    "Html",
    "Image",
    "Media",
    "MediaSink",
    "MemorySink",
    "Object3D",
    "Plot",
    "Table",
    "Video",
    "media_path",
]

_LAZY = {
    "Audio": "audio",
    "Histogram": "histogram",
    "Html": "html",
    "Image": "image",
    "Object3D": "object3d",
    "Plot": "plot",
    "Table": "table",
    "Video": "video",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'heron.data_types' has no attribute {name!r}")
    return getattr(import_module(f"heron.data_types.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
