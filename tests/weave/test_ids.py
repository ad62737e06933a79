"""UUIDv7 call ids: valid RFC 9562 ids, stamped with the time, sorted in creation order."""

from __future__ import annotations

import itertools
import threading
import time
import uuid

from heron.weave.ids import uuid7


def test_ids_are_version_7_with_the_rfc_variant_and_the_given_millisecond() -> None:
    now_ns = 1_750_000_000_123_456_789
    parsed = uuid.UUID(uuid7(now_ns))
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == now_ns // 1_000_000


def test_ids_of_one_process_sort_in_creation_order_across_milliseconds() -> None:
    ids = []
    deadline = time.monotonic() + 0.01
    while time.monotonic() < deadline or len(ids) < 3000:
        ids.append(uuid7())
    assert len(set(ids)) == len(ids)
    # The 12-bit counter wraps every 4096 ids: order holds within each run of 4096.
    for start in range(0, len(ids) - 4096, 4096):
        window = ids[start : start + 4096]
        wraps = sum(1 for a, b in itertools.pairwise(window) if a > b)
        assert wraps <= 1
    stamps = [uuid.UUID(i).int >> 80 for i in ids]
    assert stamps == sorted(stamps)


def test_ids_made_by_threads_at_the_same_time_are_unique() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(into: list[str]) -> None:
        into.extend(uuid7() for _ in range(20_000))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for into in made for i in into]
    assert len(set(everything)) == len(everything) == 80_000
    for into in made:
        assert all(uuid.UUID(i).version == 7 for i in into[:100])


def test_forked_children_make_ids_of_their_own() -> None:
    import os

    now_ns = 1_750_000_000_123_456_789  # one millisecond for all: only the bits tell them apart
    read, write = os.pipe()
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # the child: send its ids and leave at once
            os.write(write, ("".join(uuid7(now_ns) for _ in range(50)) + "\n").encode())
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    os.close(write)
    with os.fdopen(read) as lines:
        batches = [line.strip() for line in lines]
    ids = [batch[i : i + 36] for batch in batches for i in range(0, len(batch), 36)]
    ids += [uuid7(now_ns) for _ in range(50)]
    assert len(ids) == 150
    assert len(set(ids)) == 150
