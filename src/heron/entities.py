"""Plain records shared by the SDK, the stores and the server.

These are what a :class:`heron.store.base.Store` takes and returns, on either
side of the wire. They hold no database or HTTP types: the SQL store converts
rows into them, the server turns them into JSON with ``to_dict`` and the HTTP
client back with ``from_dict``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, NamedTuple

from heron.errors import InvalidNameError, InvalidValueError

RUN_STATES = ("running", "finished", "failed", "crashed")
STREAMS = ("history", "system")
"""History streams: the user's ``log()`` rows, and system metrics sampled on their own clock."""

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")


def check_name(kind: str, value: object) -> str:
    """Validate a project or entity name: letters, digits, ``_ . -``, at most 128 chars."""
    if not isinstance(value, str) or not _NAME_RE.match(value) or value in (".", ".."):
        raise InvalidNameError(
            f"invalid {kind} name {value!r}: use 1-128 letters, digits, '_', '.' or '-',"
            " starting with a letter or digit"
        )
    return value


def check_run_id(value: object) -> str:
    """Validate a run id: letters, digits, ``_ -``, at most 64 chars."""
    if not isinstance(value, str) or not _RUN_ID_RE.match(value):
        raise InvalidNameError(
            f"invalid run id {value!r}: use 1-64 letters, digits, '_' or '-',"
            " starting with a letter or digit"
        )
    return value


MAX_LABEL_LENGTH = 256
"""Longest run display name, group and job type (notes have no limit)."""


def check_label(kind: str, value: object) -> str | None:
    """Validate an optional run label (display name, group, job type): text of 0-256 chars.

    Checked where the user gives it, so a bad label fails at once instead of
    making every batch of the run's records bounce off the store.
    """
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_LABEL_LENGTH:
        shown = value if not isinstance(value, str) else value[:40] + "..." * (len(value) > 40)
        raise InvalidValueError(
            f"invalid run {kind} {shown!r}: use a string of at most {MAX_LABEL_LENGTH} characters"
        )
    return value


def check_notes(value: object) -> str | None:
    """Validate run notes: any text, or None."""
    if value is not None and not isinstance(value, str):
        raise InvalidValueError(f"run notes must be a string, not {type(value).__name__}")
    return value


class RunKey(NamedTuple):
    """Where a run lives: ``entity/project/run_id``."""

    entity: str
    project: str
    run_id: str

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.run_id}"

    @classmethod
    def parse(cls, path: str, default_entity: str, default_project: str | None = None) -> RunKey:
        """Parse ``entity/project/id``, ``project/id`` or ``id`` (with defaults).

        The wandb forms ``entity/project/runs/id`` are accepted too.
        """
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) == 4 and parts[2] == "runs":
            parts = [parts[0], parts[1], parts[3]]
        if len(parts) == 3:
            entity, project, run_id = parts
        elif len(parts) == 2:
            entity, (project, run_id) = default_entity, parts
        elif len(parts) == 1 and default_project:
            entity, project, run_id = default_entity, default_project, parts[0]
        else:
            raise InvalidNameError(
                f"invalid run path {path!r}: expected 'entity/project/run_id' or 'project/run_id'"
            )
        return cls(
            check_name("entity", entity), check_name("project", project), check_run_id(run_id)
        )


class _Record:
    """``to_dict``/``from_dict`` for the dataclasses below (JSON-ready values only)."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict, sharing (not copying) their values.

        Shallow on purpose: ``dataclasses.asdict`` deep-copies every list, which
        was most of the time of a 100-run chart request. Treat the result as
        read-only, as the frozen record itself is.
        """
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclasses.dataclass(frozen=True)
class Project(_Record):
    entity: str
    name: str
    run_count: int = 0
    created_at: float = 0.0
    last_activity: float = 0.0


@dataclasses.dataclass(frozen=True)
class RunInfo(_Record):
    """Everything the store knows about one run, except its history points."""

    entity: str
    project: str
    run_id: str
    name: str
    state: str = "running"
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    tags: list[str] = dataclasses.field(default_factory=list)
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None
    host: str | None = None
    user: str | None = None
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Python, OS, hardware, program, git: what ``sdk.metadata`` collected."""
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    """``define_metric`` definitions by name (step_metric, summary, hidden)."""
    created_at: float = 0.0
    """Run start (unix seconds, from the client)."""
    updated_at: float = 0.0
    heartbeat_at: float = 0.0
    """Last time the store heard from the run's process (unix seconds)."""
    ended_at: float | None = None
    exit_code: int | None = None
    last_step: int = -1
    """The largest user ``_step`` stored, -1 when none: resume continues after it."""

    @property
    def key(self) -> RunKey:
        return RunKey(self.entity, self.project, self.run_id)

    @property
    def path(self) -> str:
        return self.key.path

    @property
    def runtime(self) -> float:
        end = self.ended_at if self.ended_at is not None else self.heartbeat_at
        return max(0.0, (end or self.created_at) - self.created_at)


@dataclasses.dataclass(frozen=True)
class FileInfo(_Record):
    """A run file (``output.log``, ``config.yaml``, a ``run.save()``d file) stored as a blob."""

    name: str
    sha256: str
    size: int
    updated_at: float = 0.0


@dataclasses.dataclass(frozen=True)
class KeyInfo(_Record):
    """A logged key of one stream: how many numeric points and the step range.

    ``kind`` says what a key that is not numeric holds, so the dashboard can
    pick a panel: the ``_type`` of its media stubs (``"image-file"``,
    ``"histogram"``, ``"table-file"``, ``"plot"``, …), ``"image-list"`` for
    galleries (lists of image stubs), None for numbers and plain values.
    """

    key: str
    count: int
    min_step: int
    max_step: int
    numeric: bool = True
    kind: str | None = None


@dataclasses.dataclass(frozen=True)
class Series(_Record):
    """A chart series downsampled into buckets over the x axis.

    Each list has one entry per non-empty bucket, in x order. ``x`` is the
    x value of the bucket's last point (so an un-downsampled series is exact),
    ``last`` the y value there; ``min``/``max``/``mean`` summarise the bucket.
    ``sampled`` is False when every point is its own bucket (full detail).
    """

    key: str
    x_axis: str
    x: list[float]
    min: list[float | None]
    max: list[float | None]
    mean: list[float | None]
    last: list[float | None]
    count: list[int]
    sampled: bool
    total_points: int


@dataclasses.dataclass(frozen=True)
class RunGroup(_Record):
    """Runs of a project that share one value of a field (``Store.group_runs``).

    ``aggregates`` maps each requested metric field to ``{"min", "max", "mean"}``
    over the group's numeric values of it (each None when the group has none).
    """

    value: Any
    count: int
    aggregates: dict[str, dict[str, float | None]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class View(_Record):
    """Saved dashboard state of a project (``runset``, ``workspace``): any JSON object."""

    name: str
    spec: dict[str, Any]
    updated_at: float = 0.0


MAX_OUTPUT_LINE_BYTES = 64 * 1024
"""Longest console output line kept as a record (UTF-8 bytes); longer ones are cut."""
OUTPUT_CUT_MARKER = " [... line cut at 64 KiB]"


def cut_output_line(text: str) -> str:
    """``text`` cut to at most :data:`MAX_OUTPUT_LINE_BYTES` bytes with a marker, if longer.

    A progress bar gone wrong or a dumped tensor can print megabytes on one
    line; the Logs page and the database keep the start and say it was cut
    (``output.log`` still has the whole line).
    """
    if len(text) * 4 <= MAX_OUTPUT_LINE_BYTES:  # cannot be too long: skip the encode
        return text
    data = text.encode("utf-8", "replace")
    if len(data) <= MAX_OUTPUT_LINE_BYTES:
        return text
    keep = MAX_OUTPUT_LINE_BYTES - len(OUTPUT_CUT_MARKER.encode())
    return data[:keep].decode("utf-8", "ignore") + OUTPUT_CUT_MARKER


@dataclasses.dataclass(frozen=True)
class OutputPage(_Record):
    """A page of a run's console output: ``(line_no, text)`` pairs in line order.

    ``total`` counts every line of the run (every matching line, when searching),
    not just the ones on this page.
    """

    lines: list[tuple[int, str]]
    total: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputPage:
        return cls([(int(n), str(t)) for n, t in data["lines"]], int(data["total"]))
