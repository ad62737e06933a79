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
