"""The OpenAI client, traced: the real ``openai`` library against a fake provider on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heron import weave
from heron.errors import UsageError
from heron.settings import Settings
from heron.weave.client import WeaveClient
from heron.weave.integrations import reset_autopatch
from tests.weave.fake_llm import COMPLETION_TOKENS, PIECES, PROMPT_TOKENS, TOOL_ARGUMENTS, FakeLLM

openai = pytest.importorskip("openai")

MODEL = "gpt-4o-mini-2024-07-18"
CREATE = "openai.chat.completions.create"
USER = [{"role": "user", "content": "hello there"}]
USAGE = {
    "requests": 1,
    "prompt_tokens": PROMPT_TOKENS,
    "completion_tokens": COMPLETION_TOKENS,
    "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def oai(llm: FakeLLM) -> Any:
    return openai.OpenAI(base_url=llm.openai_url, api_key="test-key", max_retries=0)


@pytest.fixture
def async_oai(llm: FakeLLM) -> Any:
    return openai.AsyncOpenAI(base_url=llm.openai_url, api_key="test-key", max_retries=0)


def only_call(client: WeaveClient, op_name: str = CREATE) -> weave.Call:
    (call,) = client.get_calls(filter={"op_names": [op_name]})
    return call


def test_a_completion_is_a_call_and_its_usage_rolls_up(embedded: WeaveClient, oai: Any) -> None:
    @weave.op
    def answer(question: str) -> str:
        first = oai.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": question}]
        )
        again = oai.chat.completions.create(model=MODEL, messages=USER, temperature=0.5)
        return first.choices[0].message.content + " / " + again.choices[0].message.content

    assert answer("why?") == "echo: why? / echo: hello there"
    root = only_call(embedded, "answer")
    calls = list(root.children())
    assert [c.op_name for c in calls] == [CREATE, CREATE]
    first, again = calls
    assert first.inputs == {"model": MODEL, "messages": [{"role": "user", "content": "why?"}]}
    assert again.inputs["temperature"] == 0.5  # only the arguments given, no omitted defaults
    assert first.output["_type"] == "ChatCompletion"
    assert first.output["choices"][0]["message"]["content"] == "echo: why?"
    assert first.summary["usage"] == {MODEL: USAGE}
    assert root.summary["usage"][MODEL]["requests"] == 2
    assert root.summary["usage"][MODEL]["total_tokens"] == 2 * USAGE["total_tokens"]
    assert root.summary["status_counts"] == {"success": 3, "error": 0}


def test_a_stream_yields_what_the_client_yields_and_is_stored_as_one_completion(
    embedded: WeaveClient, oai: Any
) -> None:
    stream = oai.chat.completions.create(
        model=MODEL, messages=USER, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    assert len(chunks) == PIECES + 2  # the pieces, the finish, the usage chunk
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: hello there"

    call = only_call(embedded)
    assert call.inputs["stream"] is True
    assert call.output["object"] == "chat.completion"
    (choice,) = call.output["choices"]
    assert choice["message"] == {"role": "assistant", "content": "echo: hello there"}
    assert choice["finish_reason"] == "stop"
    assert call.output["usage"]["total_tokens"] == USAGE["total_tokens"]
    assert call.summary["usage"] == {MODEL: USAGE}
    assert call.exception is None and call.ended_at is not None


def test_a_stream_without_usage_has_none(embedded: WeaveClient, oai: Any) -> None:
    with oai.chat.completions.create(model=MODEL, messages=USER, stream=True) as stream:
        assert len(list(stream)) == PIECES + 1
    call = only_call(embedded)
    assert call.output["usage"] is None
    assert "usage" not in call.summary


def test_streamed_tool_calls_are_joined(embedded: WeaveClient, oai: Any) -> None:
    tool = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    list(oai.chat.completions.create(model=MODEL, messages=USER, tools=[tool], stream=True))
    message = only_call(embedded).output["choices"][0]["message"]
    assert message["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "weather", "arguments": TOOL_ARGUMENTS},
        }
    ]
    assert only_call(embedded).output["choices"][0]["finish_reason"] == "tool_calls"


def test_a_stream_closed_early_ends_its_call_with_what_came(
    embedded: WeaveClient, oai: Any
) -> None:
    stream = oai.chat.completions.create(model=MODEL, messages=USER, stream=True)
    first = next(iter(stream))
    stream.close()
    call = only_call(embedded)
    assert call.ended_at is not None and call.exception is None
    assert call.output["choices"][0]["message"]["content"] == first.choices[0].delta.content


def test_a_server_error_is_recorded_and_the_caller_gets_the_clients_exception(
    embedded: WeaveClient, oai: Any
) -> None:
    with pytest.raises(openai.InternalServerError, match="boom"):
        oai.chat.completions.create(model="fail-500", messages=USER)
    call = only_call(embedded)
    assert call.exception is not None and call.exception.startswith("InternalServerError")
    assert call.output is None
    assert call.summary["status_counts"] == {"success": 0, "error": 1}


def test_a_stream_that_breaks_records_the_error_and_the_partial_output(
    embedded: WeaveClient, oai: Any
) -> None:
    stream = oai.chat.completions.create(model="fail-mid-stream", messages=USER, stream=True)
    got = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            got.append(chunk)
    assert len(got) == 2
    call = only_call(embedded)
    assert call.exception is not None and call.exception.startswith("APIConnectionError")
    content = "".join(c.choices[0].delta.content for c in got)
    assert call.output["choices"][0]["message"]["content"] == content


def test_the_stream_helper_is_traced_through_create(embedded: WeaveClient, oai: Any) -> None:
    with oai.chat.completions.stream(model=MODEL, messages=USER) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "content.done" in events
    assert final.choices[0].message.content == "echo: hello there"
    call = only_call(embedded)
    assert call.inputs == {"model": MODEL, "messages": USER, "stream": True}
    assert call.output["choices"][0]["message"]["content"] == "echo: hello there"


def test_async_completions_and_streams(embedded: WeaveClient, async_oai: Any) -> None:
    @weave.op
    async def both() -> list[str]:
        done = await async_oai.chat.completions.create(model=MODEL, messages=USER)
        stream = await async_oai.chat.completions.create(
            model=MODEL, messages=USER, stream=True, stream_options={"include_usage": True}
        )
        assert isinstance(stream, openai.AsyncStream)
        parts = [c.choices[0].delta.content async for c in stream if c.choices]
        return [done.choices[0].message.content, "".join(p or "" for p in parts)]

    assert asyncio.run(both()) == ["echo: hello there", "echo: hello there"]
    root = only_call(embedded, "both")
    plain, streamed = list(root.children())
    assert plain.op_name == streamed.op_name == CREATE
    assert streamed.output["choices"][0]["message"]["content"] == "echo: hello there"
    assert root.summary["usage"][MODEL]["requests"] == 2
    assert root.summary["usage"][MODEL]["prompt_tokens"] == 2 * PROMPT_TOKENS


def test_async_errors_are_recorded(embedded: WeaveClient, async_oai: Any) -> None:
    async def fail() -> None:
        await async_oai.chat.completions.create(model="fail-500", messages=USER)

    with pytest.raises(openai.InternalServerError):
        asyncio.run(fail())
    assert only_call(embedded).exception.startswith("InternalServerError")


def test_responses_create_and_stream(embedded: WeaveClient, oai: Any, async_oai: Any) -> None:
    response = oai.responses.create(model="gpt-4o", input="hi")
    assert response.output_text == "echo: hi"
    events = [e.type for e in oai.responses.create(model="gpt-4o", input="hi", stream=True)]
    assert events[0] == "response.created" and events[-1] == "response.completed"

    async def streamed() -> str:
        stream = await async_oai.responses.create(model="gpt-4o", input="later", stream=True)
        return "".join([e.delta async for e in stream if e.type == "response.output_text.delta"])

    assert asyncio.run(streamed()) == "echo: later"
    calls = list(embedded.get_calls(filter={"op_names": ["openai.responses.create"]}))
    assert len(calls) == 3
    usage = {"requests": 1, "input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS}
    usage["total_tokens"] = PROMPT_TOKENS + COMPLETION_TOKENS
    for call in calls:
        assert call.output["_type"] == "Response"
        assert call.output["status"] == "completed"
        assert call.summary["usage"] == {"gpt-4o": usage}
    assert calls[2].output["output"][0]["content"][0]["text"] == "echo: later"


def test_op_settings_rename_and_postprocess(tmp_path: Path, oai: Any) -> None:
    def redact(inputs: dict[str, Any]) -> dict[str, Any]:
        return {**inputs, "messages": "<redacted>"}

    settings = {"openai": {"op_settings": {"name": "llm", "postprocess_inputs": redact}}}
    client = weave.init("me/llm", settings=Settings(dir=tmp_path), autopatch_settings=settings)
    try:
        oai.chat.completions.create(model=MODEL, messages=USER)
        call = only_call(client, "llm")
        assert call.inputs == {"model": MODEL, "messages": "<redacted>"}
    finally:
        weave.finish()


@pytest.mark.parametrize(
    "settings",
    [{"openai": {"enabled": False}}, {"disable_autopatch": True}],
    ids=["openai-off", "all-off"],
)
def test_autopatch_off_leaves_the_client_alone(
    tmp_path: Path, oai: Any, settings: dict[str, Any]
) -> None:
    client = weave.init("me/llm", settings=Settings(dir=tmp_path), autopatch_settings=settings)
    try:
        completions = openai.resources.chat.completions.Completions
        assert not hasattr(completions.create, "__heron_original__")

        @weave.op
        def ask() -> str:
            return (
                oai.chat.completions.create(model=MODEL, messages=USER).choices[0].message.content
            )

        assert ask() == "echo: hello there"
        assert [c.op_name for c in client.get_calls()] == ["ask"]
    finally:
        weave.finish()


def test_bad_autopatch_settings_raise_before_anything_changes(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown autopatch_settings key"):
        weave.init("me/llm", settings=Settings(dir=tmp_path), autopatch_settings={"opena1": {}})
    with pytest.raises(UsageError, match="enabled"):
        weave.init(
            "me/llm", settings=Settings(dir=tmp_path), autopatch_settings={"openai": {"enabled": 1}}
        )
    assert weave.get_client() is None


def test_untraced_without_a_client_and_reset_restores_the_methods(tmp_path: Path, oai: Any) -> None:
    weave.init("me/llm", settings=Settings(dir=tmp_path))
    completions = openai.resources.chat.completions.Completions
    assert hasattr(completions.create, "__heron_original__")
    weave.finish()
    done = oai.chat.completions.create(model=MODEL, messages=USER)  # patched, no client: untraced
    assert done.choices[0].message.content == "echo: hello there"
    reset_autopatch()
    assert not hasattr(completions.create, "__heron_original__")
    assert not hasattr(openai.resources.responses.Responses.create, "__heron_original__")


def test_a_client_imported_after_init_is_traced_and_init_does_not_import_it(
    tmp_path: Path, llm: FakeLLM
) -> None:
    script = textwrap.dedent(
        f"""
        import json, sys
        from heron import weave
        from heron.settings import Settings

        client = weave.init("me/late", settings=Settings(dir={str(tmp_path)!r}))
        assert "openai" not in sys.modules, "weave.init imported openai"
        import openai

        oai = openai.OpenAI(base_url={llm.openai_url!r}, api_key="k", max_retries=0)
        oai.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": "x"}}])
        print(json.dumps([c.op_name for c in client.get_calls()]))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERON_", "WANDB_", "WEAVE_"))}
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [CREATE]


def test_costs_of_traced_calls_through_a_server(
    weave_server: Any, tmp_path: Path, oai: Any
) -> None:
    settings = Settings(dir=tmp_path / "home", base_url=weave_server.base_url)
    client = weave.init(f"e{uuid.uuid4().hex[:10]}/llm", settings=settings)
    try:

        @weave.op
        def chat() -> None:
            oai.chat.completions.create(model=MODEL, messages=USER)
            oai.chat.completions.create(model="house-model", messages=USER)

        chat()
        client.add_cost("house-model", prompt_token_cost=0.01, completion_token_cost=0.02)
        root = client.get_calls(filter={"op_names": ["chat"]}, include_costs=True)[0]
        costs = root.summary["weave"]["costs"]
        assert costs[MODEL]["pricing_level"] == "default"
        assert costs[MODEL]["prompt_tokens_total_cost"] == pytest.approx(PROMPT_TOKENS * 0.15e-6)
        # The project price counts from now on: the call started before it, so it has none.
        assert "house-model" not in costs
        client.add_cost("house-model", 0.01, 0.02, effective_date=dt.date(2020, 1, 1))
        root = client.get_call(root.id, include_costs=True)
        house = root.summary["weave"]["costs"]["house-model"]
        assert house["pricing_level"] == "project"
        assert house["prompt_tokens_total_cost"] == pytest.approx(PROMPT_TOKENS * 0.01)
        assert house["completion_tokens_total_cost"] == pytest.approx(COMPLETION_TOKENS * 0.02)
        assert house["effective_date"].startswith("2020-01-01")
        assert {c.llm_id for c in client.query_costs(llm_ids=["house-model"])} == {"house-model"}
        plain = client.get_calls(filter={"op_names": ["chat"]})[0]
        assert "weave" not in plain.summary
    finally:
        weave.finish()


def test_parse_is_its_own_call_and_create_is_not_traced_twice(
    embedded: WeaveClient, oai: Any
) -> None:
    parsed = oai.chat.completions.parse(model=MODEL, messages=USER)
    assert parsed.choices[0].message.content == "echo: hello there"
    (call,) = embedded.get_calls()
    assert call.op_name == "openai.chat.completions.parse"
    assert call.summary["usage"] == {MODEL: USAGE}


def test_explicit_patch_traces_even_with_autopatch_off(tmp_path: Path, oai: Any) -> None:
    settings = Settings(dir=tmp_path)
    client = weave.init("me/llm", settings=settings, autopatch_settings={"disable_autopatch": True})
    try:
        oai.chat.completions.create(model=MODEL, messages=USER)
        weave.integrations.patch_openai({"op_settings": {"name": "explicit"}})
        oai.chat.completions.create(model=MODEL, messages=USER)
        assert [c.op_name for c in client.get_calls()] == ["explicit"]
    finally:
        weave.finish()
