"""Heron: experiment tracking and LLM tracing, a drop-in for ``wandb`` and ``weave``.

>>> import heron as wandb
>>> run = wandb.init(project="digits", config={"lr": 0.01})   # doctest: +SKIP
>>> wandb.log({"loss": 0.3})                                    # doctest: +SKIP
>>> wandb.finish()                                              # doctest: +SKIP

The module-level functions are methods of one default client
(:class:`heron.sdk.client.Client`). ``heron.run``, ``heron.config`` and
``heron.summary`` follow the active run (``run`` is None before ``init()``
and after ``finish()``). Importing heron imports no database, HTTP or array
library; those load when first needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from heron._version import __version__
from heron.errors import (
    ConfigError,
    ConflictError,
    HeronError,
    InvalidNameError,
    InvalidValueError,
    NotFoundError,
    NotInitializedError,
    StepError,
    StoreError,
    StoreUnavailableError,
    UsageError,
)
from heron.sdk.client import Client as _Client
from heron.sdk.user_settings import Settings

if TYPE_CHECKING:
    from heron import weave as weave
    from heron.api import Api as Api
    from heron.artifacts import Artifact as Artifact
    from heron.data_types import Audio as Audio
    from heron.data_types import Histogram as Histogram
    from heron.data_types import Html as Html
    from heron.data_types import Image as Image
    from heron.data_types import Object3D as Object3D
    from heron.data_types import Table as Table
    from heron.data_types import Video as Video
    from heron.data_types import plot as plot
    from heron.sdk.run import Run as Run

__all__ = [
    "Api",
    "Artifact",
    "Audio",
    "ConfigError",
    "ConflictError",
    "HeronError",
    "Histogram",
    "Html",
    "Image",
    "InvalidNameError",
    "InvalidValueError",
    "NotFoundError",
    "NotInitializedError",
    "Object3D",
    "Run",
    "Settings",
    "StepError",
    "StoreError",
    "StoreUnavailableError",
    "Table",
    "UsageError",
    "Video",
    "__version__",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "login",
    "plot",
    "run",
    "save",
    "summary",
    "weave",
]

_client = _Client()

init = _client.init
log = _client.log
define_metric = _client.define_metric
finish = _client.finish
save = _client.save
login = _client.login


class _PreInit:
    """What ``heron.config`` / ``heron.summary`` are before ``init()``: any use says so."""

    _name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise NotInitializedError(f"call heron.init() before using heron.{self._name}")

    __getattr__ = __getitem__ = __setitem__ = __setattr__ = __contains__ = __iter__ = _fail

    def __repr__(self) -> str:
        return f"<heron.{self._name}: call heron.init() first>"


_DATA_TYPES = frozenset({"Audio", "Histogram", "Html", "Image", "Object3D", "Table", "Video"})


def __getattr__(name: str) -> Any:
    """The names that follow the active run, and the lazily imported ones (PEP 562)."""
    if name == "run":
        return _client.run
    if name in ("config", "summary"):
        active = _client.run
        return getattr(active, name) if active is not None else _PreInit(name)
    if name == "Api":
        from heron.api import Api

        return Api
    if name == "Artifact":
        from heron.artifacts.artifact import Artifact

        return Artifact
    if name == "Run":
        from heron.sdk.run import Run

        return Run
    if name in _DATA_TYPES:
        import heron.data_types

        return getattr(heron.data_types, name)
    if name == "weave":  # `from heron import weave`: the tracing SDK, imported on first use
        import heron.weave

        return heron.weave
    if name == "plot":  # wandb.plot.line(...) and friends: the module is the namespace
        from heron.data_types import plot

        return plot
    raise AttributeError(f"module 'heron' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
