"""Weave-style LLM tracing: ``from heron import weave`` works as ``import weave``.

>>> from heron import weave
>>> client = weave.init("chatbot")              # doctest: +SKIP
>>> @weave.op
... def answer(question: str) -> str:
...     return "42"
>>> answer("meaning of life?")                  # doctest: +SKIP
'42'
>>> client.get_calls(filter={"op_names": ["answer"]})[0].output   # doctest: +SKIP
'42'

See docs/weave.md. Modules: ``op`` (the decorator), ``call`` (Call,
feedback), ``client`` (init, the write path, queries), ``context``
(the running call, attributes, the context-propagating thread pool),
``serialize`` (never-raising JSON), ``query`` (lazy call lists), ``ids``
(UUIDv7).
"""

from __future__ import annotations

from heron.weave.call import Call, CallFeedback, Feedback
from heron.weave.client import WeaveClient, finish, get_client, init
from heron.weave.context import (
    ThreadPoolExecutor,
    attributes,
    get_current_call,
    require_current_call,
)
from heron.weave.op import Op, op
from heron.weave.query import CallsIter

__all__ = [
    "Call",
    "CallFeedback",
    "CallsIter",
    "Feedback",
    "Op",
    "ThreadPoolExecutor",
    "WeaveClient",
    "attributes",
    "finish",
    "get_client",
    "get_current_call",
    "init",
    "op",
    "require_current_call",
]
