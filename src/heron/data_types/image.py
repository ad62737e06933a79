"""Images for ``run.log``: arrays, PIL images, torch tensors, figures and files become image files.

>>> run.log({"digit": heron.Image(pixels, caption="a 7")})          # doctest: +SKIP
>>> run.log({"samples": [heron.Image(a), heron.Image(b)]})         # doctest: +SKIP

What is accepted:

- numpy arrays (and torch tensors, read through ``.numpy()``) shaped HW
  (grey), HWC or CHW with 1, 3 or 4 channels; ``uint8`` pixels as they are,
  floats in 0..1 scaled by 255 (floats above 1 and up to 255 are taken as
  0..255 values, as wandb does), other integer or bool arrays whose values
  fit in 0..255. NaN, ±Inf and values out of range are refused.
- PIL images, matplotlib figures (or ``matplotlib.pyplot`` itself: its current
  figure), saved as PNG (or ``file_type="jpeg"``/``"gif"``).
- paths of ``.png``, ``.jpg``/``.jpeg`` and ``.gif`` files: kept byte for byte.

Segmentation masks and bounding boxes take wandb's shapes (see ``docs/media.md``);
a mask becomes an 8-bit PNG whose pixel values are class ids. Everything is
encoded in the constructor, so changing the array after ``log()`` changes
nothing. Images over :data:`MAX_IMAGE_PIXELS` are refused.

The helpers :func:`array_of`, :func:`pixels_uint8` and :func:`require_pil`
are shared with the audio, video and 3D types.
"""

from __future__ import annotations

import io
import math
import os
import sys
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from heron.data_types.base import Media, MediaSink
from heron.errors import InvalidValueError, MissingDependencyError

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

__all__ = ["MAX_IMAGE_PIXELS", "Image"]

MAX_IMAGE_PIXELS = 50_000_000
"""Largest image (width x height) ``Image`` encodes: 50 megapixels, ~150 MB of RGB pixels."""

FILE_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif"}
"""File extension (or ``file_type``) -> the stub's ``format``."""
_EXTENSION = {"png": "png", "jpeg": "jpg", "gif": "gif"}
_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF"}
_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})
_SHAPES = "HW, HWC or CHW with 1, 3 or 4 channels"
_DTYPES = "uint8, floats in 0..1, or integers in 0..255"


def require_pil() -> Any:
    """``PIL.Image``, or a :class:`MissingDependencyError` naming the ``media`` extra."""
    try:
        from PIL import Image as PILImage
    except ImportError:
        raise MissingDependencyError.for_extra("Pillow", "media") from None
    return PILImage


def is_torch(value: object) -> bool:
    return type(value).__module__.startswith("torch")


def array_of(value: Any) -> np.ndarray | None:
    """``value`` as a numpy array when it is one (or a torch tensor); None otherwise."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value
    if is_torch(value) and hasattr(value, "detach"):
        return np.asarray(value.detach().cpu().numpy())
    return None


def pixels_uint8(array: np.ndarray, what: str) -> np.ndarray:
    """Pixel values as a fresh ``uint8`` array; refuse dtypes and values that are not pixels."""
    import numpy as np

    if array.size == 0:
        raise InvalidValueError(f"{what} is empty (shape {array.shape})")
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.uint8) * np.uint8(255)
    if kind == "f":
        if not np.isfinite(array).all():
            raise InvalidValueError(
                f"{what} holds NaN or ±Inf pixel values; expected {_DTYPES}"
                " (replace them, e.g. with numpy.nan_to_num)"
            )
        low, high = float(array.min()), float(array.max())
        if low >= 0 and high <= 1:
            return np.rint(array * 255.0).astype(np.uint8)
        if low >= 0 and high <= 255:
            return np.rint(array).astype(np.uint8)
        raise InvalidValueError(
            f"{what} holds float values from {low:g} to {high:g}; expected {_DTYPES}"
            " (rescale it, e.g. (x - x.min()) / (x.max() - x.min()))"
        )
    if kind in "iu":
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise InvalidValueError(
                f"{what} holds {array.dtype} values from {low} to {high}; expected {_DTYPES}"
            )
        return array.astype(np.uint8)
    raise InvalidValueError(f"{what} has dtype {array.dtype}; expected {_DTYPES}")


def _channels_last(array: np.ndarray) -> np.ndarray:
    """HW, HWC or CHW as HW (one channel) or HWC (3 or 4 channels)."""
    if array.ndim == 3:
        if array.shape[-1] in (1, 3, 4):
            pass
        elif array.shape[0] in (1, 3, 4):
            array = array.transpose(1, 2, 0)
        else:
            raise InvalidValueError(
                f"an image array of shape {array.shape} has no channel axis of 1, 3 or 4;"
                f" expected {_SHAPES}"
            )
        if array.shape[-1] == 1:
            array = array[..., 0]
    elif array.ndim != 2:
        raise InvalidValueError(
            f"an image array must be {_SHAPES}; got {array.ndim} dimensions, shape {array.shape}"
            + (" (log a batch as a list of images)" if array.ndim == 4 else "")
        )
    return array


def _check_pixels(width: int, height: int, what: str) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise InvalidValueError(
            f"{what} is {width} x {height} = {width * height:,} pixels, over the limit of"
            f" {MAX_IMAGE_PIXELS:,}; resize it first (e.g. PIL's Image.thumbnail)"
        )


def _format_of(file_type: str | None) -> str:
    if file_type is None:
        return "png"
    found = FILE_FORMATS.get(str(file_type).lower().lstrip("."))
    if found is None:
        raise InvalidValueError(
            f"file_type {file_type!r} is not supported; use 'png', 'jpeg' or 'gif'"
        )
    return found


def _encode_pil(image: PILImage.Image, fmt: str) -> bytes:
    if fmt == "jpeg" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    elif fmt == "png" and image.mode not in _PNG_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format=_PIL_FORMAT[fmt])
    return out.getvalue()


def _open_image(data: bytes, what: str) -> PILImage.Image:
    pil = require_pil()
    try:
        with warnings.catch_warnings():
            # The pixel limit below is ours; PIL's bomb warning would only repeat it.
            warnings.simplefilter("ignore", pil.DecompressionBombWarning)
            image = pil.open(io.BytesIO(data))
    except pil.DecompressionBombError:
        raise InvalidValueError(
            f"{what} is over the limit of {MAX_IMAGE_PIXELS:,} pixels; resize it first"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidValueError(f"{what} is not a readable image: {exc}") from None
    _check_pixels(image.width, image.height, what)
    return image


def _read_path(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InvalidValueError(f"cannot read {what} {os.fspath(path)!r}: {exc.strerror}") from None


def _matplotlib_figure(value: Any) -> Any:
    """The figure to save when ``value`` is a matplotlib Figure or pyplot; None otherwise."""
    if "matplotlib" not in sys.modules:
        return None
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and value is pyplot:
        return pyplot.gcf()
    figure = sys.modules.get("matplotlib.figure")
    if figure is not None and isinstance(value, figure.Figure):
        return value
    return None


def _class_labels(labels: Any, what: str) -> dict[str, str]:
    """``{id: label}`` with integer ids, as a JSON dict with string keys."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise InvalidValueError(f"{what} must be a dict of {{class id (int): label (str)}}")
    out = {}
    for class_id, label in labels.items():
        try:
            number = int(class_id)
        except (TypeError, ValueError):
            number = None
        if number is None or (isinstance(class_id, float) and class_id != number):
            raise InvalidValueError(f"{what}: class id {class_id!r} is not an integer")
        out[str(number)] = str(label)
    return out


def _classes(classes: Any) -> dict[str, str]:
    """``classes`` as ``{id: label}``: a dict, or wandb's list of ``{"id", "name"}``."""
    if isinstance(classes, Mapping):
        return _class_labels(classes, "classes")
    if isinstance(classes, (list, tuple)) and all(
        isinstance(c, Mapping) and "id" in c and "name" in c for c in classes
    ):
        return _class_labels({c["id"]: c["name"] for c in classes}, "classes")
    raise InvalidValueError(
        'classes must be a dict {id: label} or a list of {"id": int, "name": str} dicts'
    )


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        item = getattr(value, "item", None)
        value = item() if callable(item) else value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidValueError(f"{what} must be a finite number, not {value!r}")
    return float(value)


def _box(box: Any, what: str) -> dict[str, Any]:
    if not isinstance(box, Mapping) or not isinstance(box.get("position"), Mapping):
        raise InvalidValueError(f'{what} must be a dict with a "position" dict and a "class_id"')
    position = box["position"]
    if all(k in position for k in ("minX", "maxX", "minY", "maxY")):
        x0, x1, y0, y1 = (
            _number(position[k], f"{what} position {k}") for k in ("minX", "maxX", "minY", "maxY")
        )
    elif all(k in position for k in ("middle", "width", "height")):
        middle = position["middle"]
        if not isinstance(middle, (list, tuple)) or len(middle) != 2:
            raise InvalidValueError(f"{what} position middle must be [x, y]")
        mx, my = (_number(v, f"{what} position middle") for v in middle)
        half_w = _number(position["width"], f"{what} position width") / 2
        half_h = _number(position["height"], f"{what} position height") / 2
        x0, x1, y0, y1 = mx - half_w, mx + half_w, my - half_h, my + half_h
    else:
        raise InvalidValueError(
            f"{what} position needs minX, maxX, minY, maxY (or middle, width, height);"
            f" got {sorted(position)}"
        )
    if x0 > x1 or y0 > y1:
        raise InvalidValueError(f"{what} position has minX > maxX or minY > maxY")
    domain = box.get("domain")
    if domain not in (None, "pixel"):
        raise InvalidValueError(
            f'{what} domain must be "pixel" or absent (fractions 0..1), not {domain!r}'
        )
    class_id = box.get("class_id")
    if isinstance(class_id, bool) or not isinstance(class_id, int):
        raise InvalidValueError(f"{what} needs an integer class_id, not {class_id!r}")
    out: dict[str, Any] = {
        "position": {"minX": x0, "maxX": x1, "minY": y0, "maxY": y1},
        "domain": domain,
        "class_id": class_id,
    }
    if box.get("box_caption") is not None:
        out["box_caption"] = str(box["box_caption"])
    scores = box.get("scores")
    if scores is not None:
        if not isinstance(scores, Mapping):
            raise InvalidValueError(f"{what} scores must be a dict {{name: number}}")
        out["scores"] = {str(k): _number(v, f"{what} score {k!r}") for k, v in scores.items()}
    return out


def _boxes(boxes: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(boxes, Mapping):
        raise InvalidValueError(
            'boxes must be a dict {name: {"box_data": [...], "class_labels": {...}}}'
        )
    out = {}
    for name, group in boxes.items():
        if not isinstance(group, Mapping) or not isinstance(group.get("box_data"), (list, tuple)):
            raise InvalidValueError(f'boxes[{name!r}] needs a "box_data" list of boxes')
        data = [_box(b, f"boxes[{name!r}] box {i}") for i, b in enumerate(group["box_data"])]
        labels = _class_labels(group.get("class_labels"), f"boxes[{name!r}] class_labels")
        out[str(name)] = {"box_data": data, "class_labels": labels}
    return out


def _mask_png(name: str, spec: Any, size: tuple[int, int]) -> bytes:
    """One mask as an 8-bit greyscale PNG of class ids, the image's size."""
    import numpy as np

    pil = require_pil()
    what = f"masks[{name!r}]"
    if not isinstance(spec, Mapping) or not ("mask_data" in spec or "path" in spec):
        raise InvalidValueError(
            f'{what} must be a dict with "mask_data" (a 2-D array of class ids) or "path"'
            ' (an 8-bit PNG), and optionally "class_labels"'
        )
    if "mask_data" in spec:
        array = array_of(spec["mask_data"])
        if array is None:
            array = np.asarray(spec["mask_data"])
        array = np.asarray(array)
    else:
        image = _open_image(_read_path(spec["path"], f"{what} path"), f"{what} path")
        if image.mode not in ("1", "L", "P", "I", "I;16"):
            raise InvalidValueError(
                f"{what} path is a {image.mode} image; a mask PNG must be single-channel"
                " (8-bit greyscale or palette) with pixel value = class id"
            )
        array = np.asarray(image)
    if array.ndim != 2:
        raise InvalidValueError(f"{what} mask_data must be 2-D (height, width), got {array.shape}")
    if array.dtype.kind not in "biu":
        raise InvalidValueError(
            f"{what} mask_data has dtype {array.dtype}; expected integer class ids 0..255"
        )
    if array.size and (int(array.min()) < 0 or int(array.max()) > 255):
        raise InvalidValueError(f"{what} mask_data holds class ids outside 0..255")
    width, height = size
    if array.shape != (height, width):
        raise InvalidValueError(
            f"{what} is {array.shape[1]} x {array.shape[0]}; it must be the image's size,"
            f" {width} x {height}"
        )
    return _encode_pil(pil.fromarray(array.astype(np.uint8)), "png")


class Image(Media):
    """An image logged with ``run.log``; see the module docstring for what it accepts.

    >>> heron.Image(np.zeros((28, 28)), caption="blank",                 # doctest: +SKIP
    ...             masks={"pred": {"mask_data": m, "class_labels": {1: "cat"}}},
    ...             boxes={"gt": {"box_data": [{"position": {"minX": 1, "maxX": 9,
    ...                    "minY": 2, "maxY": 8}, "domain": "pixel", "class_id": 1}]}})
    """

    _type: ClassVar[str] = "image-file"

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        *,
        masks: Mapping[str, Any] | None = None,
        boxes: Mapping[str, Any] | None = None,
        classes: Any = None,
        file_type: str | None = None,
    ) -> None:
        self.caption = None if caption is None else str(caption)
        self._data, self.format, self.width, self.height = self._encode(
            data_or_path, mode, file_type
        )
        self._masks: dict[str, bytes] = {}
        self._mask_labels: dict[str, dict[str, str]] = {}
        for name, spec in (masks or {}).items():
            self._masks[str(name)] = _mask_png(str(name), spec, (self.width, self.height))
            self._mask_labels[str(name)] = _class_labels(
                spec.get("class_labels"), f"masks[{name!r}] class_labels"
            )
        self._boxes = _boxes(boxes) if boxes is not None else None
        self._classes = _classes(classes) if classes is not None else None

    @staticmethod
    def _encode(data: Any, mode: str | None, file_type: str | None) -> tuple[bytes, str, int, int]:
        """The file's bytes, format, width and height."""
        if isinstance(data, (str, os.PathLike)):
            return _from_file(data)
        pil = require_pil()
        fmt = _format_of(file_type)
        figure = _matplotlib_figure(data)
        if figure is not None:
            out = io.BytesIO()
            figure.savefig(out, format="png")
            image = _open_image(out.getvalue(), "the matplotlib figure")
        elif isinstance(data, pil.Image):
            _check_pixels(data.width, data.height, "the PIL image")
            image = data
        else:
            array = array_of(data)
            if array is None:
                raise InvalidValueError(
                    f"cannot make an Image of a {type(data).__module__}.{type(data).__qualname__};"
                    " pass a numpy array, a torch tensor, a PIL image, a matplotlib figure or"
                    " the path of a .png, .jpg or .gif file"
                )
            array = _channels_last(array)
            _check_pixels(array.shape[1], array.shape[0], "the image")
            image = pil.fromarray(pixels_uint8(array, "the image array"))
        if mode is not None and image.mode != mode:
            try:
                image = image.convert(mode)
            except ValueError as exc:
                raise InvalidValueError(
                    f"cannot convert the image to mode {mode!r}: {exc}"
                ) from None
        return _encode_pil(image, fmt), fmt, image.width, image.height

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        stub: dict[str, Any] = {
            **sink.store_media(key, "images", _EXTENSION[self.format], self._data),
            "format": self.format,
            "width": self.width,
            "height": self.height,
        }
        if self.caption is not None:
            stub["caption"] = self.caption
        if self._masks:
            stub["masks"] = {
                name: {
                    "_type": "mask",
                    **sink.store_media(f"{key}_{name}", "masks", "png", data),
                    "class_labels": self._mask_labels[name],
                }
                for name, data in self._masks.items()
            }
        if self._boxes is not None:
            stub["boxes"] = self._boxes
        if self._classes is not None:
            stub["classes"] = self._classes
        return stub


def _from_file(path: str | os.PathLike[str]) -> tuple[bytes, str, int, int]:
    name = os.fspath(path)
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if extension not in FILE_FORMATS:
        raise InvalidValueError(
            f"cannot log image file {name!r}: Image files must be .png, .jpg/.jpeg or .gif;"
            " open other formats with PIL and pass the image"
        )
    data = _read_path(name, "image file")
    image = _open_image(data, f"image file {name!r}")
    found = (image.format or "").lower()
    if found not in _EXTENSION:
        raise InvalidValueError(
            f"image file {name!r} holds {image.format or 'unknown'} data, not png, jpeg or gif"
        )
    return data, found, image.width, image.height
