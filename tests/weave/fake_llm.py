"""A fake OpenAI- and Anthropic-compatible HTTP server on loopback, for the integration tests.

It speaks enough of each wire format for the real client libraries:
``POST /v1/chat/completions``, ``POST /v1/responses`` (OpenAI) and
``POST /v1/messages`` (Anthropic), answering JSON or, with ``"stream":
true``, server-sent events as the real APIs send them. The reply echoes the
last user message (``"echo: <text>"``, streamed in :data:`PIECES` pieces)
and the requested model; usage is :data:`PROMPT_TOKENS` /
:data:`COMPLETION_TOKENS`. Models steer failures: ``fail-500`` answers
HTTP 500; ``fail-mid-stream`` sends two events and drops the connection.
A request with ``tools`` is answered with a call of the first tool with
:data:`TOOL_ARGUMENTS` (streamed in pieces too).

    with FakeLLM() as llm:
        client = openai.OpenAI(base_url=llm.openai_url, api_key="test", max_retries=0)
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

PROMPT_TOKENS = 12
COMPLETION_TOKENS = 5
PIECES = 3
CREATED = 1_700_000_000
TOOL_ARGUMENTS = '{"city": "Paris"}'


def last_user_text(messages: Any) -> str:
    """The text of the last user message (string content or text blocks)."""
    if isinstance(messages, str):
        return messages
    for message in reversed(messages or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return "".join(b.get("text", "") for b in content or [] if isinstance(b, dict))
    return ""


def pieces(text: str) -> list[str]:
    """``text`` cut into :data:`PIECES` parts that join back into it."""
    size = max(1, -(-len(text) // PIECES))
    parts = [text[i : i + size] for i in range(0, len(text), size)]
    return parts + [""] * (PIECES - len(parts))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.server.requests.append((self.path, body))
        model = body.get("model", "")
        if model == "fail-500":
            if self.path.endswith("/messages"):
                error: dict[str, Any] = {
                    "type": "error",
                    "error": {"type": "api_error", "message": "boom"},
                }
            else:
                error = {"error": {"message": "boom", "type": "server_error", "code": None}}
            self._json(500, error)
            return
        route = {
            "/v1/chat/completions": self._chat,
            "/v1/responses": self._responses,
            "/v1/messages": self._messages,
        }.get(self.path)
        if route is None:
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        route(body, model)

    # ------------------------------------------------------------ plumbing

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _events(self, events: list[tuple[str | None, dict[str, Any] | str]], model: str) -> None:
        chunks = []
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            head = f"event: {name}\n" if name else ""
            chunks.append(f"{head}data: {text}\n\n".encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(sum(map(len, chunks))))
        self.end_headers()
        for n, chunk in enumerate(chunks):
            if model == "fail-mid-stream" and n == 2:  # drop the connection mid-body
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            self.wfile.write(chunk)
            self.wfile.flush()

    # ------------------------------------------------------------ OpenAI chat completions

    def _chat(self, body: dict[str, Any], model: str) -> None:
        if body.get("tools"):
            self._chat_tool_call(body, model)
            return
        reply = "echo: " + last_user_text(body.get("messages"))
        usage = {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        }
        base = {"id": "chatcmpl-fake", "created": CREATED, "model": model}
        if not body.get("stream"):
            self._json(
                200,
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply},
                            "finish_reason": "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": usage,
                },
            )
            return
        chunk = {**base, "object": "chat.completion.chunk"}
        events: list[tuple[str | None, dict[str, Any] | str]] = []
        for i, part in enumerate(pieces(reply)):
            delta = {"role": "assistant", "content": part} if i == 0 else {"content": part}
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            events.append((None, {**chunk, "choices": [choice]}))
        done = {"index": 0, "delta": {}, "finish_reason": "stop"}
        events.append((None, {**chunk, "choices": [done]}))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append((None, {**chunk, "choices": [], "usage": usage}))
        events.append((None, "[DONE]"))
        self._events(events, model)

    def _chat_tool_call(self, body: dict[str, Any], model: str) -> None:
        name = body["tools"][0]["function"]["name"]
        chunk = {"id": "chatcmpl-tool", "created": CREATED, "model": model}
        chunk["object"] = "chat.completion.chunk"
        first = {"index": 0, "id": "call_1", "type": "function"}
        first["function"] = {"name": name, "arguments": ""}
        events: list[tuple[str | None, dict[str, Any] | str]] = []
        delta: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [first]}
        events.append((None, {**chunk, "choices": [{"index": 0, "delta": delta}]}))
        for part in pieces(TOOL_ARGUMENTS):
            more = {"tool_calls": [{"index": 0, "function": {"arguments": part}}]}
            events.append((None, {**chunk, "choices": [{"index": 0, "delta": more}]}))
        done = {"index": 0, "delta": {}, "finish_reason": "tool_calls"}
        events += [(None, {**chunk, "choices": [done]}), (None, "[DONE]")]
        self._events(events, model)

    # ------------------------------------------------------------ OpenAI responses

    def _responses(self, body: dict[str, Any], model: str) -> None:
        reply = "echo: " + last_user_text(body.get("input"))
        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": reply, "annotations": []}],
        }
        usage = {
            "input_tokens": PROMPT_TOKENS,
            "output_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        response = {
            "id": "resp_fake",
            "object": "response",
            "created_at": CREATED,
            "model": model,
            "status": "completed",
            "output": [message],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage,
        }
        if not body.get("stream"):
            self._json(200, response)
            return
        started = {**response, "status": "in_progress", "output": [], "usage": None}
        events: list[tuple[str | None, dict[str, Any] | str]] = [
            ("response.created", {"type": "response.created", "response": started}),
        ]
        for n, part in enumerate(pieces(reply)):
            events.append(
                (
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "item_id": "msg_fake",
                        "output_index": 0,
                        "content_index": 0,
                        "delta": part,
                        "sequence_number": n + 1,
                    },
                )
            )
        events.append(("response.completed", {"type": "response.completed", "response": response}))
        self._events(events, model)

    # ------------------------------------------------------------ Anthropic messages

    def _messages(self, body: dict[str, Any], model: str) -> None:
        reply = "echo: " + last_user_text(body.get("messages"))
        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": reply}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS},
        }
        if not body.get("stream"):
            self._json(200, message)
            return
        if body.get("tools"):
            self._messages_tool_use(body, model, message)
            return
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 1},
        }
        events: list[tuple[str | None, dict[str, Any] | str]] = [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
        ]
        for part in pieces(reply):
            delta = {"type": "text_delta", "text": part}
            events.append(
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
            )
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": COMPLETION_TOKENS},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        self._events(events, model)

    def _messages_tool_use(self, body: dict[str, Any], model: str, message: dict[str, Any]) -> None:
        block = {"type": "tool_use", "id": "toolu_1", "name": body["tools"][0]["name"]}
        block["input"] = {}
        start = {**message, "content": [], "stop_reason": None}
        events: list[tuple[str | None, dict[str, Any] | str]] = [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": block},
            ),
        ]
        for part in pieces(TOOL_ARGUMENTS):
            delta = {"type": "input_json_delta", "partial_json": part}
            events.append(
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
            )
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                    "usage": {"output_tokens": COMPLETION_TOKENS},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        self._events(events, model)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[tuple[str, dict[str, Any]]]


class FakeLLM:
    """The fake provider, served from a thread on a free 127.0.0.1 port."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.requests = []
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-llm", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def openai_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        """``(path, JSON body)`` of every request so far."""
        return self._server.requests

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
