"""``heron sync``: send run logs to the store after the fact, exactly once.

:func:`sync_paths` takes run folders or ``.heronlog`` files (or, with None,
every log under ``settings.runs_dir`` not fully synced yet), and for each:

1. asks the store for its watermark and replays only the records after it
   (through the same :class:`~heron.sdk.sender.Shipper` the live sender uses);
2. reports byte ranges that held no intact record (a torn or corrupted tail);
3. when the log has no ``exit`` record and its flock can be taken (the writing
   process is dead), records the files left in ``files/`` and an ``exit``
   record with state ``crashed``, appended to the log and applied, so a run
   killed with ``kill -9`` ends as crashed;
4. marks the log synced (``<log>.synced``) once its exit has been applied.

>>> for result in sync_paths(None, Settings.from_env()):  # doctest: +SKIP
...     print(result.describe())
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from heron.errors import NotFoundError, RunLogError, UsageError
from heron.records import CALL_LOG_RUN_ID, LOG_SUFFIX, Damage, Record, encode_lines, read_header
from heron.sdk.sender import CallSink, Shipper, read_progress
from heron.sdk.writer import try_lock

if TYPE_CHECKING:
    from heron.settings import Settings
    from heron.store.base import BlobStore, Store


@dataclasses.dataclass
class SyncResult:
    """What syncing one run log did."""

    path: Path
    """The run log."""
    run_path: str
    """``entity/project/run_id``."""
    applied: int = 0
    """Records sent to the store this time (0 when it already had them all)."""
    damage: list[Damage] = dataclasses.field(default_factory=list)
    """Byte ranges of the log that held no intact record."""
    state: str | None = None
    """The run's state as this log tells it: finished, failed, crashed, or running (live log)."""
    error: str | None = None
    """Why the log could not be synced, if it could not."""
    refused: int = 0
    """Records the store refused for good (each was logged; they stay in the log)."""

    def describe(self) -> str:
        if self.error:
            return f"{self.path}: not synced: {self.error}"
        text = f"{self.run_path}: {self.applied} record(s) sent, run {self.state or 'unknown'}"
        if self.damage:
            ranges = "; ".join(d.describe() for d in self.damage)
            text += f"; damaged log ranges skipped: {ranges}"
        if self.refused:
            text += f"; {self.refused} record(s) refused by the store (see the log above)"
        return text


def find_logs(paths: list[Path] | None, settings: Settings) -> list[Path]:
    """The run logs named by ``paths`` (folders or files), or every unsynced one."""
    if paths is None:
        root = settings.runs_dir
        found = sorted(root.glob(f"*/*{LOG_SUFFIX}")) if root.is_dir() else []
        calls = settings.dir / "weave"  # weave call logs, one per traced process
        found += sorted(calls.glob(f"*{LOG_SUFFIX}")) if calls.is_dir() else []
        return [p for p in found if not read_progress(p)["complete"]]
    logs: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            inside = sorted(path.glob(f"*{LOG_SUFFIX}")) or sorted(path.glob(f"*/*{LOG_SUFFIX}"))
            if not inside:
                raise UsageError(f"{path} holds no run log (*{LOG_SUFFIX}); pass a run folder")
            logs.extend(inside)
        elif path.is_file():
            logs.append(path)
        else:
            raise UsageError(f"{path} does not exist; pass a run folder or a {LOG_SUFFIX} file")
    return logs


def sync_paths(
    paths: list[Path] | None, settings: Settings, store: Store | None = None
) -> list[SyncResult]:
    """Sync run logs to the store the settings point at; see the module docstring."""
    logs = find_logs(paths, settings)
    if not logs:
        return []
    own_store = store is None
    if store is None:
        from heron.store import open_store

        store = open_store(settings)
    try:
        return [sync_log(path, store) for path in logs]
    finally:
        if own_store:
            store.close()


def sync_log(path: Path, store: Store) -> SyncResult:
    """Sync one run log or call log (see the module docstring); errors are reported, not raised."""
    try:
        header = read_header(path)
        is_calls = header.run_id == CALL_LOG_RUN_ID
        # Blobs an offline call log's calls name wait in "<stream>.blobs" beside it.
        staged = _StagedFolder(path.with_name(f"{header.stream}.blobs")) if is_calls else None
        target = cast("Store", CallSink(store, staged)) if is_calls else store
        shipper = Shipper(path, target)
    except RunLogError as exc:
        return SyncResult(path, "?", error=str(exc))
    result = SyncResult(path, shipper.key.path)
    try:
        shipper.watermark = target.watermark(shipper.key, shipper.stream)
    except NotFoundError:
        shipper.watermark = 0
    if is_calls:
        return _sync_calls(path, shipper, result)
    lock = try_lock(path)
    try:
        if lock is None:  # a live writer: send what it has written so far
            shipper.pump(final=False)
            result.state = "running"
        else:
            shipper.pump(final=True)
            if shipper.exit_state is None:
                _append_crash(lock, path, shipper)
                shipper.pump(final=True)
            result.state = shipper.exit_state
            shipper.save_progress(complete=True)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if lock is not None:
            lock.close()
    result.applied = shipper.applied
    result.refused = len(shipper.refused)
    result.damage = list(shipper.reader.damage)
    return result


def _sync_calls(path: Path, shipper: Shipper, result: SyncResult) -> SyncResult:
    """A call log has no exit record: send what it holds; it is complete once its writer is gone."""
    lock = try_lock(path)
    try:
        shipper.pump(final=lock is not None)
        result.state = "running" if lock is None else "calls"
        if lock is not None:
            shipper.save_progress(complete=True)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if lock is not None:
            lock.close()
    result.applied = shipper.applied
    result.refused = len(shipper.refused)
    result.damage = list(shipper.reader.damage)
    return result


def _append_crash(lock: Any, path: Path, shipper: Shipper) -> None:
    """Append ``file`` records for ``files/`` and an ``exit`` (crashed) record to a dead log."""
    seq = max(shipper.reader.last_seq, shipper.watermark)
    records: list[Record] = []
    files_dir = path.parent / "files"
    if files_dir.is_dir():
        for file in sorted(files_dir.rglob("*")):
            if file.is_file():
                seq += 1
                name = file.relative_to(files_dir).as_posix()
                records.append({"seq": seq, "type": "file", "name": name, "path": str(file)})
    ended_at = os.path.getmtime(path) if path.exists() else time.time()
    seq += 1
    records.append(
        {"seq": seq, "type": "exit", "state": "crashed", "exit_code": None, "ended_at": ended_at}
    )
    size = os.path.getsize(path)
    data = encode_lines(records)
    if size:
        with open(path, "rb") as f:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                data = b"\n" + data  # end the torn last line; it stays reported as damage
    lock.write(data)
    lock.flush()
    os.fsync(lock.fileno())


class _StagedFolder:
    """A call log's folder of staged blobs, as :class:`CallSink` uploads it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def upload(self, blobs: BlobStore) -> int:
        from heron.store.blobs import put_folder

        return put_folder(blobs, self.folder)
