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
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, BinaryIO

import orjson

from heron.artifacts.entities import (
    ArtifactInfo,
    ArtifactType,
    ArtifactVersion,
    GcReport,
    LineageEdge,
    LineageGraph,
    LoggedVersion,
    ManifestEntry,
)
from heron.artifacts.registry import (
    AliasChange,
    Automation,
    Collection,
    Delivery,
    LinkedVersion,
    RegistryInfo,
)
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
from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.records import Record, encode_nonfinite

DEFAULT_BUCKETS = 1000
OUTPUT_PAGE = 1000
"""Console output lines per :meth:`Store.read_output` page by default."""
MAX_OUTPUT_PAGE = 10_000
MAX_BUCKETS = 10_000
MAX_VIEW_BYTES = 1 << 20
"""The largest saved view spec, as JSON."""
MAX_CALLS_PAGE = 10_000
"""The most calls one HTTP request returns."""
MAX_FEEDBACK_BYTES = 1 << 16
"""The largest feedback payload, as JSON."""
MAX_COSTS_PAGE = 10_000
"""The most LLM prices one HTTP request adds, returns or purges."""
CALL_FIELDS = (
    "id",
    "trace_id",
    "parent_id",
    "op_name",
    "display_name",
    "inputs",
    "output",
    "exception",
    "summary",
    "attributes",
    "started_at",
    "ended_at",
    "thread_id",
    "turn_id",
)
"""The keys of a call as the store returns it."""
OBJECT_KINDS = ("object", "op")
OBJECT_FIELDS = (
    "object_id",
    "digest",
    "version_index",
    "kind",
    "base_object_class",
    "val",
    "created_at",
    "is_latest",
)
"""The keys of a weave object version as the store returns it."""
TABLE_FIELDS = ("digest", "row_count", "created_at")
"""The keys of a weave row table as the store returns it."""
TABLE_ROW_FIELDS = ("index", "digest", "val")
"""The keys of a weave table row as the store returns it."""
MAX_OBJECT_BYTES = 8 << 20
"""The largest weave object ``val``, as canonical JSON (rows belong in tables)."""
MAX_TABLE_PAGE = 10_000
"""The most table rows one HTTP request returns."""
MAX_TABLE_UPLOAD_BYTES = 16 << 20
"""The largest body of a table-rows request; the HTTP client sends bigger tables in parts."""


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON: keys sorted, no spaces, NaN/±Inf as ``{"$f": ...}`` tags.

    Weave object and table-row digests are the sha256 of these bytes
    (:func:`json_digest`), computed alike by the SDK and the store, so the
    same content always has the same digest. Raises InvalidValueError for
    what is not JSON data (a key that is not a string, an int past 64 bits).
    """
    try:
        data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        if b"null" in data:  # perhaps a NaN, which orjson writes as null
            data = orjson.dumps(encode_nonfinite(value), option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:
        raise InvalidValueError(f"not JSON data: {exc}") from None
    return data


def json_digest(data: bytes) -> str:
    """The digest of canonical JSON bytes: their sha256, as 64 hex characters."""
    return hashlib.sha256(data).hexdigest()


def table_digest(row_digests: Iterable[str]) -> str:
    """The digest of a weave row table: the sha256 of its row digests in order."""
    hasher = hashlib.sha256()
    for digest in row_digests:
        hasher.update(digest.encode())
    return hasher.hexdigest()


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

    def missing(self, digests: Sequence[str]) -> list[str]:
        """The digests of ``digests`` not stored, in order: what an upload still has to send.

        Asking once before an upload is what makes it resumable: after an
        interruption, a second upload sends only the blobs the first did not.
        The HTTP store asks in one request (``POST /api/v1/blobs/missing``).
        """
        return [sha256 for sha256 in dict.fromkeys(digests) if not self.exists(sha256)]

    def fetch_into(
        self, sha256: str, path: str, progress: Callable[[int], None] | None = None
    ) -> str:
        """Write the blob to ``path``; return the sha256 of the whole file written.

        The caller compares the result with ``sha256`` (and keeps the file only
        if they match). A store that can send a byte range (the HTTP store)
        resumes a ``path`` an interrupted fetch left, fetching only the rest;
        the default starts over. ``progress`` is told each block's size.
        """
        digest = hashlib.sha256()
        with self.open(sha256) as f, open(path, "wb") as out:
            while block := f.read(1 << 20):
                digest.update(block)
                out.write(block)
                if progress is not None:
                    progress(len(block))
        return digest.hexdigest()

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A readable binary file of the blob; raises NotFoundError if absent."""

    def get(self, sha256: str) -> bytes:
        """The blob's bytes; raises NotFoundError if absent."""
        with self.open(sha256) as f:
            return f.read()

    def list_blobs(self) -> Iterator[tuple[str, int, float]]:
        """Every stored blob as ``(sha256, size, modified time)``, for ``heron gc``."""
        raise UsageError(f"{type(self).__name__} cannot list its blobs, so it cannot be collected")

    def delete(self, sha256: str) -> bool:
        """Remove a blob; False when it was not there. Only ``heron gc`` deletes blobs."""
        raise UsageError(f"{type(self).__name__} cannot delete blobs")


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

    # ------------------------------------------------------------------ calls (weave)

    @abc.abstractmethod
    def apply_calls(self, entity: str, project: str, stream: str, records: Sequence[Record]) -> int:
        """Apply ``call``/``call_start``/``call_end`` records of a call log, at most once each.

        As :meth:`apply`: records at or below the stream's watermark are
        skipped, the rest applied in seq order in one transaction with the new
        watermark, which is returned. The project is created if absent. A
        ``call_start`` inserts the call (a repeated id is left as stored), a
        ``call`` inserts a whole call; a
        ``call_end`` sets ``output``, ``exception``, ``summary``, ``ended_at``
        (and ``attributes``/``display_name`` when given) of a call of the same
        project. Other record types raise UsageError.
        """

    @abc.abstractmethod
    def calls_watermark(self, entity: str, project: str, stream: str) -> int:
        """The highest seq applied from this call log of this project (0 when none)."""

    @abc.abstractmethod
    def get_calls(
        self,
        entity: str,
        project: str,
        *,
        filter: dict[str, Any] | None = None,
        sort_by: Sequence[tuple[str, str]] | None = None,
        limit: int | None = None,
        offset: int = 0,
        include_costs: bool = False,
        query: dict[str, Any] | None = None,
        columns: Sequence[str] | None = None,
        include_feedback: bool = False,
    ) -> list[dict[str, Any]]:
        """A page of the project's calls, each a dict of :data:`CALL_FIELDS`.

        ``filter`` keys: ``op_names``, ``trace_ids``, ``parent_ids``,
        ``call_ids``, ``thread_ids``, ``turn_ids`` (lists of strings; a call
        matches when its field is in
        the list), ``trace_roots_only`` (bool: only calls without a
        parent), ``statuses`` (a list of ``success`` (ended without an
        exception), ``error`` (has an exception), ``running`` (not ended)),
        ``started_after`` / ``started_before`` (unix seconds; at or after,
        strictly before), ``attributes`` (``{"dotted.key": value}``: the
        attribute equals the string, number, bool, or is null/absent for
        None; ``"1"`` does not match ``1``), ``has_feedback`` (bool) and
        ``reactions`` (a list of emoji: calls with any of these reactions),
        ``input_refs`` / ``output_refs`` (``weave:///`` URIs: calls whose
        inputs / output hold one anywhere; ``NAME:*`` matches any version).
        Keys combine with AND. ``sort_by`` is a list of ``(field,
        "asc"|"desc")`` over ``started_at``, ``ended_at``, ``op_name``,
        ``id``, ``latency`` (``ended_at - started_at``), unended calls last;
        the default is ``started_at`` ascending, ties broken by id. ``limit`` None means
        every call (at most :data:`MAX_CALLS_PAGE` per HTTP request). Raises
        UsageError naming an unknown filter key, a bad value or sort field.
        An unknown project yields an empty list.

        ``include_costs`` adds ``summary["weave"]["costs"]``: for each model
        of ``summary["usage"]`` that has a price, its usage counts plus
        ``prompt_tokens_total_cost``, ``completion_tokens_total_cost``, the
        per-token prices and their units, ``effective_date`` (ISO 8601),
        ``provider_id``, ``llm_id`` (the price's id), ``pricing_level``
        (``project`` for a price from :meth:`add_costs`, ``default`` for
        the built-in table of :mod:`heron.store.prices`) and
        ``pricing_level_id``. The price is the one in force when the call
        started: the project's newest price of the model with
        ``effective_date`` at or before then, else the built-in one.
        Prompt tokens are ``prompt_tokens`` or ``input_tokens``, completion
        tokens ``completion_tokens`` or ``output_tokens``.

        ``query`` is a weave-style ``{"$expr": {...}}`` ANDed with the filter.
        Conditions: ``$and``/``$or`` (lists), ``$not`` (one condition),
        ``$eq``/``$gt``/``$gte``/``$lt``/``$lte`` (two operands), ``$in``
        (``[operand, [operand, ...]]``), ``$contains`` (``{"input",
        "substr", "case_insensitive"}``). Operands: ``{"$getField": name}``
        (``id``, ``trace_id``, ``parent_id``, ``op_name``,
        ``display_name``, ``exception``, ``thread_id``, ``turn_id``,
        ``started_at``, ``ended_at``, or a dotted path under ``inputs``,
        ``output``, ``summary``, ``attributes``), ``{"$literal": value}``
        and ``{"$convert": {"input": operand, "to": "int"|"double"|
        "string"|"bool"}}``. JSON fields compare as text (``true``/``false``
        for booleans, absent or null as null), or as numbers when the other
        side is a number (text that is not a number is then null); ``$eq``
        with a null literal tests for null. UsageError names an unknown
        operator or field.

        ``columns`` limits the returned fields to these of
        :data:`CALL_FIELDS` (``id``, ``trace_id``, ``parent_id``,
        ``op_name``, ``started_at`` are always kept). ``include_feedback``
        adds ``summary["weave"]["feedback"]``: the call's feedback as
        :meth:`list_feedback` gives it.
        """

    @abc.abstractmethod
    def count_calls(
        self,
        entity: str,
        project: str,
        *,
        filter: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
    ) -> int:
        """How many calls :meth:`get_calls` would page through with this filter and query."""

    @abc.abstractmethod
    def count_calls_by(
        self, entity: str, project: str, field: str, *, filter: dict[str, Any] | None = None
    ) -> dict[str, int]:
        """How many calls matching ``filter`` hold each value of ``field``.

        ``field`` is ``op_name`` (the ops of a project, for a filter menu),
        ``parent_id`` (children per call: filter ``parent_ids`` to ask about
        a page of calls) or ``trace_id``. Calls whose field is null are left
        out; values come sorted. Raises UsageError for another field.

        >>> store.count_calls_by("me", "chat", "op_name")   # doctest: +SKIP
        {'answer': 12, 'retrieve': 36}
        """

    @abc.abstractmethod
    def get_call(
        self, entity: str, project: str, call_id: str, *, include_costs: bool = False
    ) -> dict[str, Any]:
        """One call of the project (see :meth:`get_calls`); raises NotFoundError."""

    @abc.abstractmethod
    def delete_calls(self, entity: str, project: str, call_ids: Sequence[str]) -> int:
        """Delete calls with every descendant and their feedback; return how many calls went.

        Ids that name no call of the project are ignored.
        """

    @abc.abstractmethod
    def add_feedback(
        self, entity: str, project: str, call_id: str, feedback_type: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Attach feedback to a call; return it as :meth:`list_feedback` would.

        ``feedback_type`` is a non-empty string of at most 256 characters
        (``wandb.reaction.1``, ``wandb.note.1`` or any custom name);
        ``payload`` a JSON object of at most :data:`MAX_FEEDBACK_BYTES`.
        Raises NotFoundError for an unknown call, UsageError for bad input.
        """

    @abc.abstractmethod
    def list_feedback(self, entity: str, project: str, call_id: str) -> list[dict[str, Any]]:
        """A call's feedback, oldest first: dicts of ``id, call_id, feedback_type, payload,
        created_at``. An unknown call yields an empty list."""

    @abc.abstractmethod
    def feedback_counts(
        self, entity: str, project: str, call_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """The feedback on each of ``call_ids`` that has some, counted.

        ``{call_id: {"total": n, "types": {feedback_type: n}, "reactions":
        {emoji: n}}}``; calls without feedback (or unknown) are absent. For
        a page of a calls table (at most :data:`MAX_CALLS_PAGE` ids per
        HTTP request).
        """

    @abc.abstractmethod
    def query_feedback(
        self,
        entity: str,
        project: str,
        *,
        feedback_ids: Sequence[str] | None = None,
        call_ids: Sequence[str] | None = None,
        feedback_types: Sequence[str] | None = None,
        reactions: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The project's feedback, oldest first, as :meth:`list_feedback` gives it.

        Each given list narrows the result (ANDed): feedback ``id``s, the
        ``call_id``s it is on, its ``feedback_type``s, ``reactions`` (emoji of
        ``wandb.reaction.1`` feedback). ``limit`` None means all (at most
        :data:`MAX_CALLS_PAGE` per HTTP request). An unknown project yields
        an empty list; UsageError names a bad argument.
        """

    @abc.abstractmethod
    def purge_feedback(self, entity: str, project: str, feedback_id: str) -> bool:
        """Delete one feedback item of the project; False when there was none."""

    # ------------------------------------------------------------------ LLM prices (weave)

    @abc.abstractmethod
    def add_costs(
        self, entity: str, project: str, costs: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Add per-token prices of LLMs to the project; return them as :meth:`query_costs` would.

        Each cost is a dict of ``llm_id`` (1-256 characters, the model name
        as usage records it, or a prefix of it: ``gpt-4o`` prices
        ``gpt-4o-2024-08-06``), ``prompt_token_cost`` and
        ``completion_token_cost`` (non-negative numbers, per token), and
        optionally ``effective_date`` (Unix seconds; default now),
        ``prompt_token_cost_unit`` / ``completion_token_cost_unit`` (default
        ``USD``) and ``provider_id`` (default ``default``). A project price
        overrides the built-in table from its effective date on (see
        :meth:`get_calls`). The project is created if absent. UsageError
        names a bad field; nothing is added then.
        """

    @abc.abstractmethod
    def query_costs(
        self,
        entity: str,
        project: str,
        *,
        llm_ids: Sequence[str] | None = None,
        cost_ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The project's own prices (not the built-in table), optionally only these models or ids.

        Dicts of ``id, llm_id, provider_id, prompt_token_cost,
        completion_token_cost, prompt_token_cost_unit,
        completion_token_cost_unit, effective_date, created_at`` (Unix
        seconds), ordered by ``llm_id``, newest ``effective_date`` first.
        ``limit`` None means all (at most :data:`MAX_COSTS_PAGE` per HTTP
        request). An unknown project yields an empty list.
        """

    @abc.abstractmethod
    def purge_costs(self, entity: str, project: str, cost_ids: Sequence[str]) -> int:
        """Delete prices of the project by id; return how many went (unknown ids are ignored)."""

    # ------------------------------------------------------------------ weave objects and tables

    @abc.abstractmethod
    def create_object(
        self,
        entity: str,
        project: str,
        name: str,
        val: Any,
        *,
        kind: str = "object",
        base_object_class: str | None = None,
    ) -> dict[str, Any]:
        """Store a version of the weave object (or op) ``name``; return it (:data:`OBJECT_FIELDS`).

        The digest is :func:`json_digest` of :func:`canonical_json` of ``val``,
        so storing the same content again returns the version already stored
        (undeleted if it was deleted) and changes nothing; new content becomes
        the next version (``version_index`` 0, 1, …, never reused). ``kind``
        is ``object`` or ``op``: ops and objects version separately, so both
        may use one name. ``name`` is 1-128 letters, digits, ``-``, ``_`` or
        ``.``, starting with a letter, digit or ``_``; ``base_object_class``
        (``Model``, ``Dataset``…) at most 128 characters. The project is
        created if absent. Raises InvalidValueError for a ``val`` that is not
        JSON data or is larger than :data:`MAX_OBJECT_BYTES`, UsageError for
        a bad name or kind.

        >>> store.create_object("me", "chat", "prompt", {"text": "hi"})["version_index"]
        0
        """

    @abc.abstractmethod
    def get_object(
        self, entity: str, project: str, name: str, version: str = "latest", *, kind: str = "object"
    ) -> dict[str, Any]:
        """One version of an object: ``version`` is ``latest``, ``v<N>`` or a 64-hex digest.

        ``latest`` is the highest version not deleted. Raises NotFoundError for
        an unknown project, name or version, or a deleted version; UsageError
        for a ``version`` of another form.
        """

    @abc.abstractmethod
    def list_objects(
        self,
        entity: str,
        project: str,
        *,
        kind: str | None = None,
        base_object_classes: Sequence[str] | None = None,
        latest_only: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The project's object versions that are not deleted, by name then version.

        ``kind`` (``object``/``op``) and ``base_object_classes`` filter;
        ``latest_only`` keeps each name's latest version. Objects come before
        ops of the same name. An unknown project yields an empty list.
        """

    @abc.abstractmethod
    def list_object_versions(
        self, entity: str, project: str, name: str, *, kind: str = "object"
    ) -> list[dict[str, Any]]:
        """Every version of ``name`` not deleted, oldest first (empty when there is none)."""

    @abc.abstractmethod
    def delete_object_version(
        self, entity: str, project: str, name: str, version: str, *, kind: str = "object"
    ) -> dict[str, Any]:
        """Mark one version deleted (``version`` as for :meth:`get_object`); return it.

        Reads no longer find it and ``latest`` moves to the highest version
        left; storing the same content again brings it back under its old
        index. Raises NotFoundError for an unknown or already deleted version.
        """

    @abc.abstractmethod
    def create_table(
        self, entity: str, project: str, rows: Sequence[Any], *, base: str | None = None
    ) -> dict[str, Any]:
        """Store an immutable row table; return it (:data:`TABLE_FIELDS`).

        The table holds the rows of table ``base`` (when given) followed by
        ``rows`` (JSON values, usually dicts). Each row's digest is
        :func:`json_digest` of its :func:`canonical_json`, the table's digest
        the sha256 of its row digests in order, so the same rows make the
        same table, stored once. 100,000 rows in one call is fine: they go in
        as one batch (the HTTP client uploads them in parts of at most
        :data:`MAX_TABLE_UPLOAD_BYTES`, see :meth:`stage_table_rows`). Raises
        NotFoundError for an unknown ``base``, InvalidValueError for a row
        that is not JSON data.
        """

    @abc.abstractmethod
    def stage_table_rows(
        self, entity: str, project: str, upload_id: str, start: int, rows: Sequence[Any]
    ) -> int:
        """Stage part of a table upload: ``rows`` become rows ``start``, ``start + 1``, ….

        ``upload_id`` is 32 hex characters the uploader chose; re-sending a
        part (a retry) is harmless. Nothing is readable until
        :meth:`commit_table`. Returns how many rows the upload holds so far.
        """

    @abc.abstractmethod
    def commit_table(
        self,
        entity: str,
        project: str,
        upload_id: str,
        row_count: int,
        *,
        base: str | None = None,
    ) -> dict[str, Any]:
        """Turn a staged upload of rows ``0 .. row_count - 1`` into a table (as
        :meth:`create_table` with those rows would); return the table.

        The staged rows are used up. Raises UsageError when rows are missing
        (naming how many were staged) and NotFoundError for an unknown
        ``base``.
        """

    @abc.abstractmethod
    def get_table(self, entity: str, project: str, digest: str) -> dict[str, Any]:
        """A table by digest (:data:`TABLE_FIELDS`); raises NotFoundError."""

    @abc.abstractmethod
    def table_rows(
        self, entity: str, project: str, digest: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Rows ``offset ..`` of a table in order, each ``{"index", "digest", "val"}``.

        ``limit`` None means to the end (at most :data:`MAX_TABLE_PAGE` per
        HTTP request). Raises NotFoundError for an unknown table.
        """

    # ------------------------------------------------------------------ artifacts

    @abc.abstractmethod
    def log_artifact(
        self,
        entity: str,
        project: str,
        name: str,
        type: str,
        manifest: Sequence[ManifestEntry],
        *,
        run: RunKey | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        aliases: Sequence[str] = (),
    ) -> LoggedVersion:
        """Record a version of an artifact from its manifest; return it and whether it is new.

        The artifact (and the project) is created on first use; its ``type``
        must match the type it was created with (ConflictError otherwise).
        The version digest is :func:`heron.artifacts.entities.manifest_digest`
        of the manifest: a manifest whose digest an existing version has makes
        no new version (``created`` False; its metadata stays as first logged),
        any other makes ``v{n+1}``. Every stored entry (``ref`` None) must name
        a blob already in :attr:`blobs` (NotFoundError otherwise). ``latest``
        moves to a new version; each of ``aliases`` moves to the returned
        version (``latest`` among them is ignored). With ``run``, a
        ``logged`` lineage edge from the run is recorded (the run need not be
        in the store yet: edges name runs by path).
        """

    @abc.abstractmethod
    def list_artifact_types(self, entity: str, project: str) -> list[ArtifactType]:
        """The artifact types of a project, sorted by name; an unknown project gives []."""

    @abc.abstractmethod
    def list_artifacts(
        self, entity: str, project: str, type: str | None = None
    ) -> list[ArtifactInfo]:
        """The project's artifacts (of one type, if given), sorted by name."""

    @abc.abstractmethod
    def list_artifact_versions(self, entity: str, project: str, name: str) -> list[ArtifactVersion]:
        """Every version of an artifact, oldest first; raises NotFoundError."""

    @abc.abstractmethod
    def get_artifact_version(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> ArtifactVersion:
        """The version ``ref`` names: ``v3`` or an alias (``latest``); raises NotFoundError."""

    @abc.abstractmethod
    def get_manifest(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> list[ManifestEntry]:
        """The manifest of a version, sorted by path; raises NotFoundError."""

    @abc.abstractmethod
    def set_alias(
        self, entity: str, project: str, name: str, alias: str, version: int
    ) -> ArtifactVersion:
        """Point ``alias`` at version ``version`` (moving it off any other); return the version.

        ``latest`` moves by itself and cannot be set (UsageError), nor can an
        alias that looks like a version name (``v3``: InvalidNameError).
        """

    @abc.abstractmethod
    def remove_alias(self, entity: str, project: str, name: str, alias: str) -> None:
        """Take ``alias`` off the artifact; NotFoundError when it has no such alias."""

    @abc.abstractmethod
    def use_artifact(
        self, run: RunKey, entity: str, project: str, name: str, ref: str = "latest"
    ) -> ArtifactVersion:
        """Record that ``run`` used the version ``ref`` names (once per pair); return it."""

    @abc.abstractmethod
    def artifact_edges(
        self, entity: str, project: str, name: str, ref: str = "latest"
    ) -> list[LineageEdge]:
        """The lineage edges of one version (the runs that logged and used it), oldest first."""

    @abc.abstractmethod
    def run_artifacts(self, run: RunKey, kind: str) -> list[ArtifactVersion]:
        """The versions a run ``logged`` or ``used`` (``kind``), in the order it did so."""

    def update_artifact_version(
        self,
        entity: str,
        project: str,
        name: str,
        version: int,
        *,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ArtifactVersion:
        """Change a version's description and/or metadata (None keeps one); return it.

        The digest (the files) never changes: new files make a new version.
        """
        raise UsageError(f"{type(self).__name__} cannot change artifact versions")

    def delete_artifact_version(
        self, entity: str, project: str, name: str, version: int, *, delete_aliases: bool = False
    ) -> None:
        """Delete a version with its manifest, aliases and lineage edges; NotFoundError if absent.

        A version holding aliases besides ``latest`` is refused (UsageError)
        unless ``delete_aliases``; ``latest`` moves to the newest version left,
        and the artifact goes when none is left. Blobs stay until :meth:`gc`.
        """
        raise UsageError(f"{type(self).__name__} cannot delete artifact versions")

    def unreferenced_blobs(self, grace_seconds: float) -> list[tuple[str, int]]:
        """``(sha256, size)`` of blobs no run file, media, table or artifact version names.

        A blob modified less than ``grace_seconds`` ago is never listed: an
        upload in flight puts its blobs before the record that names them.
        """
        raise UsageError(
            f"{type(self).__name__} cannot list unreferenced blobs; run heron gc"
            " where the database and blob store are reachable"
        )

    def gc(self, grace_seconds: float = 3600.0, *, dry_run: bool = False) -> GcReport:
        """Delete :meth:`unreferenced_blobs` (only report them with ``dry_run``)."""
        found = self.unreferenced_blobs(grace_seconds)
        freed = 0
        if not dry_run:
            for sha256, size in found:
                if self.blobs.delete(sha256):
                    freed += size
        else:
            freed = sum(size for _, size in found)
        return GcReport([sha for sha, _ in found], freed, dry_run)

    def artifact_lineage(
        self,
        entity: str,
        project: str,
        name: str,
        ref: str = "latest",
        *,
        depth: int = 4,
        direction: str = "both",
    ) -> LineageGraph:
        """The lineage graph around a version, ``depth`` edges out (1 to ``MAX_LINEAGE_DEPTH``).

        ``direction`` is ``upstream`` (the run that logged it, what that run
        used, …), ``downstream`` (the runs that used it, what they logged, …)
        or ``both``. Built from :meth:`artifact_edges` and
        :meth:`run_artifacts`; a store may answer it in one request instead.
        """
        from heron.artifacts.lineage import walk

        return walk(self, self.get_artifact_version(entity, project, name, ref), depth, direction)

    # ------------------------------------------------------------------ registry

    @abc.abstractmethod
    def create_registry(
        self, entity: str, name: str, description: str | None = None
    ) -> RegistryInfo:
        """Create a registry of the entity; ConflictError when it exists."""

    @abc.abstractmethod
    def list_registries(self, entity: str) -> list[RegistryInfo]:
        """The entity's registries, sorted by name; ``model`` is always among them."""

    @abc.abstractmethod
    def create_collection(
        self,
        entity: str,
        registry: str,
        name: str,
        *,
        description: str | None = None,
        tags: Sequence[str] = (),
    ) -> Collection:
        """Create a collection (the registry too, if it is absent); ConflictError when it exists.

        ``description`` is the markdown model card.
        """

    @abc.abstractmethod
    def update_collection(
        self,
        entity: str,
        registry: str,
        name: str,
        *,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Collection:
        """Change a collection's card and/or tags (None leaves one as it is); return it."""

    @abc.abstractmethod
    def list_collections(self, entity: str, registry: str) -> list[Collection]:
        """A registry's collections, sorted by name; an unknown registry gives NotFoundError
        (``model`` always exists)."""

    @abc.abstractmethod
    def get_collection(self, entity: str, registry: str, name: str) -> Collection:
        """One collection with its rules and version count; raises NotFoundError."""

    @abc.abstractmethod
    def link_version(
        self,
        entity: str,
        registry: str,
        collection: str,
        source_entity: str,
        source_project: str,
        source_name: str,
        ref: str = "latest",
        *,
        aliases: Sequence[str] = (),
        actor: str | None = None,
    ) -> LinkedVersion:
        """Link an artifact version into a collection (both made if absent); return the link.

        A version not yet in the collection becomes its ``v{n+1}`` and takes
        ``latest``; a version already linked keeps its number. Each of
        ``aliases`` then moves to it as :meth:`set_collection_alias` would
        (rules enforced, changes recorded); a refused alias refuses the whole
        link (UsageError with the rule's reason) and nothing is linked. Fires
        ``version_linked`` and ``alias_added`` automations.
        """

    @abc.abstractmethod
    def list_linked_versions(
        self, entity: str, registry: str, collection: str
    ) -> list[LinkedVersion]:
        """A collection's linked versions, oldest first; raises NotFoundError."""

    @abc.abstractmethod
    def get_linked_version(
        self, entity: str, registry: str, collection: str, ref: str = "latest"
    ) -> LinkedVersion:
        """The linked version ``ref`` (``v2`` or an alias) names; raises NotFoundError."""

    @abc.abstractmethod
    def set_collection_alias(
        self,
        entity: str,
        registry: str,
        collection: str,
        alias: str,
        version: int,
        *,
        actor: str | None = None,
    ) -> LinkedVersion:
        """Point ``alias`` at linked version ``version``, moving it off any other.

        The alias's promotion rule (see :meth:`set_alias_rule`) is checked
        against the summary of the run that logged the source version; a
        failing version is refused with UsageError saying why. The change is
        kept in :meth:`alias_history` with ``actor`` (who asked: an API key
        tag, a user or a run path). Fires ``alias_added`` automations.
        """

    @abc.abstractmethod
    def remove_collection_alias(
        self, entity: str, registry: str, collection: str, alias: str, *, actor: str | None = None
    ) -> None:
        """Take ``alias`` off the collection (recorded); NotFoundError when it has none."""

    @abc.abstractmethod
    def set_alias_rule(
        self,
        entity: str,
        registry: str,
        collection: str,
        alias: str,
        rule: dict[str, Any] | None,
    ) -> Collection:
        """Set (or with None remove) the promotion rule of ``alias``; return the collection.

        A rule is ``{"metric": summary key, "op": ">=" …, "value": number}``
        (see :func:`heron.artifacts.registry.check_rule`), or an evaluation
        gate ``{"kind": "evaluation", "scorer": "accuracy.mean", "op", "value"}``:
        the newest finished, successful ``Evaluation.evaluate`` call in the
        source version's project whose ``heron.artifact`` attribute names the
        version (``entity/project/name:v3``, ``name:v3``, or by digest) must
        have that summary path pass. The version that holds the alias now is
        not re-checked.
        """

    @abc.abstractmethod
    def alias_history(self, entity: str, registry: str, collection: str) -> list[AliasChange]:
        """Every alias change of the collection, oldest first."""

    # ------------------------------------------------------------------ automations

    @abc.abstractmethod
    def create_automation(
        self,
        entity: str,
        name: str,
        trigger: dict[str, Any],
        action: dict[str, Any],
        *,
        project: str | None = None,
        secret: str | None = None,
        enabled: bool = True,
    ) -> Automation:
        """Create an automation (see :mod:`heron.artifacts.registry` for triggers and actions).

        ``project`` None listens to every project of the entity. ``secret``
        signs webhook bodies (``X-Heron-Signature: sha256=<hmac>``). Names
        are unique per entity (ConflictError); bad triggers or actions raise
        InvalidValueError saying what is expected.
        """

    @abc.abstractmethod
    def list_automations(self, entity: str) -> list[Automation]:
        """The entity's automations, oldest first."""

    @abc.abstractmethod
    def set_automation_enabled(self, entity: str, automation_id: int, enabled: bool) -> Automation:
        """Enable or disable an automation (disabled ones ignore events); NotFoundError."""

    @abc.abstractmethod
    def delete_automation(self, entity: str, automation_id: int) -> None:
        """Delete an automation and its deliveries; NotFoundError when there is none."""

    @abc.abstractmethod
    def list_deliveries(
        self, entity: str, automation_id: int, *, limit: int = 100, before: int | None = None
    ) -> list[Delivery]:
        """An automation's deliveries, newest first; NotFoundError for an unknown automation.

        ``before`` (a delivery id) pages back: only deliveries older than it,
        so the next page starts after the last id of this one, and new
        deliveries arriving meanwhile do not shift it. Deliveries run on a
        background worker, never in the request that caused the event;
        pending ones survive a restart.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
