"""The patcher core: replace a client class's method with a traced one (and back), and a
post-import hook that patches a client package when it is first imported.

A patched method costs one attribute read and one check while no weave
client is active (before ``weave.init`` or after ``weave.finish``); then it
calls the original. Patching is idempotent: a method already traced by
Heron is left as it is.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Literal

from heron.weave import client as _state
from heron.weave.context import current_call
from heron.weave.integrations.settings import OpSettings
from heron.weave.integrations.streams import (
    Accumulator,
    LLMOp,
    Snapshot,
    TracedAsyncStream,
    TracedAsyncStreamManager,
    TracedStream,
    TracedStreamManager,
    _Ending,
)

log = logging.getLogger("heron")
Kind = Literal["sync", "async", "manager", "async_manager"]
_ORIGINAL = "__heron_original__"


def internal_error(what: str, exc: BaseException) -> None:
    """Patching failed: say so and let the user's program go on; raise under pytest."""
    if "PYTEST_CURRENT_TEST" in os.environ:
        raise exc
    log.warning("heron: %s: %r; that client is not traced", what, exc)


class TracedMethod:
    """One client method to trace: where it lives, its op name, how its results are wrapped.

    ``kind`` is ``sync`` or ``async`` for a method that makes the request
    (its stream results, instances of ``stream_types``, are wrapped and
    folded by ``accumulator``), or ``manager``/``async_manager`` for one that
    returns a context manager opening the stream on enter (the output is
    ``snapshot(stream)`` when the block ends).
    """

    def __init__(
        self,
        module: str,
        owner: str,
        attr: str,
        op_name: str,
        *,
        kind: Kind,
        stream_types: Callable[[], tuple[type, ...]] = tuple,
        accumulator: Callable[[], Accumulator] | None = None,
        snapshot: Snapshot | None = None,
    ) -> None:
        self.module = module
        self.owner = owner
        self.attr = attr
        self.op_name = op_name
        self.kind = kind
        self.stream_types = stream_types
        self.accumulator = accumulator
        self.snapshot = snapshot
        self.op: LLMOp | None = None
        self.original: Callable[..., Any] | None = None
        self._streams: tuple[type, ...] = ()

    def __repr__(self) -> str:
        return f"<traced {self.module}.{self.owner}.{self.attr} as {self.op_name}>"

    def _owner(self) -> type | None:
        try:
            module = sys.modules.get(self.module) or importlib.import_module(self.module)
        except ImportError:  # a client version without this part
            return None
        owner = getattr(module, self.owner, None)
        return owner if isinstance(owner, type) else None

    def patch(self, settings: OpSettings) -> bool:
        """Trace the method with these op options; False when the client has no such method."""
        owner = self._owner()
        current = None if owner is None else owner.__dict__.get(self.attr)
        if owner is None or current is None:
            return False
        original = getattr(current, _ORIGINAL, current)
        self.original = original
        self._streams = self.stream_types()
        self.op = LLMOp(
            original,
            name=settings.name or self.op_name,
            call_display_name=settings.call_display_name,
            postprocess_inputs=settings.postprocess_inputs,
            postprocess_output=settings.postprocess_output,
        )
        if getattr(current, "__heron_traced__", None) is not self:
            setattr(owner, self.attr, self._wrapper(original))
        return True

    def unpatch(self) -> None:
        """Put the original method back (nothing when it is not patched)."""
        module = sys.modules.get(self.module)
        owner = getattr(module, self.owner, None) if module is not None else None
        current = owner.__dict__.get(self.attr) if isinstance(owner, type) else None
        if current is not None and hasattr(current, _ORIGINAL):
            setattr(owner, self.attr, getattr(current, _ORIGINAL))
        self.op = None

    # ---------------------------------------------------------------- the wrappers

    def _wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        make = {
            "sync": self._sync,
            "async": self._async,
            "manager": self._manager,
            "async_manager": self._manager,
        }[self.kind]
        wrapper = make(original)
        functools.update_wrapper(wrapper, original)
        setattr(wrapper, _ORIGINAL, original)
        wrapper.__heron_traced__ = self  # type: ignore[attr-defined]
        return wrapper

    def _sync(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def traced(resource: Any, *args: Any, **kwargs: Any) -> Any:
            client, op = _state.active, self.op
            call = None if client is None or op is None else op._start(client, args, kwargs)
            if call is None:
                return original(resource, *args, **kwargs)
            assert client is not None and op is not None
            token = current_call.set(call)
            try:
                result = original(resource, *args, **kwargs)
            except BaseException as exc:
                current_call.reset(token)
                op._finish(client, call, None, exc)
                raise
            current_call.reset(token)
            if self._streams and isinstance(result, self._streams):
                return TracedStream(result, self._ending(op, client, call))
            op._finish(client, call, result, None)
            return result

        return traced

    def _async(self, original: Callable[..., Any]) -> Callable[..., Any]:
        async def traced(resource: Any, *args: Any, **kwargs: Any) -> Any:
            client, op = _state.active, self.op
            call = None if client is None or op is None else op._start(client, args, kwargs)
            if call is None:
                return await original(resource, *args, **kwargs)
            assert client is not None and op is not None
            token = current_call.set(call)
            try:
                result = await original(resource, *args, **kwargs)
            except BaseException as exc:
                current_call.reset(token)
                op._finish(client, call, None, exc)
                raise
            current_call.reset(token)
            if self._streams and isinstance(result, self._streams):
                return TracedAsyncStream(result, self._ending(op, client, call))
            op._finish(client, call, result, None)
            return result

        return traced

    def _manager(self, original: Callable[..., Any]) -> Callable[..., Any]:
        manager_class = TracedStreamManager if self.kind == "manager" else TracedAsyncStreamManager
        snapshot = self.snapshot or (lambda stream: None)

        def traced(resource: Any, *args: Any, **kwargs: Any) -> Any:
            manager = original(resource, *args, **kwargs)
            op = self.op
            if _state.active is None or op is None:
                return manager
            return manager_class(manager, op, args, kwargs, snapshot)

        return traced

    def _ending(self, op: LLMOp, client: _state.WeaveClient, call: Any) -> _Ending:
        accumulator = self.accumulator() if self.accumulator is not None else _Items()
        return _Ending(op, client, call, accumulator)


class _Items:
    """The default accumulator: the list of items."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        self.items.append(item)

    def value(self) -> Any:
        return self.items


# -------------------------------------------------------------------- the import hook


class _PatchingLoader(importlib.abc.Loader):
    """Runs a module's own loader, then a callback (the module is complete by then)."""

    def __init__(self, loader: Any, callback: Callable[[], None]) -> None:
        self.loader = loader
        self.callback = callback

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, get_source…
        if name in ("loader", "callback"):
            raise AttributeError(name)
        return getattr(self.loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        create = getattr(self.loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        module.__loader__ = self.loader  # the module keeps its real loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.callback()


class ImportHook(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder that patches watched packages right after they load.

    It answers only for the watched top-level names (a dict look-up per
    import otherwise) and is on ``sys.meta_path`` only while some are
    watched.
    """

    def __init__(self) -> None:
        self.watched: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()

    def watch(self, module: str, callback: Callable[[], None]) -> None:
        with self._lock:
            self.watched[module] = callback
            if self not in sys.meta_path:
                sys.meta_path.insert(0, self)

    def unwatch(self, module: str) -> None:
        with self._lock:
            self.watched.pop(module, None)
            if not self.watched and self in sys.meta_path:
                sys.meta_path.remove(self)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        callback = self.watched.get(fullname)
        if callback is None:
            return None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None  # not installed (yet): keep watching
        self.unwatch(fullname)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchingLoader(spec.loader, callback)
        return spec
