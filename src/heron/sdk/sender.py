"""Shipping a run log to a Store: the live sender thread and the code it shares with sync.

:class:`Shipper` reads a log with :class:`heron.records.LogReader` from where
it left off, uploads the blobs of ``file`` and ``artifact`` records, and applies records in
batches to :meth:`heron.store.base.Store.apply`; progress goes to
``<log>.synced`` (``{"seq": last applied, "complete": bool}``). The live
:class:`Sender` thread runs a Shipper against the log the writer is filling,
sends an empty batch every ``heartbeat_interval`` as the heartbeat, and
retries with backoff when the store fails; ``heron sync`` runs the same
Shipper over a finished or dead log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from heron.entities import RunKey
from heron.records import SYNCED_SUFFIX, LogReader, Record

if TYPE_CHECKING:
    from heron.store.base import Store

log = logging.getLogger("heron")

BATCH_RECORDS = 5_000
_READ_BYTES = 1 << 20
_PROGRESS_EVERY = 0.5
LINGER = 0.1
"""Seconds the sender lets records gather after a wake-up: fewer, larger store transactions."""


def progress_path(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + SYNCED_SUFFIX)


def read_progress(log_path: Path) -> dict[str, Any]:
    """The ``.synced`` file of a log: ``{"seq": int, "complete": bool}`` (zeros when absent)."""
    try:
        data = orjson.loads(progress_path(log_path).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {"seq": 0, "complete": False}
    if not isinstance(data, dict):
        return {"seq": 0, "complete": False}
    return {"seq": int(data.get("seq") or 0), "complete": bool(data.get("complete"))}


def write_progress(log_path: Path, seq: int, complete: bool) -> None:
    path = progress_path(log_path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps({"seq": seq, "complete": complete}))
    os.replace(tmp, path)


class Shipper:
    """Moves records from one run log to one store, at most once each."""

    def __init__(self, log_path: Path, store: Store, start_after: int = 0) -> None:
        self.path = log_path
        self.store = store
        self.reader = LogReader(log_path)
        header = self.reader.header
        self.key = RunKey(header.entity, header.project, header.run_id)
        self.stream = header.stream
        self.watermark = start_after
        self.applied = 0
        """Records applied by this shipper (the store may have skipped some as duplicates)."""
        self.exit_state: str | None = None
        """The state of the log's ``exit`` record, once read (None: no exit record yet)."""
        self.sent_any = False
        self.refused: list[Record] = []
        """Records the store refused for good (left out, logged; still in the log)."""
        self._held: list[Record] = []
        self.on_applied: Callable[[], None] | None = None
        """Called after each batch the store took (the live sender wakes waiters with it)."""
        # Progress is saved every _PROGRESS_EVERY seconds and at the end: a short
        # run writes its .synced file once, not also after its first batch.
        self._progress_at = time.monotonic()

    def pump(self, final: bool = False, deadline: float | None = None) -> int:
        """Apply every complete record now in the log; return how many were applied.

        Records stay held in memory until the store accepts them, so a failed
        call (which raises) is simply retried by calling ``pump`` again.
        """
        total = 0
        while True:
            if not self._held:
                offset = self.reader.offset
                records = self.reader.read(_READ_BYTES, final=final)
                if not records:
                    if self.reader.offset == offset:
                        break
                    continue  # a stretch of damaged lines: keep reading after it
                for record in records:
                    if record["type"] == "exit":
                        self.exit_state = record.get("state")
                watermark = self.watermark
                # Seqs increase along the log: filter only when some may be applied already.
                if records[0]["seq"] > watermark:
                    self._held = records
                else:
                    self._held = [r for r in records if r["seq"] > watermark]
            while self._held:
                if deadline is not None and time.monotonic() > deadline:
                    return total
                batch = self._held[:BATCH_RECORDS]
                self._apply(batch)
                del self._held[: len(batch)]
                total += len(batch)
        return total

    def _apply(self, batch: list[Record]) -> None:
        ready = []
        for record in batch:
            if record["type"] == "file":
                uploaded = self._upload(record)
                if uploaded is not None:
                    ready.append(uploaded)
            elif record["type"] == "artifact":
                staged = self._upload_artifact(record)
                if staged is not None:
                    ready.append(staged)
            else:
                ready.append(record)
        refused_before = len(self.refused)
        self.watermark = max(self._apply_or_isolate(ready), batch[-1]["seq"])
        self.applied += len(ready) - (len(self.refused) - refused_before)
        self.sent_any = True
        if self.on_applied is not None:
            self.on_applied()
        now = time.monotonic()
        if now - self._progress_at > _PROGRESS_EVERY:
            self._progress_at = now
            self.save_progress(complete=False)

    def _apply_or_isolate(self, records: list[Record]) -> int:
        """Apply records; if the store refuses the batch, apply all but the refused ones.

        A refusal (a UsageError: the store will never take that record) must
        not hold back every later record of the run, as a retry loop would.
        The batch is split in halves until the refused records stand alone;
        those are left out, each logged and kept in :attr:`refused` (they stay
        in the run log). Failures that may pass (the store is down) propagate,
        so the caller retries the whole batch.
        """
        from heron.errors import UsageError

        try:
            return self.store.apply(self.key, self.stream, records)
        except UsageError as exc:
            if len(records) == 1:
                self.refused.append(records[0])
                log.error(
                    "heron: the store refused record %s (%s) of %s: %s; it stays in %s",
                    records[0].get("seq"),
                    records[0].get("type"),
                    self.key.path,
                    exc,
                    self.path,
                )
                return self.watermark
            middle = len(records) // 2
            first = self._apply_or_isolate(records[:middle])
            return max(first, self._apply_or_isolate(records[middle:]))

    def _upload(self, record: Record) -> Record | None:
        path = record.get("path")
        out = {k: v for k, v in record.items() if k != "path"}
        if path:
            try:
                out["sha256"], out["size"] = self.store.blobs.put_file(path)
                return out
            except FileNotFoundError:
                pass
        if out.get("sha256") and self.store.blobs.exists(out["sha256"]):
            return out
        log.warning("heron: run file %r is gone (%s); not uploading it", out.get("name"), path)
        return None

    def _upload_artifact(self, record: Record) -> Record | None:
        """Upload the blobs an ``artifact`` record staged; the record without ``staged``."""
        from heron.store.blobs import put_staged

        missing = put_staged(self.store.blobs, record.get("staged") or {})
        if missing:
            log.warning(
                "heron: artifact %r cannot be sent: staged files of %d blob(s) are gone or"
                " changed (%s); it stays in %s",
                record.get("name"),
                len(missing),
                ", ".join(missing[:3]),
                self.path,
            )
            return None
        return {k: v for k, v in record.items() if k != "staged"}

    def heartbeat(self) -> None:
        self.store.apply(self.key, self.stream, [])

    def save_progress(self, complete: bool) -> None:
        try:
            write_progress(self.path, self.watermark, complete)
        except OSError as exc:
            log.warning("heron: cannot record sync progress of %s: %s", self.path, exc)


class CallSink:
    """A store as a call log's :class:`Shipper` needs it: ``apply`` goes to ``apply_calls``.

    A call log belongs to a project (its header's run id is
    :data:`~heron.records.CALL_LOG_RUN_ID`), so its batches go to the project's calls.
    """

    def __init__(self, store: Store, staged: Any = None) -> None:
        self.store = store
        self.blobs = store.blobs
        self.staged = staged
        """The :class:`heron.weave.blobs.BlobStager` whose blobs go up before each batch."""

    def apply(self, run: RunKey, stream: str, records: Sequence[Record]) -> int:
        if self.staged is not None and records:
            self.staged.upload(self.blobs)  # the blobs these calls name, before the calls
        return self.store.apply_calls(run.entity, run.project, stream, records)

    def watermark(self, run: RunKey, stream: str) -> int:
        return self.store.calls_watermark(run.entity, run.project, stream)


class Sender(threading.Thread):
    """Tails the live run log into the store until the writer is done; see the module doc."""

    def __init__(
        self,
        log_path: Path,
        open_store: Callable[[], Store],
        *,
        heartbeat_interval: float,
        writer_done: threading.Event,
        run_id: str,
    ) -> None:
        super().__init__(name=f"heron-sender-{run_id}", daemon=True)
        self.log_path = log_path
        self.open_store = open_store
        self.heartbeat_interval = heartbeat_interval
        self.writer_done = writer_done
        self.wake = threading.Event()
        self.stop_requested = threading.Event()
        self.done = threading.Event()
        """Set when every record of the finished log reached the store."""
        self.shipper: Shipper | None = None
        self.last_error: BaseException | None = None
        self.unexpected_error: BaseException | None = None
        self.failures = 0
        self._waiters = 0
        self._applied = threading.Condition()
        self._applied_count = 0

    @contextlib.contextmanager
    def hurry(self) -> Iterator[None]:
        """While held, the sender ships at once (no LINGER): someone waits for a record."""
        with self._applied:
            self._waiters += 1
        self.wake.set()
        try:
            yield
        finally:
            with self._applied:
                self._waiters -= 1

    @property
    def applied_count(self) -> int:
        """Batches applied or attempts failed so far: the token :meth:`wait_applied` takes."""
        return self._applied_count

    def wait_applied(self, seen: int, timeout: float) -> None:
        """Block until a batch is applied or fails after token ``seen``, or ``timeout`` passes."""
        with self._applied:
            self._applied.wait_for(lambda: self._applied_count != seen, timeout)

    def _notify_applied(self) -> None:
        with self._applied:
            self._applied_count += 1
            self._applied.notify_all()

    def _linger(self) -> None:
        """Let records gather (a short run then needs one apply at finish), unless hurried."""
        end = time.monotonic() + LINGER
        while True:
            # The writer sets ``wake`` after each write and once done; hurry() sets it too.
            self.wake.clear()
            if self._waiters or self.writer_done.is_set() or self.stop_requested.is_set():
                return
            left = end - time.monotonic()
            if left <= 0:
                return
            self.wake.wait(left)

    def run(self) -> None:
        try:
            self._run()
        finally:
            self._notify_applied()  # a waiter sees that the sender stopped

    def _run(self) -> None:
        backoff = 0.2
        last_contact = time.monotonic()
        while not self.stop_requested.is_set():
            if self.wake.wait(self.heartbeat_interval):
                self._linger()
            self.wake.clear()
            if self.stop_requested.is_set():
                break
            try:
                finished = self.writer_done.is_set()
                shipper = self.shipper
                if shipper is None:
                    shipper = self.shipper = Shipper(self.log_path, self.open_store())
                    shipper.on_applied = self._notify_applied
                if shipper.pump(final=finished):
                    last_contact = time.monotonic()
                elif shipper.sent_any and time.monotonic() - last_contact >= (
                    self.heartbeat_interval
                ):
                    shipper.heartbeat()
                    last_contact = time.monotonic()
                if finished:
                    # The writer closed the log; one more read catches its last batch.
                    shipper.pump(final=True)
                    shipper.save_progress(complete=shipper.exit_state is not None)
                    self.done.set()
                    return
                backoff = 0.2
            except Exception as exc:  # the store failed: keep everything in the log, retry
                self.failures += 1
                self.last_error = exc
                if not _expected(exc):
                    self.unexpected_error = exc
                self._notify_applied()  # a waiter checks whether its record was refused
                if self.failures in (1, 10) or self.failures % 100 == 0:
                    log.warning("heron: cannot reach the store (%s); will retry", exc)
                if self.stop_requested.wait(backoff):
                    break
                backoff = min(backoff * 2, 30.0)
                self.wake.set()
        if self.shipper is not None:
            self.shipper.save_progress(complete=False)

    def stop(self) -> None:
        self.stop_requested.set()
        self.wake.set()


def _expected(exc: BaseException) -> bool:
    from heron.errors import HeronError

    return isinstance(exc, (HeronError, OSError, TimeoutError))
