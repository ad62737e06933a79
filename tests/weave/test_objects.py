"""weave.publish, refs and weave.Object, embedded and against a real server."""

from __future__ import annotations

import importlib.util
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from heron import weave
from heron.errors import NotFoundError, UsageError
from heron.settings import Settings
from heron.store.base import canonical_json, json_digest
from heron.weave.client import WeaveClient
from heron.weave.objects import StoredOp, WeaveObject


class Prompt(weave.Object):
    template: str
    temperature: float = 0.5


class Pipeline(weave.Object):
    prompt: Prompt
    steps: list[str]
    scorer: Any = None
    data: Any = None


@weave.op
def shout(text: str) -> str:
    return text.upper()


def versions(client: WeaveClient, name: str, kind: str = "object") -> list[dict[str, Any]]:
    client.flush()
    return client.store().list_object_versions(client.entity, client.project, name, kind=kind)


def test_same_content_same_version_change_next_version(client: WeaveClient) -> None:
    first = weave.publish(Prompt(name="greeting", template="Hi {name}"))
    again = weave.publish(Prompt(name="greeting", template="Hi {name}"))
    assert again.uri() == first.uri() and first.digest == again.digest
    assert first.uri() == (
        f"weave:///{client.entity}/{client.project}/object/greeting:{first.digest}"
    )
    changed = weave.publish(Prompt(name="greeting", template="Hello {name}"))
    assert changed.digest != first.digest
    assert [v["version_index"] for v in versions(client, "greeting")] == [0, 1]
    assert weave.ref("greeting:v0").get().template == "Hi {name}"
    assert weave.ref("greeting:v1").get().template == "Hello {name}"
    latest = weave.ref("greeting").get()
    assert isinstance(latest, Prompt) and latest.template == "Hello {name}"
    assert latest.ref.digest == changed.digest
    assert weave.ref("greeting:latest").get() == latest
    assert weave.ref(f"greeting:{first.digest}").get().template == "Hi {name}"
    assert weave.get(first.uri()).template == "Hi {name}"
    assert first.get() == Prompt(name="greeting", template="Hi {name}")


def test_publish_sets_ref_and_a_change_clears_it(client: WeaveClient) -> None:
    prompt = Prompt(name="p", template="a")
    assert prompt.ref is None
    ref = prompt.publish()
    assert prompt.ref == ref
    prompt.template = "b"
    assert prompt.ref is None
    assert weave.publish(prompt).digest != ref.digest
    unnamed = Prompt(template="c")
    assert weave.publish(unnamed).name == "Prompt"  # the class name by default
    assert weave.publish(unnamed, name="my prompt!").name == "my-prompt"


def test_nested_objects_ops_and_datasets_resolve(client: WeaveClient) -> None:
    dataset = weave.Dataset(name="examples", rows=[{"q": "a"}, {"q": "b"}])
    pipeline = Pipeline(
        name="pipe",
        prompt=Prompt(name="inner", template="Q: {q}"),
        steps=["one", "two"],
        scorer=shout,
        data=dataset,
    )
    ref = weave.publish(pipeline)
    stored = client.store().get_object(client.entity, client.project, "pipe")["val"]
    assert stored["prompt"].startswith(f"weave:///{client.entity}/{client.project}/object/inner:")
    assert stored["scorer"].startswith(f"weave:///{client.entity}/{client.project}/op/shout:")
    assert stored["data"].startswith(f"weave:///{client.entity}/{client.project}/object/examples:")
    got = ref.get()
    assert isinstance(got, Pipeline) and got.steps == ["one", "two"]
    assert isinstance(got.prompt, Prompt) and got.prompt.template == "Q: {q}"
    assert got.prompt.ref.name == "inner"
    assert got.scorer is shout  # the op is loaded here: the live one
    assert got.scorer("hey") == "HEY"
    assert isinstance(got.data, weave.Dataset) and [r["q"] for r in got.data] == ["a", "b"]
    # A ref may go on into the value.
    assert weave.get(ref.uri() + "/attr/prompt/attr/template") == "Q: {q}"
    assert weave.get(ref.uri() + "/attr/data/attr/rows/index/1") == {"q": "b"}
    assert weave.get(ref.uri() + "/attr/steps/index/0") == "one"
    with pytest.raises(NotFoundError, match="no attr 'nope'"):
        weave.get(ref.uri() + "/attr/nope")


def test_plain_values_and_ops_publish(client: WeaveClient) -> None:
    ref = weave.publish({"temperature": 0.2, "stop": ["\n"], "when": None}, name="settings")
    assert ref.get() == {"temperature": 0.2, "stop": ["\n"], "when": None}
    assert ref.digest == json_digest(canonical_json(ref.get()))
    op_ref = weave.publish(shout)
    assert isinstance(op_ref, weave.OpRef)
    assert op_ref.uri().startswith(f"weave:///{client.entity}/{client.project}/op/shout:")
    assert op_ref.get() is shout
    stored = client.store().get_object(client.entity, client.project, "shout", kind="op")
    assert "return text.upper()" in stored["val"]["code"]
    with pytest.raises(UsageError, match="needs a name"):
        weave.publish({"a": 1})


def test_ops_are_versioned_by_their_source_when_first_called(
    client: WeaveClient, tmp_path: Path
) -> None:
    def load(module: str, body: str) -> Any:
        path = tmp_path / f"{module}.py"
        path.write_text(f"from heron import weave\n\n@weave.op\ndef summarize(text):\n{body}\n")
        spec = importlib.util.spec_from_file_location(module, path)
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        return loaded.summarize

    first = load("ops_one", "    return text[:10]")
    first("a long text to summarize")
    first("called twice: still one version")
    assert len(versions(client, "summarize", "op")) == 1
    second = load("ops_two", "    return text[:20]")
    second("another")
    stored = versions(client, "summarize", "op")
    assert [("text[:10]" in v["val"]["code"], "text[:20]" in v["val"]["code"]) for v in stored] == [
        (True, False),
        (False, True),
    ]
    load("ops_three", "    return text[:10]")("same source as the first: no new version")
    assert len(versions(client, "summarize", "op")) == 2
    # Without a source file (exec, a REPL) the version is the function's repr.
    namespace: dict[str, Any] = {}
    exec("def untitled(text):\n    return text\n", namespace)
    weave.op(namespace["untitled"])("x")
    (untitled,) = versions(client, "untitled", "op")
    assert untitled["val"]["code"] == "<function untitled>"


def test_calls_store_objects_as_refs_and_filter_by_them(client: WeaveClient) -> None:
    @weave.op
    def render(prompt: Prompt, name: str) -> str:
        return prompt.template.format(name=name)

    @weave.op
    def make_prompt(template: str) -> Prompt:
        return Prompt(name="made", template=template)

    prompt = Prompt(name="greeting", template="Hi {name}")
    assert render(prompt, "Ada") == "Hi Ada"
    made = make_prompt("Yo {name}")
    uri = prompt.ref.uri()
    (call,) = client.get_calls(filter={"op_names": ["render"]})
    assert call.inputs["prompt"] == uri
    assert [c.inputs["name"] for c in client.get_calls(filter={"input_refs": [uri]})] == ["Ada"]
    (made_call,) = client.get_calls(filter={"output_refs": [made.ref.uri()]})
    assert made_call.op_name == "make_prompt"
    assert weave.get(made_call.output).template == "Yo {name}"
    any_version = f"weave:///{client.entity}/{client.project}/object/greeting:*"
    assert len(client.get_calls(filter={"input_refs": [any_version]})) == 1


def test_delete_a_version(client: WeaveClient) -> None:
    v0 = weave.publish(Prompt(name="doomed", template="0"))
    v1 = weave.publish(Prompt(name="doomed", template="1"))
    v1.delete()
    assert weave.ref("doomed").get().template == "0"
    with pytest.raises(NotFoundError, match="deleted"):
        weave.ref("doomed:v1").get()
    weave.ref("doomed").get().delete()
    with pytest.raises(NotFoundError, match="deleted"):
        weave.get(v0.uri())
    with pytest.raises(NotFoundError, match="no object 'doomed'"):
        weave.ref("doomed").get()
    # Publishing the same content again brings the version back, under its index.
    assert weave.publish(Prompt(name="doomed", template="0")).digest == v0.digest
    assert weave.ref("doomed:v0").get().template == "0"


def test_objects_whose_class_is_not_here_and_ops_not_loaded(client: WeaveClient) -> None:
    store = client.store()
    val = {"_type": "Elsewhere", "_class_name": "Elsewhere", "_bases": ["Object", "BaseModel"]}
    store.create_object(client.entity, client.project, "far", {**val, "size": 3, "name": "far"})
    far = weave.ref("far").get()
    assert isinstance(far, WeaveObject) and far.size == 3 and far._class_name == "Elsewhere"
    with pytest.raises(AttributeError):
        _ = far.missing
    with pytest.raises(UsageError, match="read-only"):
        far.size = 4
    code = {"_type": "Op", "name": "remote_op", "code": "def remote_op():\n    return 1\n"}
    made = store.create_object(client.entity, client.project, "remote_op", code, kind="op")
    stored = weave.get(f"weave:///{client.entity}/{client.project}/op/remote_op:{made['digest']}")
    assert isinstance(stored, StoredOp) and "return 1" in stored.code
    with pytest.raises(UsageError, match="does not run stored code"):
        stored()


def test_bad_refs_and_values(client: WeaveClient) -> None:
    with pytest.raises(NotFoundError, match="no object 'never-published'"):
        weave.ref("never-published").get()
    with pytest.raises(NotFoundError):
        weave.ref("never-published:v3").get()
    for bad in ("weave:///only/two", "http://x/y", "name:v-one", "a/b", "weave:///e/p/thing/x:v0"):
        with pytest.raises(UsageError):
            weave.ref(bad)
    with pytest.raises(UsageError, match="invalid version"):
        weave.ref("weave:///e/p/object/x:notadigest")

    class Holder(weave.Object):
        thing: Any

    with pytest.raises(UsageError, match=r"Holder.thing: a lock is not JSON data"):
        weave.publish(Holder(name="h", thing=threading.Lock()))
    with pytest.raises(UsageError, match=r"Holder.thing\[1\] has the key 1"):
        weave.publish(Holder(name="h", thing=["ok", {1: "int key"}]))
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(UsageError, match="nested more than"):
        weave.publish(Holder(name="h", thing=cyclic))
    with pytest.raises(UsageError, match="cannot publish 'big'"):
        weave.publish(Holder(name="big", thing=2**70))


def test_publish_needs_an_online_client(tmp_path: Path) -> None:
    weave.finish()
    with pytest.raises(UsageError, match=r"weave.init"):
        weave.publish(Prompt(template="x"))
    with pytest.raises(UsageError, match=r"weave.init"):
        weave.ref("anything")
    settings = Settings(dir=tmp_path / "home", mode="offline")
    client = weave.init(f"e{uuid.uuid4().hex[:8]}/offline", settings=settings)
    try:
        with pytest.raises(UsageError, match="offline"):
            weave.publish(Prompt(template="x"))

        @weave.op
        def use(prompt: Prompt) -> str:
            return prompt.template

        assert use(Prompt(name="kept", template="y")) == "y"  # tracing goes on
    finally:
        weave.finish()
    assert client.log_path is not None and client.log_path.exists()
