"""The weave client: ``weave.init`` makes one; ops trace into the active one.

Calls travel the path runs take (see :mod:`heron.sdk.writer` and
:mod:`heron.sdk.sender`): ops put ``call`` (or ``call_start`` then
``call_end``, for calls longer than :data:`START_DELAY`) records on a
bounded :class:`~heron.sdk.writer.RecordQueue`; a writer thread appends them
to this process's *call log* (``<dir>/weave/calls-*.heronlog``, the run log
format); a sender thread ships batches to ``Store.apply_calls``, applied at
most once per (project, log, seq). At exit (or :meth:`WeaveClient.finish`)
what is queued is written and sent within ``settings.finish_timeout``
seconds; what could not be sent stays in the call log. Reads
(``get_calls``…) first :meth:`~WeaveClient.flush`, so a process sees its own
calls.

Offline mode (``HERON_MODE=offline``) writes the call log without sending;
``WEAVE_DISABLED=true`` or ``HERON_MODE=disabled`` runs ops untraced.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from heron.entities import check_name
from heron.errors import UsageError
from heron.records import CALL_LOG_RUN_ID, LOG_SUFFIX, LogHeader, Record
from heron.sdk.sender import CallSink, Sender
from heron.sdk.writer import LogWriter, RecordQueue
from heron.settings import Settings
from heron.weave.call import Call, Feedback

if TYPE_CHECKING:
    from heron.store.base import Store
    from heron.weave.costs import Cost, CostCreateRes
    from heron.weave.query import CallsIter

log = logging.getLogger("heron")

active: WeaveClient | None = None
"""The client ops trace into (None: ops run untraced)."""

START_DELAY = 0.2
"""Seconds a call's ``call_start`` is held back. A call that ends sooner (most do) is
written as one ``call`` record, half the work for the writer, sender and store; a
longer one has its start written then, so live views show it running."""
_LOG_ERRORS_EVERY = 1000
_FLUSH_POLL = 0.005


class WeaveClient:
    """Traces into one project; also the query API over its calls.

    >>> client = weave.init("me/chatbot")    # doctest: +SKIP
    >>> calls = client.get_calls(filter={"op_names": ["answer"]})[:10]   # doctest: +SKIP
    """

    def __init__(
        self,
        entity: str,
        project: str,
        settings: Settings,
        *,
        postprocess_inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        postprocess_output: Callable[[Any], Any] | None = None,
        attributes: dict[str, Any] | None = None,
        store: Store | None = None,
    ) -> None:
        self.entity = check_name("entity", entity)
        self.project = check_name("project", project)
        self.settings = settings
        self.postprocess_inputs = postprocess_inputs
        self.postprocess_output = postprocess_output
        self.attributes = dict(attributes or {})
        self.tracing = settings.mode != "disabled" and not _weave_disabled()
        self._store = store
        self._owns_store = store is None
        self._store_lock = threading.Lock()
        self._pending: dict[str, Record] = {}
        self._pending_lock = threading.Lock()
        self._starts_thread: threading.Thread | None = None
        self._stop_starts = threading.Event()
        self._puts = itertools.count(1)
        self._put_count = 0
        self._errors = 0
        self._finished = False
        self._published: set[tuple[str, str, str]] = set()
        """(kind, name, digest) of what this client stored or queued for the publisher."""
        self._publish_lock = threading.Lock()
        self._publishes: queue.Queue[Callable[[], None] | None] | None = None
        self._publish_error: BaseException | None = None
        self._queue: RecordQueue | None = None
        self._writer: LogWriter | None = None
        self._sender: Sender | None = None
        self.log_path: Path | None = None
        if self.tracing:
            self._start_threads()

    @property
    def project_id(self) -> str:
        """``entity/project``."""
        return f"{self.entity}/{self.project}"

    def __repr__(self) -> str:
        return f"WeaveClient({self.project_id!r})"

    # ---------------------------------------------------------------- the write path

    def _start_threads(self) -> None:
        settings = self.settings
        folder = settings.dir / "weave"
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        stream = f"calls-{time.strftime('%Y%m%d_%H%M%S', time.localtime(now))}-{os.getpid()}-"
        stream += secrets.token_hex(4)
        self.log_path = folder / f"{stream}{LOG_SUFFIX}"
        header = LogHeader(
            stream,
            self.entity,
            self.project,
            CALL_LOG_RUN_ID,
            os.getpid(),
            socket.gethostname(),
            now,
        )
        self._queue = RecordQueue(settings.queue_size)
        self._writer = LogWriter(self.log_path, header, self._queue)
        self._writer.start()
        from heron.weave import blobs

        self.staged = blobs.stager = blobs.BlobStager(folder / f"{stream}.blobs")
        if settings.mode == "online":
            self._sender = Sender(
                self.log_path,
                lambda: cast("Store", CallSink(self.store(), self.staged)),
                heartbeat_interval=settings.heartbeat_interval,
                writer_done=self._writer.written,
                run_id=stream,
            )
            self._writer.on_write = self._sender.wake.set
            self._writer.fsync_decision_timeout = settings.finish_timeout + 5.0
            self._sender.start()
        atexit.register(self.finish)

    def _open(self, call: Call, record: Record) -> None:
        """A call started: hold its ``call_start`` back (see :data:`START_DELAY`).

        A started ancestor that is still held is written first, so a call's
        start always precedes its descendants' records in the log.
        """
        parent = call._parent
        if parent is None:
            # No ancestor to write first, so no lock: one dict store is atomic, and the
            # threads that take held starts pop them under the lock by id.
            self._pending[call.id] = record
        else:
            with self._pending_lock:
                pending = self._pending
                held = pending.pop(parent.id, None)
                if held is not None:
                    self._put(held)
                pending[call.id] = record
        if self._starts_thread is None:
            self._start_starts_thread()

    def _close(self, call: Call, record: Record) -> None:
        """A call ended: write one ``call`` record if its start was held, else ``call_end``."""
        with self._pending_lock:
            start = self._pending.pop(call.id, None)
            if start is not None:
                start.update(record)
                start["type"] = "call"
                record = start
            self._put(record)

    def _end(
        self, call: Call, output: Any, exception: str | None, summary: Any, ended_at: float
    ) -> None:
        """:meth:`_close` for an op's call, the fields filled in place (the traced path)."""
        with self._pending_lock:
            record = self._pending.pop(call.id, None)
            if record is None:
                record = {"type": "call_end", "id": call.id}
            else:
                record["type"] = "call"
            record["output"] = output
            if exception is not None:  # left out on success, like the start's empty fields
                record["exception"] = exception
            record["summary"] = summary
            record["ended_at"] = ended_at
            self._put(record)

    def _start_starts_thread(self) -> None:
        with self._pending_lock:
            if self._starts_thread is not None:
                return
            self._starts_thread = threading.Thread(
                target=self._write_overdue_starts, name="heron-weave-starts", daemon=True
            )
        self._starts_thread.start()

    def _write_overdue_starts(self) -> None:
        """Write the starts of calls running longer than :data:`START_DELAY`, so live views
        see them."""
        while not self._stop_starts.wait(START_DELAY / 2):
            if self._pending:
                self._write_pending(time.time() - START_DELAY)

    def _write_pending(self, started_before: float | None = None) -> None:
        # Insertion order is start order: an ancestor is written before its descendants.
        # Roots are held without the lock (see _open): walk a copy, made in one step.
        with self._pending_lock:
            pending = self._pending
            for call_id, record in pending.copy().items():
                if started_before is None or record["started_at"] < started_before:
                    self._put(pending.pop(call_id))

    def _put(self, record: Record) -> None:
        queue = self._queue
        if queue is None or self._finished:
            return
        self._put_count = next(self._puts)
        queue.put(record)

    def _internal_error(self, what: str, exc: BaseException) -> None:
        """Tracing failed: log it (rate limited), let the user code go on; raise under pytest."""
        self._errors += 1
        if "PYTEST_CURRENT_TEST" in os.environ:
            raise exc
        if self._errors == 1 or self._errors % _LOG_ERRORS_EVERY == 0:
            log.error("heron: %s (%d tracing errors so far): %s", what, self._errors, exc)

    def _publish_later(self, task: Callable[[], None]) -> None:
        """Run ``task`` (store writes of versions a call refers to) on the publisher thread.

        Calls name object and op versions by digest, known before they are
        stored, so the traced code never waits for the store; :meth:`flush`
        waits for the publisher too.
        """
        if self._finished:
            return
        with self._publish_lock:
            if self._publishes is None:
                self._publishes = queue.Queue()
                threading.Thread(
                    target=self._run_publishes,
                    args=(self._publishes,),
                    name="heron-weave-publish",
                    daemon=True,
                ).start()
        self._publishes.put(task)

    def _run_publishes(self, tasks: queue.Queue[Callable[[], None] | None]) -> None:
        while True:
            task = tasks.get()
            try:
                if task is None:
                    return
                task()
            except Exception as exc:
                self._publish_error = exc
                self._errors += 1
                log.error("heron: could not publish an object a call refers to: %s", exc)
            finally:
                tasks.task_done()

    def _wait_publishes(self, deadline: float) -> bool:
        tasks = self._publishes
        while tasks is not None and tasks.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(_FLUSH_POLL)
        error, self._publish_error = self._publish_error, None
        if error is not None and "PYTEST_CURRENT_TEST" in os.environ:
            raise error
        return True

    def store(self) -> Store:
        """The store this client sends to and reads from (opened on first use)."""
        with self._store_lock:
            if self._store is None:
                from heron.store import open_store

                self._store = open_store(self.settings)
            return self._store

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every call so far is in the store (or the log, offline); True if so."""
        deadline = time.monotonic() + (self.settings.finish_timeout if timeout is None else timeout)
        if not self._wait_publishes(deadline):
            return False
        writer, queue = self._writer, self._queue
        if writer is None or queue is None:
            return True
        self._write_pending()
        target = self._put_count
        while writer.seq + writer.dropped < target and writer.is_alive():
            queue.wake.set()
            if time.monotonic() > deadline:
                return False
            queue.drained.wait(_FLUSH_POLL)
            queue.drained.clear()
        sender = self._sender
        if sender is None:
            return writer.seq + writer.dropped >= target
        written = writer.seq
        while True:
            shipper = sender.shipper
            if shipper is not None and shipper.watermark >= written:
                return True
            if not sender.is_alive() or time.monotonic() > deadline:
                return False
            sender.wake.set()
            time.sleep(_FLUSH_POLL)

    def finish(self, timeout: float | None = None) -> None:
        """Stop tracing into this client: write and send what is queued, within the timeout.

        Called at exit; calling it again does nothing. Calls that could not be
        sent stay in :attr:`log_path`.
        """
        global active
        if self._finished:
            return
        self._stop_starts.set()
        self._write_pending()  # calls still running at the end are stored as started
        self._finished = True
        if self._publishes is not None:
            limit = self.settings.finish_timeout if timeout is None else timeout
            if not self._wait_publishes(time.monotonic() + limit):
                log.warning("heron: objects that calls refer to were not all stored in time")
            self._publishes.put(None)
        if active is self:
            active = None
        from heron.weave import blobs

        if blobs.stager is not None and blobs.stager is getattr(self, "staged", None):
            blobs.stager = None  # the sender still uploads what was staged
        writer = self._writer
        if writer is None:
            self.close()
            return
        limit = self.settings.finish_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        writer.close(max(0.1, deadline - time.monotonic()), wait_for_fsync=False)
        sender = self._sender
        if sender is not None:
            sender.wake.set()
            delivered = sender.done.wait(max(0.0, deadline - time.monotonic()))
            writer.decide_fsync(needed=not delivered)
            if not delivered:
                sender.stop()
                reason = f" ({sender.last_error})" if sender.last_error else ""
                log.warning(
                    "heron: could not send every call within %gs%s; they are kept in %s",
                    limit,
                    reason,
                    self.log_path,
                )
        writer.done.wait(max(0.1, deadline - time.monotonic()))
        atexit.unregister(self.finish)
        self.close()

    def close(self) -> None:
        """Release the store's connections if this client opened it (reads reopen it)."""
        if not self._owns_store:
            return
        with self._store_lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

    # ---------------------------------------------------------------- queries

    def _read_store(self) -> Store:
        if self._put_count or self._publishes is not None:
            self.flush()
        return self.store()

    def get_calls(
        self,
        *,
        filter: dict[str, Any] | None = None,
        sort_by: Sequence[Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
        page_size: int = 1000,
        include_costs: bool = False,
        query: dict[str, Any] | None = None,
        columns: Sequence[str] | None = None,
        include_feedback: bool = False,
    ) -> CallsIter:
        """The project's calls matching ``filter``, lazily paged (see :class:`CallsIter`).

        ``filter`` keys: ``op_names``, ``trace_ids``, ``parent_ids``,
        ``call_ids``, ``trace_roots_only``, ``input_refs`` and ``output_refs``
        (calls holding these ``weave:///`` refs; see docs/weave.md) and
        those of :meth:`heron.store.base.Store.get_calls`; ``sort_by`` a list of
        ``(field, "asc"|"desc")`` or ``{"field": ..., "direction": ...}``.
        A bad filter raises UsageError at once. ``include_costs`` adds
        ``summary["weave"]["costs"]`` per model (see :meth:`add_cost`).
        ``query`` is a weave-style ``{"$expr": {...}}`` condition (``$eq``,
        ``$gt``, ``$and``, ``$contains``, ``$in``… over ``$getField`` such as
        ``"inputs.x"``; see docs/weave.md), ``columns`` the call fields to
        fetch (ids and op name always), ``include_feedback`` adds
        ``summary["weave"]["feedback"]``.

        >>> client.get_calls(query={"$expr": {"$gt": [   # doctest: +SKIP
        ...     {"$getField": "inputs.x"}, {"$literal": 3}]}})
        """
        from heron.store.sql.calls import check_columns, check_filter, check_query, check_sort
        from heron.weave.query import CallsIter

        check_filter(filter)
        check_query(query)
        if columns is not None:
            check_columns(columns)
            columns = list(columns)
        order = check_sort(sort_by)
        return CallsIter(
            self,
            filter or {},
            order,
            limit=limit,
            offset=offset,
            page_size=page_size,
            include_costs=include_costs,
            query=query,
            columns=columns,
            include_feedback=include_feedback,
        )

    def get_feedback(
        self,
        query: str | None = None,
        *,
        reaction: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Feedback]:
        """The project's feedback, oldest first: one item by id (``query``), or the
        reactions with this emoji (``reaction``), or all.

        >>> [f.payload["emoji"] for f in client.get_feedback(reaction="👍")]   # doctest: +SKIP
        """
        if query is not None and not isinstance(query, str):
            raise UsageError("get_feedback(query=...) takes a feedback id")
        if reaction is not None and not isinstance(reaction, str):
            raise UsageError("get_feedback(reaction=...) takes one emoji")
        rows = self._read_store().query_feedback(
            self.entity,
            self.project,
            feedback_ids=None if query is None else [query],
            reactions=None if reaction is None else [reaction],
            limit=limit,
            offset=offset,
        )
        return [Feedback(**row) for row in rows]

    def get_call(self, call_id: str, include_costs: bool = False) -> Call:
        """One call by id; raises NotFoundError."""
        row = self._read_store().get_call(
            self.entity, self.project, call_id, include_costs=include_costs
        )
        return Call.from_dict(row, client=self)

    def delete_calls(self, call_ids: Sequence[str]) -> int:
        """Delete calls and all their descendants; return how many calls were deleted."""
        if isinstance(call_ids, str):
            raise UsageError("delete_calls takes a list of call ids, not one string")
        return self._read_store().delete_calls(self.entity, self.project, list(call_ids))

    def _add_feedback(self, call_id: str, feedback_type: str, payload: dict[str, Any]) -> Feedback:
        row = self._read_store().add_feedback(
            self.entity, self.project, call_id, feedback_type, payload
        )
        return Feedback(**row)

    def _list_feedback(self, call_id: str) -> list[Feedback]:
        rows = self._read_store().list_feedback(self.entity, self.project, call_id)
        return [Feedback(**row) for row in rows]

    def _purge_feedback(self, feedback_id: str) -> bool:
        return self.store().purge_feedback(self.entity, self.project, feedback_id)

    # ---------------------------------------------------------------- LLM prices

    def add_cost(
        self,
        llm_id: str,
        prompt_token_cost: float,
        completion_token_cost: float,
        effective_date: Any = None,
        prompt_token_cost_unit: str | None = "USD",
        completion_token_cost_unit: str | None = "USD",
        provider_id: str | None = "default",
    ) -> CostCreateRes:
        """Price ``llm_id`` for this project, per token, from ``effective_date`` (default now).

        Overrides the built-in price table for calls that start from then on
        (see ``get_calls(include_costs=True)``). ``effective_date``: a
        datetime (naive means UTC), a date, an ISO string or Unix seconds.

        >>> client.add_cost("my-llm", 1e-6, 3e-6, effective_date=date(2025, 1, 1))  # doctest: +SKIP
        CostCreateRes(ids=[('my-llm', '...')])
        """
        from heron.weave.costs import CostCreateRes, to_seconds

        cost = {
            "llm_id": llm_id,
            "prompt_token_cost": prompt_token_cost,
            "completion_token_cost": completion_token_cost,
            "effective_date": to_seconds(effective_date),
            "prompt_token_cost_unit": prompt_token_cost_unit,
            "completion_token_cost_unit": completion_token_cost_unit,
            "provider_id": provider_id,
        }
        added = self.store().add_costs(self.entity, self.project, [cost])
        return CostCreateRes(ids=[(row["llm_id"], row["id"]) for row in added])

    def query_costs(
        self,
        query: str | None = None,
        llm_ids: Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[Cost]:
        """This project's prices (not the built-in table): one by id (``query``), or by model.

        >>> client.query_costs(llm_ids=["my-llm"])   # doctest: +SKIP
        """
        from heron.weave.costs import Cost

        if query is not None and not isinstance(query, str):
            raise UsageError("query_costs(query=...) takes a cost id; filter models with llm_ids")
        if isinstance(llm_ids, str):
            raise UsageError("llm_ids must be a list of model names, not one string")
        rows = self.store().query_costs(
            self.entity,
            self.project,
            llm_ids=None if llm_ids is None else list(llm_ids),
            cost_ids=None if query is None else [query],
            limit=limit,
            offset=offset,
        )
        return [Cost.from_dict(row) for row in rows]

    def purge_costs(self, ids: Sequence[str] | str) -> None:
        """Delete this project's prices by id (one id or a list); unknown ids are ignored."""
        cost_ids = [ids] if isinstance(ids, str) else list(ids)
        self.store().purge_costs(self.entity, self.project, cost_ids)


def _weave_disabled() -> bool:
    return os.environ.get("WEAVE_DISABLED", "").strip().lower() in ("1", "true", "yes", "on")


def init(
    project_name: str,
    *,
    settings: Settings | None = None,
    autopatch_settings: Any = None,
    postprocess_inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    postprocess_output: Callable[[Any], Any] | None = None,
    attributes: dict[str, Any] | None = None,
) -> WeaveClient:
    """Start tracing ops into ``project_name`` (``"project"`` or ``"entity/project"``).

    A second ``init`` finishes the previous client first. ``settings`` are
    Heron's (default: from the environment). The OpenAI and Anthropic
    clients are traced (now, or when imported later) unless
    ``autopatch_settings`` says otherwise: ``{"openai": {"enabled": False}}``,
    ``{"disable_autopatch": True}``, or per integration ``{"op_settings":
    {...}}`` (see :mod:`heron.weave.integrations`).

    >>> client = weave.init("chatbot")   # doctest: +SKIP
    """
    global active
    if not isinstance(project_name, str) or not project_name.strip():
        raise UsageError("weave.init() needs a project name: 'project' or 'entity/project'")
    s = settings if settings is not None else Settings.from_env()
    parts = project_name.strip().split("/")
    if len(parts) == 1:
        from heron.sdk.names import default_entity

        entity, project = s.entity or default_entity(), parts[0]
    elif len(parts) == 2:
        entity, project = parts
    else:
        raise UsageError(
            f"invalid project name {project_name!r}: use 'project' or 'entity/project'"
        )
    from heron.weave.integrations.settings import parse_autopatch

    parse_autopatch(autopatch_settings)  # a bad setting raises before anything changes
    if active is not None:
        active.finish()
    client = WeaveClient(
        entity,
        project,
        s,
        postprocess_inputs=postprocess_inputs,
        postprocess_output=postprocess_output,
        attributes=attributes,
    )
    if client.tracing:
        from heron.weave.integrations import autopatch

        autopatch(autopatch_settings)
        active = client
    return client


def get_client() -> WeaveClient | None:
    """The client ops trace into, or None before ``weave.init()``."""
    return active


def finish() -> None:
    """Finish the active client (send what is queued); ops run untraced afterwards."""
    if active is not None:
        active.finish()
