"""Tracing a patched LLM client method: the call around it, and around the streams it returns.

A patched method runs as an :class:`LLMOp` call. When it returns a stream,
the caller gets a :class:`TracedStream` (or :class:`TracedAsyncStream`): a
proxy that yields exactly the client's items, feeds each to an
*accumulator*, and ends the call when the stream is exhausted, closed,
raises, or is dropped. Context-manager helpers that open the request on
enter (Anthropic's ``messages.stream``) get a :class:`TracedStreamManager`:
the call spans the ``with`` block.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from heron.weave import client as _state
from heron.weave.op import Op

if TYPE_CHECKING:
    from heron.weave.call import Call
    from heron.weave.client import WeaveClient

log = logging.getLogger("heron")
_NOT_GIVEN = frozenset({"NotGiven", "Omit"})
"""Class names of the clients' "argument left out" sentinels."""
_UNSTORED = frozenset({"extra_headers"})
"""Arguments never stored: request headers may carry credentials."""


class Accumulator(Protocol):
    """Folds a stream's items into the call's output."""

    def add(self, item: Any) -> None: ...

    def value(self) -> Any: ...


class LLMOp(Op):
    """An op over a client method: its inputs are the arguments the caller passed.

    The clients' methods take keyword arguments with ``omit`` sentinels as
    defaults; only the arguments given are stored, not None ``extra_*`` or
    ``timeout`` ones (the clients' own helpers pass those), nor
    ``extra_headers``, nor ``self`` (the resource object).
    """

    def _inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        inputs = {
            k: v
            for k, v in kwargs.items()
            if type(v).__name__ not in _NOT_GIVEN
            and k not in _UNSTORED
            and not (v is None and (k.startswith("extra_") or k == "timeout"))
        }
        if args:
            inputs["args"] = list(args)
        return inputs


def get(obj: Any, key: str) -> Any:
    """``obj[key]`` for a dict, ``obj.key`` for an object; None when absent."""
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def plain(obj: Any) -> Any:
    """A client model as a dict (``model_dump``); dicts and plain values as they are."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            return dump()
        except Exception:
            return obj
    return obj


class _Ending:
    """One streamed call: gathers the output, and ends the call exactly once."""

    __slots__ = ("_lock", "accumulator", "call", "client", "ended", "op")

    def __init__(self, op: Op, client: WeaveClient, call: Call, accumulator: Accumulator) -> None:
        self.op = op
        self.client = client
        self.call = call
        self.accumulator: Accumulator | None = accumulator
        self.ended = False
        self._lock = threading.Lock()

    def add(self, item: Any) -> None:
        accumulator = self.accumulator
        if accumulator is None:
            return
        try:
            accumulator.add(item)
        except Exception as exc:  # a broken accumulator must not break the stream
            log.warning("heron: could not accumulate a %s stream item: %r", self.op.name, exc)
            self.accumulator = None

    def end(self, exc: BaseException | None = None) -> None:
        with self._lock:
            if self.ended:
                return
            self.ended = True
        output = None
        if self.accumulator is not None:
            try:
                output = self.accumulator.value()
            except Exception as error:
                log.warning("heron: could not build the output of %s: %r", self.op.name, error)
        self.op._finish(self.client, self.call, output, exc)


class TracedStream:
    """A client's stream as the caller sees it, with the call ending when the stream does.

    Anything but iteration and closing goes to the wrapped stream
    (``response``, ``with`` blocks…); ``isinstance`` sees the stream's class.
    """

    def __init__(self, stream: Any, ending: _Ending) -> None:
        self._heron_stream = stream
        self._heron_ending = ending
        self._heron_iterator: Any = None

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(proxy, openai.Stream) stays true
        return type(self._heron_stream)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_heron_"):  # not set yet (a half-built proxy): no recursion
            raise AttributeError(name)
        return getattr(self._heron_stream, name)

    def __iter__(self) -> TracedStream:
        return self

    def __next__(self) -> Any:
        iterator = self._heron_iterator
        if iterator is None:
            iterator = self._heron_iterator = iter(self._heron_stream)
        try:
            item = next(iterator)
        except StopIteration:
            self._heron_ending.end()
            raise
        except BaseException as exc:
            self._heron_ending.end(exc)
            raise
        self._heron_ending.add(item)
        return item

    def close(self) -> None:
        try:
            self._heron_stream.close()
        finally:
            self._heron_ending.end()

    def __enter__(self) -> TracedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:  # dropped without being closed or exhausted
        ending = self.__dict__.get("_heron_ending")
        if ending is not None and not ending.ended:
            ending.end()


class TracedAsyncStream:
    """The async counterpart of :class:`TracedStream`."""

    def __init__(self, stream: Any, ending: _Ending) -> None:
        self._heron_stream = stream
        self._heron_ending = ending
        self._heron_iterator: Any = None

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._heron_stream)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_heron_"):  # not set yet (a half-built proxy): no recursion
            raise AttributeError(name)
        return getattr(self._heron_stream, name)

    def __aiter__(self) -> TracedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        iterator = self._heron_iterator
        if iterator is None:
            iterator = self._heron_iterator = self._heron_stream.__aiter__()
        try:
            item = await iterator.__anext__()
        except StopAsyncIteration:
            self._heron_ending.end()
            raise
        except BaseException as exc:
            self._heron_ending.end(exc)
            raise
        self._heron_ending.add(item)
        return item

    async def close(self) -> None:
        try:
            await self._heron_stream.close()
        finally:
            self._heron_ending.end()

    async def __aenter__(self) -> TracedAsyncStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __del__(self) -> None:
        ending = self.__dict__.get("_heron_ending")
        if ending is not None and not ending.ended:
            ending.end()


Snapshot = Callable[[Any], Any]
"""The output of a managed stream: a function of the stream its manager opened."""


class _Managed:
    """What the managers share: start the call on enter, end it on exit with the snapshot."""

    def __init__(
        self,
        manager: Any,
        op: Op,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        snapshot: Snapshot,
    ) -> None:
        self._heron_manager = manager
        self._heron_op = op
        self._heron_args = args
        self._heron_kwargs = kwargs
        self._heron_snapshot = snapshot
        self._heron_call: tuple[WeaveClient, Call] | None = None
        self._heron_stream: Any = None

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._heron_manager)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_heron_"):  # not set yet (a half-built proxy): no recursion
            raise AttributeError(name)
        return getattr(self._heron_manager, name)

    def _heron_start(self) -> None:
        client = _state.active
        if client is None:
            return
        call = self._heron_op._start(client, self._heron_args, self._heron_kwargs)
        if call is not None:
            self._heron_call = (client, call)

    def _heron_end(self, exc: BaseException | None) -> None:
        started, self._heron_call = self._heron_call, None
        if started is None:
            return
        client, call = started
        output = None
        if self._heron_stream is not None:
            try:
                output = self._heron_snapshot(self._heron_stream)
            except Exception as error:
                log.warning(
                    "heron: could not read the output of %s: %r", self._heron_op.name, error
                )
        self._heron_op._finish(client, call, output, exc)


class TracedStreamManager(_Managed):
    """A ``with client.messages.stream(...) as stream:`` manager; the call spans the block.

    The block gets the client's own stream object. The call's output is
    the stream's message snapshot when the block ends; an exception leaving
    the block is recorded on the call.
    """

    def __enter__(self) -> Any:
        self._heron_start()
        try:
            self._heron_stream = self._heron_manager.__enter__()
        except BaseException as exc:
            self._heron_end(exc)
            raise
        return self._heron_stream

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return self._heron_manager.__exit__(exc_type, exc, tb)
        finally:
            self._heron_end(exc)


class TracedAsyncStreamManager(_Managed):
    """The ``async with`` counterpart of :class:`TracedStreamManager`."""

    async def __aenter__(self) -> Any:
        self._heron_start()
        try:
            self._heron_stream = await self._heron_manager.__aenter__()
        except BaseException as exc:
            self._heron_end(exc)
            raise
        return self._heron_stream

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return await self._heron_manager.__aexit__(exc_type, exc, tb)
        finally:
            self._heron_end(exc)
