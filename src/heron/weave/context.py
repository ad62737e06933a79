"""The running call and the attributes in effect, held in :mod:`contextvars`.

asyncio copies the context into every task it creates, so a task started
inside an op is a child of that op's call. Threads do not inherit a context:
submit work through :class:`ThreadPoolExecutor` (a drop-in for the standard
one that runs each task in a copy of the submitter's context) or wrap the
function with ``contextvars.copy_context().run``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from heron.errors import UsageError
from heron.weave.ids import uuid7

if TYPE_CHECKING:
    from heron.weave.call import Call

T = TypeVar("T")


class _Unsampled:
    """Stands for a root call that sampling left out: its descendants are not traced either."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unsampled call>"


UNSAMPLED = _Unsampled()
current_call: contextvars.ContextVar[Call | _Unsampled | None] = contextvars.ContextVar(
    "heron_weave_call", default=None
)
current_attributes: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "heron_weave_attributes",
    default={},  # noqa: B039 - never mutated, only replaced
)


current_thread: contextvars.ContextVar[ThreadContext | None] = contextvars.ContextVar(
    "heron_weave_thread", default=None
)


class ThreadContext:
    """The conversation thread in effect: ``thread_id``, and ``turn_id`` of its latest turn.

    Each call started in the thread whose parent is outside it (a root call,
    usually) is a *turn*: its ``turn_id`` is its own id, and its descendants
    carry the same ``turn_id``.
    """

    __slots__ = ("thread_id", "turn_id")

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self.turn_id: str | None = None
        """The id of the latest turn started in this block (None before the first)."""

    def __repr__(self) -> str:
        return f"ThreadContext(thread_id={self.thread_id!r}, turn_id={self.turn_id!r})"


@contextlib.contextmanager
def thread(thread_id: str | None = None) -> Iterator[ThreadContext]:
    """Group the calls made inside the block into one conversation thread.

    ``thread_id`` names the thread (1-36 characters; a new UUIDv7 when None),
    so later blocks with the same id continue it. Nested blocks override the
    outer thread. Works the same in async code (the thread is a context
    variable, which each asyncio task copies).

    >>> with weave.thread("support-42") as t:   # doctest: +SKIP
    ...     answer("hi")          # a turn of thread "support-42"
    ...     print(t.thread_id, t.turn_id)
    """
    if thread_id is None:
        thread_id = uuid7()
    elif not isinstance(thread_id, str) or not 1 <= len(thread_id) <= 36:
        raise UsageError(
            f"weave.thread() takes a thread id of 1-36 characters (or None), not {thread_id!r}"
        )
    context = ThreadContext(thread_id)
    token = current_thread.set(context)
    try:
        yield context
    finally:
        current_thread.reset(token)


def join_thread(call: Call, parent: Any, thread: ThreadContext) -> None:
    """Set a starting call's ``thread_id`` and ``turn_id`` (a new turn unless its parent
    is a call of the same thread)."""
    call.thread_id = thread.thread_id
    if (
        parent is not None
        and getattr(parent, "thread_id", None) == thread.thread_id
        and parent.turn_id is not None
    ):
        call.turn_id = parent.turn_id
    else:
        call.turn_id = thread.turn_id = call.id


def get_current_call() -> Call | None:
    """The call of the op running now in this context, or None outside any traced op."""
    call = current_call.get()
    return None if call is None or call is UNSAMPLED else call  # type: ignore[return-value]


def require_current_call() -> Call:
    """The call of the op running now; raises UsageError outside a traced op.

    >>> @weave.op
    ... def f():
    ...     return weave.require_current_call().id   # doctest: +SKIP
    """
    call = get_current_call()
    if call is None:
        raise UsageError(
            "no call is running: require_current_call() works inside an @weave.op function"
            " after weave.init()"
        )
    return call


@contextlib.contextmanager
def attributes(values: dict[str, Any]) -> Iterator[None]:
    """Attach ``values`` to every call started inside the block (nested blocks merge).

    >>> with weave.attributes({"env": "prod"}):   # doctest: +SKIP
    ...     answer("hi")
    """
    if not isinstance(values, dict):
        raise UsageError(f"weave.attributes() takes a dict, not {type(values).__name__}")
    token = current_attributes.set({**current_attributes.get(), **values})
    try:
        yield
    finally:
        current_attributes.reset(token)


class ThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitting context.

    Calls made by ops in the tasks are children of the call that submitted them
    (the standard pool runs tasks in an empty context: they would be new traces).

    >>> with weave.ThreadPoolExecutor(4) as pool:   # doctest: +SKIP
    ...     answers = list(pool.map(answer, questions))
    """

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
