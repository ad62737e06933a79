"""What is traced in the ``anthropic`` client, and how its streams become one output.

Traced: ``messages.create`` (sync and async, ``stream=True`` included) as
``anthropic.Messages.create`` / ``anthropic.AsyncMessages.create``, and the
``messages.stream(...)`` context manager as ``anthropic.Messages.stream`` /
``anthropic.AsyncMessages.stream`` (the call spans the ``with`` block). A
stream is folded into one ``Message``-shaped dict: the content blocks
rebuilt from their deltas, and the usage of ``message_start`` updated by
``message_delta`` (whose counts are cumulative, so they replace).
"""

from __future__ import annotations

import json
from typing import Any

from heron.weave.integrations.patcher import TracedMethod
from heron.weave.integrations.streams import get, plain

_MESSAGES = "anthropic.resources.messages"


def _stream_types() -> tuple[type, ...]:
    import anthropic

    return (anthropic.Stream, anthropic.AsyncStream)


def methods() -> list[TracedMethod]:
    """The client methods to trace."""
    return [
        TracedMethod(
            _MESSAGES,
            "Messages",
            "create",
            "anthropic.Messages.create",
            kind="sync",
            stream_types=_stream_types,
            accumulator=MessageAccumulator,
        ),
        TracedMethod(
            _MESSAGES,
            "AsyncMessages",
            "create",
            "anthropic.AsyncMessages.create",
            kind="async",
            stream_types=_stream_types,
            accumulator=MessageAccumulator,
        ),
        TracedMethod(
            _MESSAGES,
            "Messages",
            "stream",
            "anthropic.Messages.stream",
            kind="manager",
            snapshot=message_snapshot,
        ),
        TracedMethod(
            _MESSAGES,
            "AsyncMessages",
            "stream",
            "anthropic.AsyncMessages.stream",
            kind="async_manager",
            snapshot=message_snapshot,
        ),
    ]


def message_snapshot(stream: Any) -> Any:
    """The message a ``MessageStream`` has gathered so far (None before its first event)."""
    current = getattr(stream, "_current_snapshot_or_none", None)
    if callable(current):
        return current()
    try:
        return stream.current_message_snapshot
    except Exception:
        return None


class MessageAccumulator:
    """Folds raw message stream events into one ``Message``-shaped dict."""

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.json_parts: dict[int, list[str]] = {}

    def add(self, event: Any) -> None:
        kind = get(event, "type")
        if kind == "message_start":
            started = plain(get(event, "message"))
            self.message = {"_type": "Message", **(started if isinstance(started, dict) else {})}
            self.message["content"] = list(self.message.get("content") or [])
            return
        message = self.message
        if message is None:
            return
        content: list[dict[str, Any]] = message["content"]
        index = get(event, "index")
        if kind == "content_block_start":
            block = plain(get(event, "content_block"))
            while len(content) <= (index or 0):
                content.append({})
            content[index or 0] = dict(block) if isinstance(block, dict) else {"value": block}
        elif kind == "content_block_delta" and index is not None and index < len(content):
            self._delta(content[index], index, get(event, "delta"))
        elif kind == "content_block_stop" and index in self.json_parts:
            text = "".join(self.json_parts.pop(index))
            try:
                content[index]["input"] = json.loads(text) if text else {}
            except ValueError:
                content[index]["input"] = text
        elif kind == "message_delta":
            delta = plain(get(event, "delta"))
            if isinstance(delta, dict):
                for key, value in delta.items():
                    if value is not None or key in ("stop_reason", "stop_sequence"):
                        message[key] = value
            usage = plain(get(event, "usage"))
            if isinstance(usage, dict):
                into = message.get("usage")
                into = message["usage"] = dict(into) if isinstance(into, dict) else {}
                into.update({k: v for k, v in usage.items() if v is not None})

    def _delta(self, block: dict[str, Any], index: int, delta: Any) -> None:
        kind = get(delta, "type")
        if kind == "text_delta":
            block["text"] = (block.get("text") or "") + (get(delta, "text") or "")
        elif kind == "input_json_delta":
            self.json_parts.setdefault(index, []).append(get(delta, "partial_json") or "")
        elif kind == "thinking_delta":
            block["thinking"] = (block.get("thinking") or "") + (get(delta, "thinking") or "")
        elif kind == "signature_delta":
            block["signature"] = get(delta, "signature")
        elif kind == "citations_delta":
            block["citations"] = [*(block.get("citations") or []), plain(get(delta, "citation"))]

    def value(self) -> Any:
        return self.message
