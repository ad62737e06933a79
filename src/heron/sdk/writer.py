"""The record queue and the writer thread that appends records to the run log.

``run.log()`` appends a record to a :class:`RecordQueue` (a deque with a
length check: when it is full the caller waits for the writer, the only
backpressure). The :class:`LogWriter` thread drains it, numbers the records
(seq 1, 2, … per log file), frames them as :func:`heron.records.encode_lines` does,
appends them to the run log and flushes to the OS once per batch. It holds an
exclusive ``flock`` on the log for its whole life, so ``heron sync`` can tell a
live log (lock held) from one whose process died (lock free). ``close()``
writes what is left, fsyncs and releases the lock.

The fsync protects the log against a power loss, which matters only while
the log is the one copy of the run: offline, or when the store could not take
everything before ``finish()`` gave up. When the sender has delivered every
record, the store holds the run with its own durability and the fsync (several
milliseconds per run on some disks) is skipped; see :meth:`LogWriter.decide_fsync`.
"""

from __future__ import annotations

import collections
import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from heron.records import LogHeader, Record, encode_nonfinite

log = logging.getLogger("heron")

_BATCH = 10_000
_IDLE_WAIT = 0.02


class Faithful(dict[str, Any]):
    """A record holding NaN/±Inf: the writer encodes it with ``encode_nonfinite``."""

    __slots__ = ()


_ALWAYS_ENCODE = frozenset({"summary", "config", "metric", "run"})

BYTES_FIELD = "_bytes"
"""A ``file`` record may carry its content here (media from ``log()``): the writer
writes it to the record's ``path`` first, so the caller's thread does no I/O."""


class RecordQueue:
    """A bounded FIFO of records between the caller's thread and the writer."""

    def __init__(self, maxlen: int) -> None:
        self.maxlen = maxlen
        self.items: collections.deque[Record] = collections.deque()
        self.wake = threading.Event()
        self.drained = threading.Event()
        self.closed = False
        self.pid = os.getpid()

    def put(self, record: Record) -> None:
        items = self.items
        if len(items) >= self.maxlen and not self._wait_for_space():
            return  # the writer is gone (disk error, logged): drop rather than grow
        items.append(record)

    def _wait_for_space(self) -> bool:
        while len(self.items) >= self.maxlen:
            if self.closed or os.getpid() != self.pid:  # no writer here (gone, or a forked child)
                return False
            self.drained.clear()
            self.wake.set()
            self.drained.wait(0.1)
        return True


class LogWriter(threading.Thread):
    """Drains a :class:`RecordQueue` into a run log file; see the module docstring."""

    def __init__(
        self,
        path: Path,
        header: LogHeader,
        queue: RecordQueue,
        on_write: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name=f"heron-writer-{header.run_id}", daemon=True)
        self.path = path
        self.queue = queue
        self.on_write = on_write
        self.seq = 0
        """The seq of the last record written."""
        self.error: BaseException | None = None
        self.dropped = 0
        """Records that could not be encoded and were left out (each logged)."""
        self._stop_requested = False
        self.done = threading.Event()
        """Set when the log is closed (fsynced, lock released)."""
        self.written = threading.Event()
        """Set when the last record is written and flushed (before the fsync)."""
        self.fsync_decision_timeout: float | None = None
        """When set, the writer waits this long after the last write for :meth:`decide_fsync`."""
        self._fsync_decided = threading.Event()
        self._fsync_needed = True
        self.fsynced = False
        """Whether the closed log was fsynced."""
        self._file = open(path, "xb")  # noqa: SIM115 - held for the writer's lifetime
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._file.write(header.to_line())
            self._file.flush()
        except BaseException:
            self._file.close()
            raise

    def run(self) -> None:
        queue = self.queue
        try:
            while True:
                queue.wake.wait(_IDLE_WAIT)
                queue.wake.clear()
                stopping = self._stop_requested
                self._drain()
                if stopping and not queue.items:
                    break
            self._file.flush()
            # The sender may read the last records while the fsync runs.
            self.written.set()
            if self.on_write is not None:
                self.on_write()
            if self.fsync_decision_timeout is not None:
                self._fsync_decided.wait(self.fsync_decision_timeout)
            if self._fsync_needed:
                os.fsync(self._file.fileno())
                self.fsynced = True
        except BaseException as exc:  # never let a disk error reach the user's code
            self.error = exc
            log.error("heron: cannot write the run log %s: %s", self.path, exc)
        finally:
            queue.closed = True
            queue.drained.set()
            try:
                self._file.close()  # also releases the flock
            finally:
                self.written.set()
                self.done.set()
                if self.on_write is not None:
                    self.on_write()

    def _drain(self) -> None:
        items = self.queue.items
        popleft = items.popleft
        dumps = orjson.dumps
        crc32 = zlib.crc32
        while items:
            # Only this thread pops, so len(items) records are there to take.
            batch = [popleft() for _ in range(min(len(items), _BATCH))]
            seq = self.seq
            lines: list[bytes] = []
            append = lines.append
            # encode_lines, inlined: this loop runs for every record of the run.
            for record in batch:
                if BYTES_FIELD in record and not self._write_file(record):
                    continue
                record["seq"] = seq + 1
                if type(record) is Faithful or record["type"] in _ALWAYS_ENCODE:
                    record = encode_nonfinite(dict(record))
                try:
                    data = dumps(record)
                except TypeError as exc:  # log() validates; this is the last line of defence
                    self._dropped(record, exc)
                    continue
                seq += 1
                append(b"%08x %s\n" % (crc32(data), data))
            self._file.write(b"".join(lines))
            self._file.flush()
            self.seq = seq
            self.queue.drained.set()
            if self.on_write is not None:
                self.on_write()

    def _write_file(self, record: Record) -> bool:
        """Write a media file carried by its ``file`` record; False (logged) if it cannot be."""
        data = record.pop(BYTES_FIELD)
        path = Path(record["path"])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.write_bytes(data)
            os.replace(partial, path)  # a reader never sees half a file
        except OSError as exc:
            self._dropped(record, exc)
            return False
        return True

    def _dropped(self, record: Record, exc: Exception) -> None:
        """One record that cannot be encoded is left out; the run and its log go on."""
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.error(
                "heron: left a %s record out of the run log (%d so far): %s",
                record.get("type"),
                self.dropped,
                exc,
            )

    def decide_fsync(self, needed: bool) -> None:
        """Say whether the closed log must be fsynced (False: the store holds every record)."""
        self._fsync_needed = needed
        self._fsync_decided.set()

    def close(self, timeout: float | None = None, *, wait_for_fsync: bool = True) -> bool:
        """Write what is queued, fsync, release the lock; True if done within ``timeout``.

        With ``wait_for_fsync=False`` this returns once the last record is
        flushed to the OS, while the fsync goes on (join later with ``done``).
        """
        self._stop_requested = True
        self.queue.wake.set()
        if not wait_for_fsync:
            return self.written.wait(timeout)
        if self.is_alive():
            self.join(timeout)
        return self.done.is_set()


def try_lock(path: Path) -> Any | None:
    """Open ``path`` for appending with its flock taken, or None if a live writer holds it."""
    f = open(path, "ab")  # noqa: SIM115 - returned to the caller
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f
