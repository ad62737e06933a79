"""A call: one traced invocation of an op, and the feedback attached to it.

While an op runs, its :class:`Call` lives in memory and gathers its
descendants' token usage and status counts; when it ends the roll-up becomes
its ``summary``. Calls read back from the store (``client.get_calls``) are
the same class, filled from the stored row.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from heron.records import decode_value

if TYPE_CHECKING:
    from heron.weave.client import WeaveClient
    from heron.weave.query import CallsIter

REACTION_TYPE = "wandb.reaction.1"
NOTE_TYPE = "wandb.note.1"
_USAGE_LOCK = threading.Lock()


class Call:
    """One op invocation: ids, inputs, output or exception, summary, timing.

    ``summary`` holds ``status_counts`` (``success``/``error`` over the call
    and its descendants), ``latency_ms``, and ``usage`` per LLM model
    (``requests`` and token counts, summed over the call and its descendants)
    when some op's output carried a ``usage`` dict.
    """

    __slots__ = (
        "_client",
        "_counts",
        "_parent",
        "_usage",
        "attributes",
        "display_name",
        "ended_at",
        "exception",
        "id",
        "inputs",
        "op_name",
        "output",
        "parent_id",
        "started_at",
        "summary",
        "thread_id",
        "trace_id",
        "turn_id",
    )

    def __init__(
        self,
        *,
        id: str,
        trace_id: str,
        parent_id: str | None,
        op_name: str,
        display_name: str | None = None,
        inputs: dict[str, Any] | None = None,
        output: Any = None,
        exception: str | None = None,
        summary: dict[str, Any] | None = None,
        attributes: dict[str, Any] | None = None,
        started_at: float,
        ended_at: float | None = None,
        client: WeaveClient | None = None,
        parent: Call | None = None,
        thread_id: str | None = None,
        turn_id: str | None = None,
    ) -> None:
        self.id = id
        self.trace_id = trace_id
        self.parent_id = parent_id
        self.op_name = op_name
        self.display_name = display_name
        self.inputs = inputs if inputs is not None else {}
        self.output = output
        self.exception = exception
        self.summary = summary if summary is not None else {}
        self.attributes = attributes if attributes is not None else {}
        self.started_at = started_at
        self.ended_at = ended_at
        self.thread_id = thread_id
        self.turn_id = turn_id
        self._client = client
        self._parent = parent
        self._usage: dict[str, dict[str, Any]] | None = None
        self._counts: list[int] | None = None

    @classmethod
    def live(
        cls,
        id: str,
        trace_id: str,
        parent_id: str | None,
        op_name: str,
        inputs: dict[str, Any],
        attributes: dict[str, Any],
        started_at: float,
        client: WeaveClient,
        parent: Call | None,
    ) -> Call:
        """A call that starts now (the op's hot path: no keyword parsing, no defaults)."""
        call = cls.__new__(cls)
        call.id = id
        call.trace_id = trace_id
        call.parent_id = parent_id
        call.op_name = op_name
        call.display_name = None
        call.inputs = inputs
        call.output = None
        call.exception = None
        call.summary = {}
        call.attributes = attributes
        call.started_at = started_at
        call.ended_at = None
        call.thread_id = None
        call.turn_id = None
        call._client = client
        call._parent = parent
        call._usage = None
        call._counts = None
        return call

    def _start_record(self) -> dict[str, Any]:
        """The ``call_start`` record of this call.

        Fields that are None or empty are left out (the store reads a missing
        one as such): a smaller record is cheaper for each thread it passes.
        """
        record = {
            "type": "call_start",
            "id": self.id,
            "trace_id": self.trace_id,
            "op_name": self.op_name,
            "inputs": self.inputs,
            "started_at": self.started_at,
        }
        if self.parent_id is not None:
            record["parent_id"] = self.parent_id
        if self.display_name is not None:
            record["display_name"] = self.display_name
        if self.attributes:
            record["attributes"] = self.attributes
        if self.thread_id is not None:
            record["thread_id"] = self.thread_id
            record["turn_id"] = self.turn_id
        return record

    @classmethod
    def from_dict(cls, data: dict[str, Any], client: WeaveClient | None = None) -> Call:
        """A call from a store row (:data:`heron.store.base.CALL_FIELDS`), NaN tags decoded."""
        fields = dict(data)
        for key in ("inputs", "output", "summary", "attributes"):
            fields[key] = decode_value(fields.get(key))
        fields.setdefault("started_at", None)  # rows read with ``columns`` may lack it
        return cls(**fields, client=client)

    def to_dict(self) -> dict[str, Any]:
        """The call as plain data, with the keys of a store row."""
        return {
            "id": self.id,
            "trace_id": self.trace_id,
            "parent_id": self.parent_id,
            "op_name": self.op_name,
            "display_name": self.display_name,
            "inputs": self.inputs,
            "output": self.output,
            "exception": self.exception,
            "summary": self.summary,
            "attributes": self.attributes,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "thread_id": self.thread_id,
            "turn_id": self.turn_id,
        }

    def __repr__(self) -> str:
        return f"Call(op_name={self.op_name!r}, id={self.id!r})"

    @property
    def project_id(self) -> str | None:
        """``entity/project`` of the client that made or read the call."""
        return self._client.project_id if self._client is not None else None

    def children(self) -> CallsIter:
        """The calls whose parent is this one, in start order."""
        return self._require_client().get_calls(filter={"parent_ids": [self.id]})

    @property
    def feedback(self) -> CallFeedback:
        """Reactions, notes and custom feedback on this call."""
        return CallFeedback(self._require_client(), self.id)

    def _require_client(self) -> WeaveClient:
        from heron.errors import UsageError

        if self._client is None:
            raise UsageError("this call is not bound to a weave client: call weave.init() first")
        return self._client

    # ---------------------------------------------------------------- roll-up (live calls)

    def _add_usage(self, usage: dict[str, dict[str, Any]]) -> None:
        mine = self._usage
        if mine is None:
            mine = self._usage = {}
        for model, counts in usage.items():
            into = mine.setdefault(model, {})
            for key, value in counts.items():
                into[key] = into.get(key, 0) + value

    def _roll_up(self, own_usage: dict[str, dict[str, Any]] | None, failed: bool) -> dict[str, Any]:
        """Fold this ended call's status and usage into its summary and its live parent's;
        return the summary."""
        parent = self._parent
        if parent is None and self._counts is None and not own_usage:  # a lone root: no lock
            status = {"success": 0, "error": 1} if failed else {"success": 1, "error": 0}
            self.summary = {"status_counts": status}
            return self.summary
        with _USAGE_LOCK:
            counts = self._counts or [0, 0]
            counts[1 if failed else 0] += 1
            if own_usage:
                self._add_usage(own_usage)
            if parent is not None and parent.ended_at is None:
                theirs = parent._counts
                if theirs is None:
                    parent._counts = list(counts)
                else:
                    theirs[0] += counts[0]
                    theirs[1] += counts[1]
                if self._usage:
                    parent._add_usage(self._usage)
        summary: dict[str, Any] = {"status_counts": {"success": counts[0], "error": counts[1]}}
        if self._usage:
            summary["usage"] = self._usage
        self.summary = summary
        return summary


def usage_of(output: Any) -> dict[str, dict[str, Any]] | None:
    """``{model: {"requests": 1, token counts...}}`` from an LLM-style output, else None.

    An output carries usage when it is a dict (or object) with a ``usage`` dict
    (or object) of numbers and a ``model`` name, as OpenAI and Anthropic
    responses do.
    """
    if isinstance(output, dict):
        usage, model = output.get("usage"), output.get("model")
    else:
        usage, model = getattr(output, "usage", None), getattr(output, "model", None)
    if usage is None:
        return None
    if not isinstance(usage, dict):
        dump = getattr(usage, "model_dump", None)
        usage = dump() if callable(dump) else getattr(usage, "__dict__", None)
        if not isinstance(usage, dict):
            return None
    counts: dict[str, Any] = {"requests": 1}
    for key, value in usage.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            counts[str(key)] = value
    return {str(model) if model else "unknown": counts}


@dataclasses.dataclass(frozen=True)
class Feedback:
    """One item of feedback on a call."""

    id: str
    call_id: str
    feedback_type: str
    payload: dict[str, Any]
    created_at: float


class CallFeedback:
    """The feedback of one call: add reactions, notes or custom payloads; iterate; purge.

    >>> call.feedback.add_reaction("👍")   # doctest: +SKIP
    >>> call.feedback.add_note("wrong date")   # doctest: +SKIP
    >>> [f.feedback_type for f in call.feedback]   # doctest: +SKIP
    """

    def __init__(self, client: WeaveClient, call_id: str) -> None:
        self._client = client
        self.call_id = call_id

    def add(self, feedback_type: str, payload: dict[str, Any] | None = None, **fields: Any) -> str:
        """Attach ``payload`` (merged with ``fields``) under ``feedback_type``; return its id."""
        body = {**(payload or {}), **fields}
        return self._client._add_feedback(self.call_id, feedback_type, body).id

    def add_reaction(self, emoji: str) -> str:
        """Attach an emoji reaction; return the feedback id."""
        return self.add(REACTION_TYPE, {"emoji": emoji})

    def add_note(self, note: str) -> str:
        """Attach a free-text note; return the feedback id."""
        return self.add(NOTE_TYPE, {"note": note})

    def purge(self, feedback_id: str) -> bool:
        """Delete one item of this project's feedback; False when there was none."""
        return self._client._purge_feedback(feedback_id)

    def _items(self) -> list[Feedback]:
        return self._client._list_feedback(self.call_id)

    def __iter__(self) -> Iterator[Feedback]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return f"CallFeedback(call_id={self.call_id!r})"
