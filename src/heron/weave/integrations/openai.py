"""What is traced in the ``openai`` client, and how its streams become one output.

Traced (sync and async): ``chat.completions.create`` and ``.parse``
(``chat.completions.stream(...)`` goes through ``create``), and
``responses.create`` and ``.parse`` (``responses.stream(...)`` likewise).
A chat stream is folded into one ``ChatCompletion``-shaped dict: the
choices' content, refusals and tool calls joined, the last
``finish_reason``, and ``usage`` from the final chunk, which the API sends
only when asked with ``stream_options={"include_usage": True}``. A
Responses stream's output is the final ``Response`` (from
``response.completed``), which carries the usage.
"""

from __future__ import annotations

from typing import Any

from heron.weave.integrations.patcher import Kind, TracedMethod
from heron.weave.integrations.streams import get, plain

_CHAT = "openai.resources.chat.completions"
_RESPONSES = "openai.resources.responses"


def _stream_types() -> tuple[type, ...]:
    import openai

    return (openai.Stream, openai.AsyncStream)


def methods() -> list[TracedMethod]:
    """The client methods to trace."""
    found = []
    kinds: tuple[tuple[str, Kind], ...] = (("", "sync"), ("Async", "async"))
    for module, resource, op_name, accumulator in (
        (_CHAT, "Completions", "openai.chat.completions", ChatAccumulator),
        (_RESPONSES, "Responses", "openai.responses", ResponseAccumulator),
    ):
        for prefix, kind in kinds:
            owner = prefix + resource
            found.append(
                TracedMethod(
                    module,
                    owner,
                    "create",
                    f"{op_name}.create",
                    kind=kind,
                    stream_types=_stream_types,
                    accumulator=accumulator,
                )
            )
            found.append(TracedMethod(module, owner, "parse", f"{op_name}.parse", kind=kind))
    return found


class ChatAccumulator:
    """Folds ``ChatCompletionChunk`` items into one ``ChatCompletion``-shaped dict."""

    def __init__(self) -> None:
        self.out: dict[str, Any] | None = None
        self.choices: dict[int, dict[str, Any]] = {}
        self.tool_calls: dict[int, dict[int, dict[str, Any]]] = {}

    def add(self, chunk: Any) -> None:
        out = self.out
        if out is None:
            out = self.out = {
                "_type": "ChatCompletion",
                "id": None,
                "object": "chat.completion",
                "created": None,
                "model": None,
                "choices": [],
                "usage": None,
                "system_fingerprint": None,
                "service_tier": None,
            }
        for key in ("id", "created", "model", "system_fingerprint", "service_tier"):
            value = get(chunk, key)
            if value is not None:
                out[key] = value
        usage = get(chunk, "usage")
        if usage is not None:
            out["usage"] = plain(usage)
        for choice in get(chunk, "choices") or ():
            self._add_choice(choice)

    def _add_choice(self, choice: Any) -> None:
        index = get(choice, "index") or 0
        slot = self.choices.get(index)
        if slot is None:
            slot = self.choices[index] = {
                "index": index,
                "message": {"role": "assistant", "content": None},
                "finish_reason": None,
                "logprobs": None,
            }
        message = slot["message"]
        delta = get(choice, "delta")
        if delta is not None:
            role = get(delta, "role")
            if role:
                message["role"] = role
            for key in ("content", "refusal"):
                text = get(delta, key)
                if text is not None:
                    message[key] = (message.get(key) or "") + text
            legacy = get(delta, "function_call")
            if legacy is not None:
                _join_function(message.setdefault("function_call", {}), legacy)
            for call in get(delta, "tool_calls") or ():
                calls = self.tool_calls.setdefault(index, {})
                at = get(call, "index") or 0
                into = calls.setdefault(at, {"id": None, "type": "function", "function": {}})
                for key in ("id", "type"):
                    if get(call, key):
                        into[key] = get(call, key)
                function = get(call, "function")
                if function is not None:
                    _join_function(into["function"], function)
                message["tool_calls"] = [calls[i] for i in sorted(calls)]
        finish = get(choice, "finish_reason")
        if finish is not None:
            slot["finish_reason"] = finish
        logprobs = get(choice, "logprobs")
        if logprobs is not None:
            into_logprobs = slot["logprobs"] or {}
            for key in ("content", "refusal"):
                items = get(logprobs, key)
                if items:
                    into_logprobs[key] = [*(into_logprobs.get(key) or []), *map(plain, items)]
            slot["logprobs"] = into_logprobs

    def value(self) -> Any:
        if self.out is None:
            return None
        self.out["choices"] = [self.choices[i] for i in sorted(self.choices)]
        return self.out


def _join_function(into: dict[str, Any], part: Any) -> None:
    name = get(part, "name")
    if name:
        into["name"] = (into.get("name") or "") + name
    arguments = get(part, "arguments")
    if arguments is not None:
        into["arguments"] = (into.get("arguments") or "") + arguments


class ResponseAccumulator:
    """A Responses stream's output: the last ``Response`` its events carried.

    ``response.completed`` carries the whole response with its usage; if the
    stream stopped before that, the text deltas seen so far are kept too.
    """

    def __init__(self) -> None:
        self.response: Any = None
        self.completed = False
        self.text: list[str] = []

    def add(self, event: Any) -> None:
        response = get(event, "response")
        if response is not None:
            self.response = response
            kind = get(event, "type")
            self.completed = kind in ("response.completed", "response.incomplete")
        if get(event, "type") == "response.output_text.delta":
            self.text.append(get(event, "delta") or "")

    def value(self) -> Any:
        if self.completed or not self.text:
            return self.response
        partial = plain(self.response) if self.response is not None else {}
        out = dict(partial) if isinstance(partial, dict) else {}
        out["output_text"] = "".join(self.text)
        return out
