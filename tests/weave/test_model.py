"""weave.Model: calls record the model version; a change makes the next; embedded and server."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient


class Greeter(weave.Model):
    greeting: str
    punctuation: str = "!"

    @weave.op
    def predict(self, name: str) -> str:
        return f"{self.greeting}, {name}{self.punctuation}"


def model_versions(client: WeaveClient, name: str) -> list[dict[str, Any]]:
    client.flush()
    return client.store().list_object_versions(client.entity, client.project, name)


def test_calls_record_the_model_version(client: WeaveClient) -> None:
    model = Greeter(greeting="Hello")
    assert model.predict("Ada") == "Hello, Ada!"
    assert model.predict("Bob") == "Hello, Bob!"
    v0 = model.ref
    assert v0 is not None and v0.name == "Greeter"
    calls = list(client.get_calls(filter={"op_names": ["Greeter.predict"]}))
    assert [c.inputs["self"] for c in calls] == [v0.uri(), v0.uri()]
    assert [c.inputs["name"] for c in calls] == ["Ada", "Bob"]
    (stored,) = model_versions(client, "Greeter")
    assert stored["base_object_class"] == "Model" and stored["val"]["greeting"] == "Hello"
    assert stored["val"]["predict"].startswith(
        f"weave:///{client.entity}/{client.project}/op/Greeter.predict:"
    )
    # An equal model is the same version.
    Greeter(greeting="Hello").predict("Cy")
    assert len(model_versions(client, "Greeter")) == 1


def test_a_changed_attribute_makes_a_new_version_on_the_next_call(client: WeaveClient) -> None:
    model = Greeter(greeting="Hello")
    model.predict("Ada")
    v0 = model.ref
    model.greeting = "Howdy"
    assert model.ref is None
    assert model.predict("Ada") == "Howdy, Ada!"
    v1 = model.ref
    assert v1 is not None and v1.digest != v0.digest
    assert [v["val"]["greeting"] for v in model_versions(client, "Greeter")] == ["Hello", "Howdy"]
    ada_v0 = client.get_calls(filter={"input_refs": [v0.uri()]})
    ada_v1 = client.get_calls(filter={"input_refs": [v1.uri()]})
    assert [c.output for c in ada_v0] == ["Hello, Ada!"]
    assert [c.output for c in ada_v1] == ["Howdy, Ada!"]
    # Reading a version back rebuilds the model, ready to run.
    old = weave.ref("Greeter:v0").get()
    assert isinstance(old, Greeter) and old.greeting == "Hello" and old.ref.digest == v0.digest
    assert old.predict("Zed") == "Hello, Zed!"
    assert weave.publish(old).digest == v0.digest


def _module(tmp_path: Path, name: str, source: str) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


MODEL_SOURCE = """
from heron import weave

class Summarizer(weave.Model):
    limit: int

    @weave.op
    def predict(self, text: str) -> str:
        return {body}
"""


def test_changed_predict_code_makes_a_new_version(client: WeaveClient, tmp_path: Path) -> None:
    first = _module(tmp_path, "summarizer_one", MODEL_SOURCE.format(body="text[: self.limit]"))
    second = _module(tmp_path, "summarizer_two", MODEL_SOURCE.format(body="text[-self.limit :]"))
    try:
        a, b = first.Summarizer(limit=3), second.Summarizer(limit=3)
        assert a.predict("abcdef") == "abc" and b.predict("abcdef") == "def"
        assert a.ref.digest != b.ref.digest  # same attributes, other code
        versions = model_versions(client, "Summarizer")
        assert [v["version_index"] for v in versions] == [0, 1]
        ops = client.store().list_object_versions(
            client.entity, client.project, "Summarizer.predict", kind="op"
        )
        assert ["text[: self.limit]" in op["val"]["code"] for op in ops] == [True, False]
        assert weave.publish(first.Summarizer(limit=3)).digest == a.ref.digest
    finally:
        sys.modules.pop("summarizer_one", None)
        sys.modules.pop("summarizer_two", None)


def test_async_and_other_inference_methods(client: WeaveClient) -> None:
    class Echo(weave.Model):
        prefix: str

        @weave.op
        async def invoke(self, text: str) -> str:
            await asyncio.sleep(0)
            return self.prefix + text

    echo = Echo(name="echo-model", prefix="> ")
    assert asyncio.run(echo.get_infer_method()("hi")) == "> hi"
    (call,) = client.get_calls(filter={"op_names": ["Echo.invoke"]})
    assert call.inputs["self"] == echo.ref.uri() and echo.ref.name == "echo-model"

    class Nothing(weave.Model):
        size: int = 1

    with pytest.raises(UsageError, match="predict, invoke, infer, forward"):
        Nothing().get_infer_method()


def test_models_nest_objects_and_datasets(client: WeaveClient) -> None:
    class Prompted(weave.Model):
        prompt: weave.Object
        examples: weave.Dataset

        @weave.op
        def predict(self, q: str) -> str:
            return f"{len(self.examples)}:{q}"

    class Prompt(weave.Object):
        text: str

    examples = weave.Dataset(name="shots", rows=[{"q": "1"}, {"q": "2"}])
    model = Prompted(prompt=Prompt(name="sys", text="Be brief."), examples=examples)
    assert model.predict("x") == "2:x"
    got = weave.ref("Prompted").get()
    assert got.prompt.text == "Be brief." and [r["q"] for r in got.examples] == ["1", "2"]
    assert got.predict("y") == "2:y"


def test_unstorable_attribute(client: WeaveClient, caplog: pytest.LogCaptureFixture) -> None:
    class Holding(weave.Model):
        lock: Any

        @weave.op
        def predict(self, x: int) -> int:
            return x + 1

    model = Holding(lock=threading.Lock())
    with pytest.raises(UsageError, match=r"Holding.lock: a lock is not JSON data"):
        weave.publish(model)
    # Calls still run and are traced; the model is recorded as a plain value.
    assert model.predict(1) == 2
    (call,) = client.get_calls(filter={"op_names": ["Holding.predict"]})
    assert isinstance(call.inputs["self"], dict) and call.inputs["self"]["_type"] == "Holding"
    assert "calls record Holding objects as plain values" in caplog.text
