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
(UUIDv7), ``objects`` (``Object``, ``publish``), ``refs`` (``ref``, ``get``),
``model`` (``Model``), ``dataset`` (``Dataset``, ``Table``), ``integrations``
(tracing the OpenAI and Anthropic clients), ``costs`` (LLM prices), ``evaluation``
(``Evaluation``), ``scorer`` and ``scorers`` (``Scorer``, the built-ins),
``evaluation_logger`` (``EvaluationLogger``).
"""

from __future__ import annotations

from heron.weave import integrations, scorers
from heron.weave.call import Call, CallFeedback, Feedback
from heron.weave.client import WeaveClient, finish, get_client, init
from heron.weave.context import (
    ThreadContext,
    ThreadPoolExecutor,
    attributes,
    get_current_call,
    require_current_call,
    thread,
)
from heron.weave.dataset import Dataset, Table
from heron.weave.evaluation import Evaluation
from heron.weave.evaluation_logger import EvaluationLogger
from heron.weave.model import Model
from heron.weave.objects import Object, publish
from heron.weave.op import Op, op
from heron.weave.query import CallsIter
from heron.weave.refs import ObjectRef, OpRef, TableRef, get, ref
from heron.weave.scorer import Scorer

__all__ = [
    "Call",
    "CallFeedback",
    "CallsIter",
    "Dataset",
    "Evaluation",
    "EvaluationLogger",
    "Feedback",
    "Model",
    "Object",
    "ObjectRef",
    "Op",
    "OpRef",
    "Scorer",
    "Table",
    "TableRef",
    "ThreadContext",
    "ThreadPoolExecutor",
    "WeaveClient",
    "attributes",
    "finish",
    "get",
    "get_client",
    "get_current_call",
    "init",
    "integrations",
    "op",
    "publish",
    "ref",
    "require_current_call",
    "scorers",
    "thread",
]
