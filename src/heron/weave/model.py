"""``weave.Model``: attributes plus an inference op, versioned as they change.

A call of a model's op records ``self`` as the model's ref URI, and the model
version is the digest of its attributes and its ops' source: change an
attribute, or the code of ``predict``, and the next call (or
``weave.publish``) makes a new version, with no explicit publish needed.
Calls of one version are found with
``client.get_calls(filter={"input_refs": [model.ref.uri()]})``.

>>> class Greeter(weave.Model):
...     greeting: str
...     @weave.op
...     def predict(self, name: str) -> str:
...         return f"{self.greeting}, {name}!"
>>> Greeter(greeting="Hello").predict("Ada")
'Hello, Ada!'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heron.errors import UsageError
from heron.weave.objects import Object

INFER_METHOD_NAMES = ("predict", "invoke", "infer", "forward")
"""The names an inference method may have, looked for in this order."""


class Model(Object):
    """A versioned model: typed attributes and a ``predict`` (or ``invoke``, ``infer``,
    ``forward``) method decorated with ``@weave.op``."""

    def get_infer_method(self) -> Callable[..., Any]:
        """The model's inference method, bound to it; UsageError naming the choices if none."""
        for name in INFER_METHOD_NAMES:
            method = getattr(self, name, None)
            if method is not None:
                return method
        raise UsageError(
            f"{type(self).__name__} has no inference method: define one of"
            f" {', '.join(INFER_METHOD_NAMES)} (decorated with @weave.op)"
        )
