"""The Store interface: the one contract between the SDK, the server and storage.

Two implementations stand behind it:

* :class:`heron.store.sql.SqlStore` — in-process, SQLAlchemy on SQLite (the
  embedded default) or PostgreSQL; the server uses it too.
* :class:`heron.store.http.HttpStore` — the HTTP client of ``heron server``.

The same contract tests (``tests/store/test_contract.py``) run against each,
so a caller cannot tell which one it holds. The docstrings here are the spec.

Writes arrive as batches of records (see :mod:`heron.records`) from one
*stream* (one run log file). ``apply`` is idempotent: the store keeps, per
(run, stream), the highest seq applied (the *watermark*) and skips anything at
or below it, in the same transaction as the writes, so retries and repeated
``heron sync`` runs never duplicate a point.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from heron.entities import (
    FileInfo,
    KeyInfo,
    OutputPage,
    Project,
    RunGroup,
    RunInfo,
    RunKey,
    Series,
    View,
)
from heron.errors import NotFoundError
from heron.records import Record

DEFAULT_BUCKETS = 1000
OUTPUT_PAGE = 1000
"""Console output lines per :meth:`Store.read_output` page by default."""
MAX_OUTPUT_PAGE = 10_000
MAX_BUCKETS = 10_000
MAX_VIEW_BYTES = 1 << 20
"""The largest saved view spec, as JSON."""


class BlobStore(abc.ABC):
    """Content-addressed bytes: the name of a blob is the sha256 hex of its content.

    Putting the same bytes twice stores them once. Blobs are written
    atomically (a reader never sees half a blob).
    """

    @abc.abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256 hex digest."""

    @abc.abstractmethod
    def put_file(self, path: str) -> tuple[str, int]:
        """Store a file's content without holding it all in memory; return (sha256, size)."""

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool:
        """True if a blob with this digest is stored."""

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A readable binary file of the blob; raises NotFoundError if absent."""

    def get(self, sha256: str) -> bytes:
        """The blob's bytes; raises NotFoundError if absent."""
        with self.open(sha256) as f:
            return f.read()


class Store(abc.ABC):
    """Runs, their history, summaries and files; see the module docstring."""

    blobs: BlobStore

    # ------------------------------------------------------------------ writes

    @abc.abstractmethod
    def apply(self, run: RunKey, stream: str, records: Sequence[Record]) -> int:
        """Apply a batch of records from one stream, at most once each; return the watermark.

        Records with ``seq`` at or below the stream's watermark are skipped;
        the rest are applied in seq order, in one transaction with the new
        watermark. The first ``run`` record creates the project and the run
        (records for an unknown run whose batch has no ``run`` record raise
        NotFoundError). Every call, even with no records, refreshes the run's
        heartbeat, so an empty batch is the heartbeat. ``file`` records must
        name blobs already in :attr:`blobs`.
        """

    @abc.abstractmethod
    def watermark(self, run: RunKey, stream: str) -> int:
        """The highest seq applied from this stream of this run (0 when none)."""

    @abc.abstractmethod
    def update_run(
        self,
        run: RunKey,
        *,
        name: str | None = None,
        tags: list[str] | None = None,
        notes: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        config: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
    ) -> RunInfo:
        """Change a run's editable attributes (``None`` leaves one as it is); return the run."""

    @abc.abstractmethod
    def delete_run(self, run: RunKey) -> None:
        """Delete a run with its history and file entries (blobs stay until ``heron gc``)."""

    # ------------------------------------------------------------------ reads

    @abc.abstractmethod
    def list_projects(self, entity: str | None = None) -> list[Project]:
        """Every project (of one entity, if given), most recently active first."""

    @abc.abstractmethod
    def list_runs(
        self,
        entity: str,
        project: str,
        *,
        filters: dict[str, Any] | None = None,
        order: str | None = "-created_at",
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        lite: bool = False,
    ) -> list[RunInfo]:
        """A page of a project's runs, filtered and ordered in the database.

        ``filters`` is a MongoDB-style query over ``config.<key>``,
        ``summary_metrics.<key>`` (alias ``summary.<key>``), ``tags``,
        ``state``, ``name`` (alias ``display_name``), ``group``, ``job_type``,
        ``created_at``, ``run_id``, with ``$eq $ne $gt $gte $lt $lte $in $nin
        $regex $and $or`` (and ``{"tags": "x"}`` meaning "has tag x").
        ``order`` is a field of the same form with an optional ``+``/``-``
        prefix (``"-summary_metrics.acc"``), or ``runtime`` (seconds from
        ``created_at`` to ``ended_at``, or to the last heartbeat while running).
        ``search`` keeps runs whose name, run id or one of whose tags holds it
        (case-insensitive substring; ``%`` and ``_`` are plain characters).
        ``lite`` leaves each run's ``metadata`` out (an empty dict), for tables.
        Raises UsageError naming a bad operator or field. An unknown project
        yields an empty list.
        """

    @abc.abstractmethod
    def count_runs(
        self,
        entity: str,
        project: str,
        *,
        filters: dict[str, Any] | None = None,
        search: str | None = None,
    ) -> int:
        """How many runs :meth:`list_runs` would page through."""

    # ------------------------------------------------------------------ project views

    @abc.abstractmethod
    def project_columns(self, entity: str, project: str) -> dict[str, list[str]]:
        """Every config and summary key of the project's runs: ``{"config": [], "summary": []}``.

        Nested dicts are flattened into dotted keys (``optimizer.name``), as
        filters name them; lists and media values (dicts with ``_type``) are one
        key each. Keys with a part starting with ``_`` (``_step``, ``_wandb``)
        are left out. Each list is sorted; an unknown project gives empty lists.
        """

    @abc.abstractmethod
    def project_keys(self, entity: str, project: str, stream: str = "history") -> list[KeyInfo]:
        """The keys logged to a stream by any run of the project, sorted by name.

        ``count`` is the number of runs that logged the key; ``min_step`` and
        ``max_step`` span every run; ``numeric`` is True when every value of
        every run was a number; ``kind`` names the media a non-numeric key holds
        (see :class:`heron.entities.KeyInfo`).
        """

    @abc.abstractmethod
    def group_runs(
        self,
        entity: str,
        project: str,
        by: str,
        *,
        metrics: Sequence[str] = (),
        filters: dict[str, Any] | None = None,
        search: str | None = None,
    ) -> list[RunGroup]:
        """The runs matching ``filters``/``search`` grouped by their value of the field ``by``.

        ``by`` is a filter field (``config.optimizer``, ``group``, ``job_type``,
        ``state``, …; not ``tags``). Runs that lack the field form the group
        whose value is None. For each field in ``metrics`` (``summary.acc``,
        ``runtime``, …) a group's ``aggregates`` hold the min, max and mean of
        its runs' numeric values of it. Groups are sorted by value: booleans,
        numbers, strings, lists and dicts, then None.
        """

    def series_many(
        self,
        entity: str,
        project: str,
        run_ids: Sequence[str],
        keys: Sequence[str],
        *,
        x_axis: str = "_step",
        min_x: float | None = None,
        max_x: float | None = None,
        buckets: int = DEFAULT_BUCKETS,
        stream: str = "history",
    ) -> list[tuple[str, Series]]:
        """:meth:`series` of each key of each run: ``(run_id, series)`` pairs, runs then keys.

        Pairs come in the order of ``run_ids``, then of ``keys`` (repeats
        dropped). A run that does not exist, or that lacks the key or the
        ``x_axis`` key, is left out, so a chart of many runs never fails for
        one of them.
        """
        out: list[tuple[str, Series]] = []
        for run_id in dict.fromkeys(run_ids):
            run = RunKey(entity, project, run_id)
            try:
                logged = {k.key for k in self.history_keys(run, stream)}
            except NotFoundError:
                continue
            for key in dict.fromkeys(keys):
                if key in logged and (x_axis == "_step" or x_axis in logged):
                    out.append(
                        (
                            run_id,
                            self.series(
                                run,
                                key,
                                x_axis=x_axis,
                                min_x=min_x,
                                max_x=max_x,
                                buckets=buckets,
                                stream=stream,
                            ),
                        )
                    )
        return out

    @abc.abstractmethod
    def get_view(self, entity: str, project: str, name: str) -> View | None:
        """The project's saved view called ``name``; None when there is none (or no project)."""

    @abc.abstractmethod
    def put_view(self, entity: str, project: str, name: str, spec: dict[str, Any]) -> View:
        """Save (create or replace) a view of an existing project; return it.

        ``name`` follows the project name rules; ``spec`` must be a JSON object
        of at most :data:`MAX_VIEW_BYTES` bytes (UsageError otherwise). Raises
        NotFoundError when the project does not exist.
        """

    @abc.abstractmethod
    def get_run(self, run: RunKey) -> RunInfo:
        """One run; raises NotFoundError.

        A run still ``running`` whose heartbeat is older than the store's
        crash timeout is reported (and recorded) as ``crashed``.
        """

    @abc.abstractmethod
    def history_keys(self, run: RunKey, stream: str = "history") -> list[KeyInfo]:
        """The keys logged to a stream, sorted by name, with their ``kind``."""

    @abc.abstractmethod
    def read_history(
        self,
        run: RunKey,
        *,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
        limit: int | None = None,
        stream: str = "history",
    ) -> list[dict[str, Any]]:
        """History rows in step order, with ``min_step <= _step < max_step``.

        Each row is ``{"_step": n, key: value, ...}`` holding the requested
        keys (all keys when ``keys`` is None) that have a value at that step;
        steps where none of them has a value are left out. Values come back as
        logged: numbers (NaN/±Inf included), strings, bools, lists, dicts.
        ``limit`` caps the number of rows.
        """

    def scan_history(
        self,
        run: RunKey,
        *,
        keys: Sequence[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
        page_size: int = 1000,
        stream: str = "history",
    ) -> Iterator[dict[str, Any]]:
        """Every row of :meth:`read_history`, fetched ``page_size`` rows at a time."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        start = min_step
        while True:
            page = self.read_history(
                run, keys=keys, min_step=start, max_step=max_step, limit=page_size, stream=stream
            )
            yield from page
            if len(page) < page_size:
                return
            start = int(page[-1]["_step"]) + 1

    @abc.abstractmethod
    def sample_history(
        self,
        run: RunKey,
        *,
        keys: Sequence[str] | None = None,
        samples: int = 500,
        stream: str = "history",
    ) -> list[dict[str, Any]]:
        """At most ``samples`` rows of :meth:`read_history`, spread evenly over the steps.

        The first and the last row are always included, as in wandb's
        ``run.history(samples=...)``.
        """

    @abc.abstractmethod
    def series(
        self,
        run: RunKey,
        key: str,
        *,
        x_axis: str = "_step",
        min_x: float | None = None,
        max_x: float | None = None,
        buckets: int = DEFAULT_BUCKETS,
        stream: str = "history",
    ) -> Series:
        """The numeric points of ``key`` over ``x_axis``, downsampled for a chart.

        ``x_axis`` is ``_step``, ``_runtime``, ``_timestamp`` or any other
        numeric key of the same stream (points are paired by step). Points with
        ``min_x <= x <= max_x`` are split into ``buckets`` equal-width x ranges;
        each non-empty range gives min/max/mean/last. With no more points than
        buckets, every point is returned as is (``sampled`` False). NaN points
        are left out of min/max/mean. Never reads all points into one response.
        """

    @abc.abstractmethod
    def list_files(self, run: RunKey) -> list[FileInfo]:
        """The run's files, sorted by name (the latest version of each name)."""

    @abc.abstractmethod
    def get_file(self, run: RunKey, name: str) -> FileInfo:
        """One run file entry; raises NotFoundError."""

    @abc.abstractmethod
    def read_output(
        self, run: RunKey, *, start: int = 0, limit: int = OUTPUT_PAGE, search: str | None = None
    ) -> OutputPage:
        """A page of the run's console output (``output`` records), in line order.

        ``lines`` holds ``(line_no, text)`` for at most ``limit`` (0 to
        :data:`MAX_OUTPUT_PAGE`) lines with ``line_no >= start``; with
        ``search``, only lines containing it (case-insensitive substring).
        ``total`` counts all the run's lines (all matching lines, when
        searching), whatever ``start`` and ``limit``. Tail a running run by
        asking again with ``start`` = the last ``line_no`` seen + 1. Raises
        NotFoundError for an unknown run, UsageError for a bad ``start`` or
        ``limit``.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
