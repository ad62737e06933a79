"""Records: the one shape in which run data travels from ``log()`` to the store.

The SDK turns every change to a run into a record, appends it to the run log,
and the sender ships batches of records to ``Store.apply``: embedded, or in
the body of ``POST /api/v1/runs/{entity}/{project}/{run_id}/records``.
``heron sync`` replays the same records from the log file.

A record is a JSON object with an integer ``seq`` (1, 2, … per log file, the
*stream*), a ``type`` and a payload:

==========  ==========================================================
type        payload
==========  ==========================================================
``run``     run attributes to upsert: ``name, tags, notes, group, job_type,
            host, user, created_at, metadata`` (any subset)
``config``  ``config``: the whole config dict after a change
``history`` ``row``: one committed ``log()`` row (``_step``, ``_runtime``,
            ``_timestamp`` and flattened ``a/b`` keys)
``system``  ``row``: one system-metrics sample (``_runtime``, ``_timestamp``,
            ``system/...`` keys); its ``_step`` counts samples, not user steps
``summary`` ``summary``: the whole summary dict after a change
``metric``  ``metric``: one ``define_metric`` definition (``name``, ...)
``file``    ``name, sha256, size``: a run file whose bytes are already in the
            blob store (the log also keeps ``path``, the local copy)
``output``  ``start``: the number of the first line (from 0), ``lines``: completed
            console lines (``\\r`` redraws collapsed, no newline, cut at 64 KiB)
``exit``    ``state`` (finished|failed), ``exit_code``, ``ended_at``
``artifact`` a version logged by the run: ``name``, ``artifact_type``,
            ``manifest`` (entries: ``path, digest, size, ref``),
            ``description``, ``metadata``, ``aliases``; the log also keeps
            ``staged`` (``{sha256: local path}``, blobs the sender uploads
            first). Applying it again changes nothing (same digest, same version)
==========  ==========================================================

Weave calls travel the same way in *call logs* (one per tracing process,
under ``<dir>/weave/``), shipped to ``Store.apply_calls`` (``POST
/api/v1/projects/{entity}/{project}/calls/records``). A call that ends
within 0.2 s is one ``call`` record; a longer one is a ``call_start`` (so live
views show it running) and later a ``call_end``, which the store merges.

==============  ======================================================
type            payload
==============  ======================================================
``call_start``  ``id`` (UUIDv7), ``trace_id``, ``parent_id`` (None for a
                root), ``op_name``, ``display_name``, ``inputs`` (serialized
                safely, see :mod:`heron.weave.serialize`), ``attributes``,
                ``started_at``
``call_end``    ``id``, ``output``, ``exception`` (None on success, else
                ``"Type: message"`` plus the traceback), ``summary``
                (``usage``, ``status_counts``, ``latency_ms``), ``ended_at``;
                optionally ``display_name``
``call``        a whole call: the fields of both records above
==============  ======================================================

``parent_id``, ``display_name``, ``attributes``, ``thread_id``/``turn_id``
and ``exception`` are left out when None or empty (the store reads a missing
one as None, or ``{}`` for attributes): smaller records for every thread they pass.

JSON has no NaN or infinities, and wandb stores them faithfully, so floats
that are not finite travel as ``{"$f": "nan" | "inf" | "-inf"}``; see
:func:`encode_nonfinite` and :func:`decode_value`.

The run log file (``*.heronlog``) is a header line then one record a line::

    HERONLOG1 {"stream": "…", "entity": "…", "project": "…", "run_id": "…", "pid": 123, …}
    1c291ca3 {"seq":1,"type":"run",…}

Each record line starts with the CRC-32 (8 hex digits) of its JSON, so a torn
or corrupted line is detected and skipped while every intact line is kept.
"""

from __future__ import annotations

import dataclasses
import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from heron.errors import RunLogError

Record = dict[str, Any]

RECORD_TYPES = (
    "run",
    "config",
    "history",
    "system",
    "summary",
    "metric",
    "file",
    "output",
    "exit",
    "artifact",
)
CALL_RECORD_TYPES = ("call_start", "call_end", "call")
"""The record types of a call log (weave tracing); see the second table above."""
CALL_LOG_RUN_ID = "weave"
"""The ``run_id`` a call log's header carries: it belongs to a project, not to a run."""
LOG_MAGIC = b"HERONLOG1 "
LOG_SUFFIX = ".heronlog"
SYNCED_SUFFIX = ".synced"

# ------------------------------------------------------------------ value codec

_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _tag(value: float) -> dict[str, str]:
    if value != value:
        return {"$f": "nan"}
    return {"$f": "inf" if value > 0 else "-inf"}


def encode_nonfinite(value: Any) -> Any:
    """Replace non-finite floats anywhere in ``value`` by their ``{"$f": …}`` tags."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _tag(value)
    if isinstance(value, dict):
        return {k: encode_nonfinite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_nonfinite(v) for v in value]
    return value


def decode_value(value: Any) -> Any:
    """Undo :func:`encode_nonfinite` (anywhere inside dicts and lists)."""
    if isinstance(value, dict):
        if len(value) == 1 and "$f" in value and value["$f"] in _NONFINITE:
            return _NONFINITE[value["$f"]]
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def dumps_faithful(value: Any) -> bytes:
    """JSON bytes of ``value`` keeping NaN/±Inf as tags (plain orjson writes them as null)."""
    return orjson.dumps(encode_nonfinite(value))


# ------------------------------------------------------------------ the run log


@dataclasses.dataclass(frozen=True)
class LogHeader:
    stream: str
    entity: str
    project: str
    run_id: str
    pid: int
    host: str
    created_at: float

    def to_line(self) -> bytes:
        return LOG_MAGIC + orjson.dumps(self) + b"\n"  # orjson writes dataclasses as dicts


@dataclasses.dataclass(frozen=True)
class Damage:
    """A byte range of a run log that held no intact record."""

    start: int
    end: int
    after_seq: int
    """The seq of the last intact record before the range (0 at the start)."""

    def describe(self) -> str:
        return f"bytes {self.start}-{self.end} (after record {self.after_seq})"


def encode_lines(records: list[Record]) -> bytes:
    """Frame records as CRC-prefixed JSON lines, ready to append to a log."""
    out = []
    for record in records:
        data = orjson.dumps(record)
        out.append(b"%08x %s\n" % (zlib.crc32(data), data))
    return b"".join(out)


def read_header(path: Path) -> LogHeader:
    return _parse_header(path, _first_line(path))


def _first_line(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.readline()
    except OSError as exc:
        raise RunLogError(f"cannot read run log {path}: {exc}") from exc


def _parse_header(path: Path, first: bytes) -> LogHeader:
    if not first.startswith(LOG_MAGIC) or not first.endswith(b"\n"):
        raise RunLogError(f"{path} is not a heron run log (its first line is not a header)")
    try:
        fields = orjson.loads(first[len(LOG_MAGIC) :])
        return LogHeader(**fields)
    except (orjson.JSONDecodeError, TypeError) as exc:
        raise RunLogError(f"{path} has a damaged header: {exc}") from exc


class LogReader:
    """Reads records from a run log, from a byte offset, skipping damaged lines.

    ``read()`` returns only complete lines; call it again later to follow a log
    that is still being written (the sender tails the live log this way).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        first = _first_line(self.path)
        self.header = _parse_header(self.path, first)
        self.offset = len(first)
        self.last_seq = 0
        self.damage: list[Damage] = []

    def read(self, max_bytes: int = 8 << 20, final: bool = False) -> list[Record]:
        """The next intact records (up to about ``max_bytes`` of log).

        With ``final=True`` a trailing line without a newline is reported as
        damage (the writer died mid-line) instead of being left for later.
        """
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read(max_bytes)
            # Keep reading until the chunk holds a whole line (one longer than max_bytes) or EOF.
            more = chunk
            while more and b"\n" not in more:
                more = f.read(1 << 20)
                chunk += more
            at_eof = not f.read(1)
        end = chunk.rfind(b"\n") + 1
        complete, tail = chunk[:end], chunk[end:]
        records = self._parse(complete, self.offset)
        self.offset += len(complete)
        if final and tail and at_eof:
            self._note_damage(self.offset, self.offset + len(tail))
            self.offset += len(tail)
        return records

    def __iter__(self) -> Iterator[Record]:
        while True:
            batch = self.read(final=True)
            if not batch:
                if self.offset >= os.path.getsize(self.path):
                    return
                continue
            yield from batch

    def _parse(self, data: bytes, base: int) -> list[Record]:
        # The sender parses every record the writer wrote: this loop is a hot path,
        # so it inlines _parse_line (same checks) and keeps lookups in locals.
        records: list[Record] = []
        append = records.append
        crc32 = zlib.crc32
        loads = orjson.loads
        lines = data.split(b"\n")
        lines.pop()  # data ends with a newline: the last piece is empty
        start = base
        for line in lines:
            end = start + len(line) + 1
            record = None
            if len(line) >= 10 and line[8] == 32:  # 32: the space after the CRC
                payload = line[9:]
                try:
                    if int(line[:8], 16) == crc32(payload):
                        record = loads(payload)
                except ValueError:
                    pass
            if type(record) is dict and "type" in record:
                seq = record.get("seq")
                if isinstance(seq, int) and seq > self.last_seq:
                    self.last_seq = seq
                    append(record)
                    start = end
                    continue
            self._note_damage(start, end)
            start = end
        return records

    def _note_damage(self, start: int, end: int) -> None:
        if self.damage and self.damage[-1].end == start:
            prev = self.damage[-1]
            self.damage[-1] = Damage(prev.start, end, prev.after_seq)
        else:
            self.damage.append(Damage(start, end, self.last_seq))


def _parse_line(line: bytes) -> Record | None:
    if len(line) < 11 or line[8:9] != b" " or not line.endswith(b"\n"):
        return None
    data = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(data):
            return None
        record = orjson.loads(data)
    except ValueError:
        return None
    return record if isinstance(record, dict) and "type" in record else None
