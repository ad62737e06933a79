"""Time-sortable call ids: UUID version 7 (RFC 9562), 48-bit millisecond time first.

The 12-bit ``rand_a`` field holds a process-wide counter (mod 4096), so ids
made by one process in the same millisecond sort in creation order; the 62
random bits come from :mod:`random` (ids must be unique, not unguessable),
about 10x cheaper than ``os.urandom`` on the traced call's path. The text of
the time fields is kept for the current millisecond, so most ids cost one
short format.
"""

from __future__ import annotations

import itertools
import random
import time

_counter = itertools.count(random.getrandbits(12))  # next() is atomic under the GIL
_random_bits = random.Random().getrandbits
_MASK48 = (1 << 48) - 1
_time_text: tuple[int, str] = (-1, "")
"""(millisecond, the id's text up to the counter): replaced whole, so threads see a pair."""


def uuid7(now_ns: int | None = None) -> str:
    """A new UUIDv7 as the usual 36-character string (``now_ns``: the time to stamp)."""
    global _time_text
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    cached = _time_text
    if cached[0] != ms:
        cached = _time_text = (ms, "%08x-%04x-7" % (ms >> 16, ms & 0xFFFF))  # noqa: UP031
    rand = _random_bits(62)
    return "%s%03x-%04x-%012x" % (  # noqa: UP031 - faster than str.format here
        cached[1],
        next(_counter) & 0xFFF,
        0x8000 | (rand >> 48),
        rand & _MASK48,
    )
