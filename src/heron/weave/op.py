"""``@weave.op``: trace a function's calls (sync, async, generators, methods).

Before ``weave.init()`` (or when tracing is disabled) an op is its function
plus one check. Traced, a call costs a few microseconds on the caller's
thread: build the inputs dict, serialize it (:mod:`heron.weave.serialize`),
put a ``call_start`` record on the queue, run, put a ``call_end``. The
writer and sender threads do the rest (see :mod:`heron.weave.client`).
Tracing errors are logged, never raised into the user's code; the user's
own exceptions are recorded on the call and re-raised unchanged.
"""

from __future__ import annotations

import functools
import inspect
import logging
import random
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar, overload

from heron.errors import UsageError
from heron.weave import client as _state
from heron.weave.call import Call, usage_of
from heron.weave.context import (
    UNSAMPLED,
    current_attributes,
    current_call,
    current_thread,
    join_thread,
)
from heron.weave.ids import uuid7
from heron.weave.serialize import to_json, to_json_owned

log = logging.getLogger("heron")
F = TypeVar("F", bound=Callable[..., Any])
_EMPTY = inspect.Parameter.empty
_NO_USAGE = frozenset({type(None), int, float, str, bool, list, tuple})
"""Output types that cannot carry token usage (skip the look-up on the hot path)."""


class Op:
    """A traced function; call it as the function, or ``op.call(...)`` for ``(result, Call)``."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        call_display_name: str | Callable[[Call], str] | None = None,
        postprocess_inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        postprocess_output: Callable[[Any], Any] | None = None,
        tracing_sample_rate: float = 1.0,
        accumulator: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        if not callable(fn):
            raise UsageError(f"@weave.op needs a function, not {type(fn).__name__}")
        rate = tracing_sample_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise UsageError(f"tracing_sample_rate must be a number from 0 to 1, not {rate!r}")
        if call_display_name is not None and not (
            isinstance(call_display_name, str) or callable(call_display_name)
        ):
            raise UsageError("call_display_name must be a string or a function of the call")
        self.fn = fn
        self.name = name or _default_name(fn)
        self.call_display_name = call_display_name
        self.postprocess_inputs = postprocess_inputs
        self.postprocess_output = postprocess_output
        self.tracing_sample_rate = float(rate)
        self.accumulator = accumulator
        self._versioned_for: Any = None
        """The client this op's version (its source) was published to."""
        functools.update_wrapper(self, fn)
        self._signature(fn)
        if inspect.isasyncgenfunction(fn):
            self._kind = "agen"
        elif inspect.isgeneratorfunction(fn):
            self._kind = "gen"
        elif inspect.iscoroutinefunction(fn):
            self._kind = "async"
        else:
            self._kind = "sync"

    def _signature(self, fn: Callable[..., Any]) -> None:
        """Precompute how arguments map to names (``inspect.Signature.bind`` is slow)."""
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            params = []
        kinds = inspect.Parameter
        self._positional = tuple(
            p.name for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
        )
        self._var_positional = next(
            (p.name for p in params if p.kind is kinds.VAR_POSITIONAL), None
        )
        self._defaults = tuple(
            (p.name, p.default)
            for p in params
            if p.default is not _EMPTY and p.kind is not kinds.VAR_KEYWORD
        )

    # ---------------------------------------------------------------- calling

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kind = self._kind
        if kind == "sync":
            return self._run_sync(args, kwargs, None)
        if kind == "async":
            return self._run_async(args, kwargs, None)
        if kind == "gen":
            return self._run_gen(args, kwargs, None)
        return self._run_agen(args, kwargs, None)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Run the op and return ``(result, call)``; never raises the op's exception.

        The exception is on ``call.exception`` (the result is None). For an
        async op this returns a coroutine of the pair. Untraced (before
        ``weave.init()``), the call is None.
        """
        holder: list[Call | None] = [None]
        if self._kind == "async":
            return self._call_async(args, kwargs, holder)
        try:
            result = (
                self._run_sync(args, kwargs, holder)
                if self._kind == "sync"
                else (
                    list(self._run_gen(args, kwargs, holder))
                    if self._kind == "gen"
                    else self._run_agen(args, kwargs, holder)
                )
            )
        except Exception:
            result = None
        return result, holder[0]

    async def _call_async(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], holder: list[Call | None]
    ) -> tuple[Any, Call | None]:
        try:
            result = await self._run_async(args, kwargs, holder)
        except Exception:
            result = None
        return result, holder[0]

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return BoundOp(self, instance)

    def __repr__(self) -> str:
        return f"<weave.op {self.name}>"

    # ---------------------------------------------------------------- the four kinds

    def _run_sync(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], holder: list[Call | None] | None
    ) -> Any:
        client = _state.active
        if client is None:
            return self.fn(*args, **kwargs)
        call = self._start(client, args, kwargs)
        if call is None:
            return self._untraced_child(args, kwargs)
        if holder is not None:
            holder[0] = call
        token = current_call.set(call)
        try:
            result = self.fn(*args, **kwargs)
        except BaseException as exc:
            current_call.reset(token)
            self._finish(client, call, None, exc)
            raise
        current_call.reset(token)
        self._finish(client, call, result, None)
        return result

    def _untraced_child(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run a sampled-out root with its descendants untraced too."""
        if current_call.get() is UNSAMPLED:
            return self.fn(*args, **kwargs)
        token = current_call.set(UNSAMPLED)
        try:
            return self.fn(*args, **kwargs)
        finally:
            current_call.reset(token)

    async def _run_async(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], holder: list[Call | None] | None
    ) -> Any:
        client = _state.active
        call = None if client is None else self._start(client, args, kwargs)
        if call is None:
            token = current_call.set(UNSAMPLED) if client is not None else None
            try:
                return await self.fn(*args, **kwargs)
            finally:
                if token is not None:
                    current_call.reset(token)
        assert client is not None
        if holder is not None:
            holder[0] = call
        token = current_call.set(call)
        try:
            result = await self.fn(*args, **kwargs)
        except BaseException as exc:
            current_call.reset(token)
            self._finish(client, call, None, exc)
            raise
        current_call.reset(token)
        self._finish(client, call, result, None)
        return result

    def _run_gen(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], holder: list[Call | None] | None
    ) -> Iterator[Any]:
        client = _state.active
        call = None if client is None else self._start(client, args, kwargs)
        if call is None:
            yield from self.fn(*args, **kwargs)
            return None
        assert client is not None
        if holder is not None:
            holder[0] = call
        gen = self.fn(*args, **kwargs)
        output = _Output(self.accumulator)
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = current_call.set(call)
            try:
                if to_throw is not None:
                    exc, to_throw = to_throw, None
                    item = gen.throw(exc)
                else:
                    item = gen.send(to_send)
            except StopIteration as stop:
                current_call.reset(token)
                self._finish(client, call, output.value(), None)
                return stop.value
            except BaseException as exc:
                current_call.reset(token)
                self._finish(client, call, output.value(), exc)
                raise
            current_call.reset(token)
            output.add(item)
            try:
                to_send = yield item
            except GeneratorExit:  # the consumer closed the generator (or dropped it)
                gen.close()
                self._finish(client, call, output.value(), None)
                raise
            except BaseException as exc:
                to_throw = exc

    async def _run_agen(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], holder: list[Call | None] | None
    ) -> AsyncIterator[Any]:
        client = _state.active
        call = None if client is None else self._start(client, args, kwargs)
        if call is None:
            async for item in self.fn(*args, **kwargs):
                yield item
            return
        assert client is not None
        if holder is not None:
            holder[0] = call
        agen = self.fn(*args, **kwargs)
        output = _Output(self.accumulator)
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = current_call.set(call)
            try:
                if to_throw is not None:
                    exc, to_throw = to_throw, None
                    item = await agen.athrow(exc)
                else:
                    item = await agen.asend(to_send)
            except StopAsyncIteration:
                current_call.reset(token)
                self._finish(client, call, output.value(), None)
                return
            except BaseException as exc:
                current_call.reset(token)
                self._finish(client, call, output.value(), exc)
                raise
            current_call.reset(token)
            output.add(item)
            try:
                to_send = yield item
            except GeneratorExit:
                await agen.aclose()
                self._finish(client, call, output.value(), None)
                raise
            except BaseException as exc:
                to_throw = exc

    # ---------------------------------------------------------------- start and finish

    def _start(
        self, client: _state.WeaveClient, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Call | None:
        """Open a call (put its ``call_start``); None when it is not to be traced."""
        parent = current_call.get()
        if parent is UNSAMPLED:
            return None
        try:
            now_ns = time.time_ns()
            now = now_ns / 1e9
            call_id = uuid7(now_ns)
            if parent is None:
                rate = self.tracing_sample_rate
                if rate < 1.0 and random.random() >= rate:
                    return None
                trace_id, parent_id = call_id, None
            else:
                trace_id, parent_id = parent.trace_id, parent.id  # type: ignore[union-attr]
            if self._versioned_for is not client:
                self._version_for(client)
            inputs = self._inputs(args, kwargs)
            if self.postprocess_inputs is None and client.postprocess_inputs is None:
                inputs = to_json_owned(inputs)  # made here: no copy needed
            else:
                if self.postprocess_inputs is not None:
                    inputs = self.postprocess_inputs(inputs)
                if client.postprocess_inputs is not None:
                    inputs = client.postprocess_inputs(inputs)
                inputs = to_json(inputs)
            attrs = current_attributes.get()
            if client.attributes:
                attrs = {**client.attributes, **attrs}
            attrs = to_json(attrs) if attrs else {}
            call = Call.live(
                call_id,
                trace_id,
                parent_id,
                self.name,
                inputs,
                attrs,
                now,
                client,
                parent,  # type: ignore[arg-type]
            )
            if self.call_display_name is not None:
                call.display_name = self._display_name(call)
            thread = current_thread.get()
            if thread is not None:
                join_thread(call, parent, thread)
            client._open(call, call._start_record())
            return call
        except Exception as exc:
            client._internal_error(f"could not start a call of {self.name}", exc)
            return None

    def _version_for(self, client: _state.WeaveClient) -> None:
        """Publish this op's version (its captured source) once per client, off this thread."""
        self._versioned_for = client
        try:
            from heron.weave.objects import publish_op_later

            publish_op_later(client, self)
        except Exception as exc:
            client._internal_error(f"could not version the op {self.name}", exc)

    def _heron_ref_uri(self) -> str | None:
        """An op passed as a value is stored in calls as its version's ref URI."""
        from heron.weave.objects import op_uri

        return op_uri(self)

    def _inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        names = self._positional
        if len(args) <= len(names):
            # Fewer args than names is fine (defaults, keywords); a strict= keyword would
            # cost a third of this line.
            inputs = dict(zip(names, args))  # noqa: B905
        else:
            inputs = dict(zip(names, args[: len(names)], strict=True))
            inputs[self._var_positional or "args"] = list(args[len(names) :])
        if kwargs:
            inputs.update(kwargs)
        for name, default in self._defaults:
            if name not in inputs:
                inputs[name] = default
        return inputs

    def _display_name(self, call: Call) -> str | None:
        name = self.call_display_name
        if name is None or isinstance(name, str):
            return name
        try:
            value = name(call)
        except Exception as exc:
            log.warning(
                "heron: call_display_name of %s raised %r; using the op name", self.name, exc
            )
            return None
        return value if isinstance(value, str) else str(value)

    def _finish(
        self, client: _state.WeaveClient, call: Call, result: Any, exc: BaseException | None
    ) -> None:
        """Close the call (put its ``call_end``); never raises."""
        try:
            now = time.time()
            output = result
            if exc is None:
                if self.postprocess_output is not None:
                    output = self.postprocess_output(output)
                if client.postprocess_output is not None:
                    output = client.postprocess_output(output)
            usage = None if type(result) in _NO_USAGE else usage_of(result)
            summary = call._roll_up(usage, exc is not None)
            summary["latency_ms"] = (now - call.started_at) * 1000
            call.output = output = to_json(output)
            call.exception = None if exc is None else _describe(exc)
            call.ended_at = now
            client._end(call, output, call.exception, summary, now)
        except Exception as error:
            client._internal_error(f"could not end a call of {self.name}", error)


class BoundOp:
    """An op read from an instance: calling it passes the instance as ``self``."""

    __slots__ = ("instance", "op")

    def __init__(self, op: Op, instance: Any) -> None:
        self.op = op
        self.instance = instance

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.op(self.instance, *args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """See :meth:`Op.call`."""
        return self.op.call(self.instance, *args, **kwargs)

    @property
    def name(self) -> str:
        return self.op.name

    def _heron_ref_uri(self) -> str | None:
        return self.op._heron_ref_uri()

    def __repr__(self) -> str:
        return f"<bound weave.op {self.op.name} of {self.instance!r}>"


class _Output:
    """What a generator op stores: its accumulator's result, else the list of items."""

    __slots__ = ("accumulator", "items", "state")

    def __init__(self, accumulator: Callable[[Any, Any], Any] | None) -> None:
        self.accumulator = accumulator
        self.state: Any = None
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        if self.accumulator is None:
            self.items.append(item)
            return
        try:
            self.state = self.accumulator(self.state, item)
        except Exception as exc:  # a broken accumulator must not break the stream
            log.warning("heron: the accumulator raised %r; keeping the items instead", exc)
            self.accumulator = None
            self.items.append(item)

    def value(self) -> Any:
        return self.items if self.accumulator is None else self.state


def _default_name(fn: Callable[..., Any]) -> str:
    """``Class.method`` or ``function``: the qualified name without ``<locals>`` scopes."""
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if not isinstance(qualname, str):
        return type(fn).__name__
    return qualname.rsplit("<locals>.", 1)[-1]


def _describe(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return f"{type(exc).__name__}: {exc}\n{text}"


@overload
def op(fn: F) -> F: ...


@overload
def op(
    fn: None = None,
    *,
    name: str | None = None,
    call_display_name: str | Callable[[Call], str] | None = None,
    postprocess_inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    postprocess_output: Callable[[Any], Any] | None = None,
    tracing_sample_rate: float = 1.0,
    accumulator: Callable[[Any, Any], Any] | None = None,
) -> Callable[[F], F]: ...


def op(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    call_display_name: str | Callable[[Call], str] | None = None,
    postprocess_inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    postprocess_output: Callable[[Any], Any] | None = None,
    tracing_sample_rate: float = 1.0,
    accumulator: Callable[[Any, Any], Any] | None = None,
) -> Any:
    """Trace a function: ``@weave.op`` bare, or ``@weave.op(name=..., ...)``.

    >>> @weave.op
    ... def answer(question: str) -> str:
    ...     return "42"
    """
    options: dict[str, Any] = {
        "name": name,
        "call_display_name": call_display_name,
        "postprocess_inputs": postprocess_inputs,
        "postprocess_output": postprocess_output,
        "tracing_sample_rate": tracing_sample_rate,
        "accumulator": accumulator,
    }
    if fn is None:
        return lambda f: Op(f, **options)
    return Op(fn, **options)
