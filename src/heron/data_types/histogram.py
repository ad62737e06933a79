"""Histograms for ``run.log``: counts per bin, kept inline in the row (no file).

>>> run.log({"grads": heron.Histogram(gradients)})                     # doctest: +SKIP
>>> run.log({"w": heron.Histogram(np_histogram=np.histogram(w, 20))})  # doctest: +SKIP

The stub is ``{"_type": "histogram", "bins": [num_bins + 1 edges], "values":
[num_bins counts]}``, as wandb's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

from heron.data_types.base import Media, MediaSink
from heron.data_types.image import array_of
from heron.errors import InvalidValueError

__all__ = ["MAX_BINS", "Histogram"]

MAX_BINS = 512
"""Most bins one histogram may have (as wandb)."""


class Histogram(Media):
    """A histogram of ``sequence`` in ``num_bins`` equal bins, or of a ready ``np_histogram``.

    ``np_histogram`` is what ``numpy.histogram`` returns: ``(counts, edges)``
    with one more edge than counts. Values must be finite.
    """

    _type: ClassVar[str] = "histogram"

    def __init__(
        self,
        sequence: Any = None,
        np_histogram: tuple[Sequence[Any], Sequence[Any]] | None = None,
        num_bins: int = 64,
    ) -> None:
        import numpy as np

        if isinstance(num_bins, bool) or not isinstance(num_bins, int):
            raise InvalidValueError(f"num_bins must be an integer 1..{MAX_BINS}, not {num_bins!r}")
        if (sequence is None) == (np_histogram is None):
            raise InvalidValueError(
                "Histogram needs exactly one of sequence (values to count) or np_histogram"
                " (the (counts, bin_edges) pair numpy.histogram returns)"
            )
        if sequence is not None:
            if not 1 <= num_bins <= MAX_BINS:
                raise InvalidValueError(f"num_bins must be 1..{MAX_BINS}, not {num_bins}")
            values = array_of(sequence)
            try:
                values = np.asarray(sequence if values is None else values, dtype=np.float64)
            except (TypeError, ValueError):
                raise InvalidValueError(
                    "Histogram's sequence must be numbers (a list, numpy array or tensor)"
                ) from None
            if not np.isfinite(values).all():
                raise InvalidValueError(
                    "Histogram's sequence holds NaN or ±Inf; drop them first,"
                    " e.g. x[numpy.isfinite(x)]"
                )
            counts, edges = np.histogram(values.ravel(), bins=num_bins)
        else:
            assert np_histogram is not None
            if not isinstance(np_histogram, (tuple, list)) or len(np_histogram) != 2:
                raise InvalidValueError(
                    "np_histogram must be a (counts, bin_edges) pair, as numpy.histogram returns"
                )
            counts, edges = (np.asarray(part, dtype=np.float64) for part in np_histogram)
        self.values = _numbers(counts, "counts")
        self.bins = _numbers(edges, "bin edges")
        if len(self.bins) != len(self.values) + 1:
            raise InvalidValueError(
                f"a histogram needs one more bin edge than counts; got {len(self.values)}"
                f" counts and {len(self.bins)} edges"
            )
        if not 1 <= len(self.values) <= MAX_BINS:
            raise InvalidValueError(
                f"a histogram has 1..{MAX_BINS} bins; this one has {len(self.values)}"
            )
        if any(later < earlier for earlier, later in itertools.pairwise(self.bins)):
            raise InvalidValueError("a histogram's bin edges must increase")

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        return {"bins": list(self.bins), "values": list(self.values)}


def _numbers(array: Any, what: str) -> list[float | int]:
    """Finite numbers as a list; integral counts as ints."""
    items = [float(x) for x in array.ravel()]
    if not all(math.isfinite(x) for x in items):
        raise InvalidValueError(f"a histogram's {what} must be finite numbers")
    if what == "counts" and all(x.is_integer() for x in items):
        return [int(x) for x in items]
    return items
