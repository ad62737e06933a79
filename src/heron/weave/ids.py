"""Time-sortable call ids: UUID version 7 (RFC 9562), 48-bit millisecond time first.

The 12-bit ``rand_a`` field holds a process-wide counter (mod 4096), so ids
made by one process in the same millisecond sort in creation order; the 62
random bits come from :mod:`random` (ids must be unique, not unguessable),
about 10x cheaper than ``os.urandom`` on the traced call's path. No id is
formatted field by field: the text of the time fields is kept for the current
millisecond, the counter's is looked up, and the random field is written by
``int.to_bytes(...).hex("-", 6)``, which puts in its dash.
"""

from __future__ import annotations

import itertools
import os
import random
import time

_counter = itertools.count(random.getrandbits(12))  # next() is atomic under the GIL
_random_bits = random.Random().getrandbits
_VARIANT = 1 << 63
"""The RFC variant (binary 10) above the 62 random bits of the last 8 bytes."""
_COUNTER_TEXT = tuple("%03x-" % i for i in range(4096))  # noqa: UP031
_time_text: tuple[int, str] = (-1, "")
"""(millisecond, the id's text up to the counter): replaced whole, so threads see a pair."""


def _reseed_in_child() -> None:
    """A forked child draws its own bits: copies of the parent's generator would repeat ids."""
    global _counter, _random_bits
    _counter = itertools.count(random.getrandbits(12))  # random reseeds itself after fork
    _random_bits = random.Random().getrandbits


os.register_at_fork(after_in_child=_reseed_in_child)


def uuid7(now_ns: int | None = None) -> str:
    """A new UUIDv7 as the usual 36-character string (``now_ns``: the time to stamp)."""
    global _time_text
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    cached = _time_text
    if cached[0] != ms:
        cached = _time_text = (ms, "%08x-%04x-7" % (ms >> 16, ms & 0xFFFF))  # noqa: UP031
    # 8 bytes, the dash after the first 2: "vxxx-xxxxxxxxxxxx".
    tail = (_random_bits(62) | _VARIANT).to_bytes(8, "big").hex("-", 6)
    return cached[1] + _COUNTER_TEXT[next(_counter) & 0xFFF] + tail
