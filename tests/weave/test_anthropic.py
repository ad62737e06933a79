"""The Anthropic client, traced: the real ``anthropic`` library against a fake provider on
loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heron import weave
from heron.settings import Settings
from heron.weave.client import WeaveClient
from tests.weave.fake_llm import COMPLETION_TOKENS, PIECES, PROMPT_TOKENS, FakeLLM

anthropic = pytest.importorskip("anthropic")

MODEL = "claude-3-5-sonnet-20241022"
CREATE = "anthropic.Messages.create"
USER = [{"role": "user", "content": "hello there"}]
USAGE = {"requests": 1, "input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def claude(llm: FakeLLM) -> Any:
    return anthropic.Anthropic(base_url=llm.base_url, api_key="test-key", max_retries=0)


@pytest.fixture
def async_claude(llm: FakeLLM) -> Any:
    return anthropic.AsyncAnthropic(base_url=llm.base_url, api_key="test-key", max_retries=0)


def only_call(client: WeaveClient, op_name: str = CREATE) -> weave.Call:
    (call,) = client.get_calls(filter={"op_names": [op_name]})
    return call


def text_of(message: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in message["content"])


def test_a_message_is_a_call_and_its_usage_rolls_up(embedded: WeaveClient, claude: Any) -> None:
    @weave.op
    def answer(question: str) -> str:
        message = claude.messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": question}]
        )
        return str(message.content[0].text)

    assert answer("why?") == "echo: why?"
    root = only_call(embedded, "answer")
    (call,) = root.children()
    assert call.op_name == CREATE
    assert call.inputs == {
        "model": MODEL,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "why?"}],
    }
    assert call.output["_type"] == "Message"
    assert text_of(call.output) == "echo: why?"
    assert call.summary["usage"] == {MODEL: USAGE}
    assert root.summary["usage"] == {MODEL: USAGE}
    costs = embedded.get_call(root.id, include_costs=True).summary["weave"]["costs"][MODEL]
    assert costs["prompt_tokens"] == PROMPT_TOKENS  # input_tokens count as prompt tokens
    assert costs["completion_tokens_total_cost"] == pytest.approx(COMPLETION_TOKENS * 15e-6)


def test_a_stream_yields_the_clients_events_and_is_stored_as_one_message(
    embedded: WeaveClient, claude: Any
) -> None:
    stream = claude.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
    assert isinstance(stream, anthropic.Stream)
    events = list(stream)
    assert [e.type for e in events] == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * PIECES,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    call = only_call(embedded)
    assert call.inputs["stream"] is True
    assert text_of(call.output) == "echo: hello there"
    assert call.output["stop_reason"] == "end_turn"
    # message_start said 1 output token; message_delta's cumulative count replaces it.
    assert call.output["usage"]["output_tokens"] == COMPLETION_TOKENS
    assert call.summary["usage"] == {MODEL: USAGE}


def test_streamed_tool_input_is_parsed(embedded: WeaveClient, claude: Any) -> None:
    tool = {"name": "weather", "input_schema": {"type": "object"}}
    list(
        claude.messages.create(model=MODEL, max_tokens=64, messages=USER, tools=[tool], stream=True)
    )
    output = only_call(embedded).output
    (block,) = output["content"]
    assert {k: block[k] for k in ("type", "id", "name", "input")} == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "weather",
        "input": {"city": "Paris"},
    }
    assert output["stop_reason"] == "tool_use"


def test_the_stream_manager_call_spans_the_with_block(embedded: WeaveClient, claude: Any) -> None:
    with claude.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        assert "".join(stream.text_stream) == "echo: hello there"
        final = stream.get_final_message()
    assert final.usage.output_tokens == COMPLETION_TOKENS
    call = only_call(embedded, "anthropic.Messages.stream")
    assert call.inputs == {"model": MODEL, "max_tokens": 64, "messages": USER}
    assert text_of(call.output) == "echo: hello there"
    assert call.summary["usage"] == {MODEL: USAGE}
    assert call.exception is None


def test_an_error_inside_the_with_block_is_recorded(embedded: WeaveClient, claude: Any) -> None:
    with (
        pytest.raises(KeyError, match="stop"),
        claude.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream,
    ):
        next(iter(stream))
        raise KeyError("stop")
    call = only_call(embedded, "anthropic.Messages.stream")
    assert call.exception is not None and call.exception.startswith("KeyError")


def test_a_server_error_is_recorded_and_the_caller_gets_the_clients_exception(
    embedded: WeaveClient, claude: Any
) -> None:
    with pytest.raises(anthropic.InternalServerError, match="boom"):
        claude.messages.create(model="fail-500", max_tokens=64, messages=USER)
    with (
        pytest.raises(anthropic.InternalServerError),
        claude.messages.stream(model="fail-500", max_tokens=64, messages=USER),
    ):
        pass
    for op_name in (CREATE, "anthropic.Messages.stream"):
        call = only_call(embedded, op_name)
        assert call.exception is not None and call.exception.startswith("InternalServerError")


def test_async_messages_streams_and_managers(embedded: WeaveClient, async_claude: Any) -> None:
    @weave.op
    async def three() -> list[str]:
        done = await async_claude.messages.create(model=MODEL, max_tokens=64, messages=USER)
        stream = await async_claude.messages.create(
            model=MODEL, max_tokens=64, messages=USER, stream=True
        )
        assert isinstance(stream, anthropic.AsyncStream)
        deltas = [e.delta.text async for e in stream if e.type == "content_block_delta"]
        async with async_claude.messages.stream(
            model=MODEL, max_tokens=64, messages=USER
        ) as managed:
            texts = [text async for text in managed.text_stream]
        return [done.content[0].text, "".join(deltas), "".join(texts)]

    assert asyncio.run(three()) == ["echo: hello there"] * 3
    root = only_call(embedded, "three")
    names = [c.op_name for c in root.children()]
    assert names == [
        "anthropic.AsyncMessages.create",
        "anthropic.AsyncMessages.create",
        "anthropic.AsyncMessages.stream",
    ]
    for call in root.children():
        assert text_of(call.output) == "echo: hello there"
    assert root.summary["usage"][MODEL]["requests"] == 3
    assert root.summary["usage"][MODEL]["output_tokens"] == 3 * COMPLETION_TOKENS


def test_autopatch_off_for_anthropic_only(tmp_path: Path, claude: Any) -> None:
    client = weave.init(
        "me/llm",
        settings=Settings(dir=tmp_path),
        autopatch_settings={"anthropic": {"enabled": False}},
    )
    try:
        messages = anthropic.resources.messages.Messages
        assert not hasattr(messages.create, "__heron_original__")
        assert not hasattr(messages.stream, "__heron_original__")
        claude.messages.create(model=MODEL, max_tokens=64, messages=USER)
        with claude.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
            stream.until_done()
        assert len(client.get_calls()) == 0
    finally:
        weave.finish()
