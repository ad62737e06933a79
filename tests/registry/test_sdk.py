"""The registry from the SDK and ``heron.Api()``: link_model, artifact.link, use_model through
an alias, promotion rules and the alias history, on the embedded store and a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.api import Api
from heron.errors import NotFoundError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings
from tests.registry.conftest import Receiver, wait_for


@pytest.fixture
def api(online: Settings) -> Iterator[Api]:
    with Api(settings=online) as api:
        yield api


def test_link_promote_and_use_a_registered_model(
    online_client: Client,
    online: Settings,
    api: Api,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # use_model downloads into ./artifacts
    registry = api.registry()
    registry.create_collection(
        "digits", description="# Digits CNN\nTrained on MNIST.", tags=["cnn"]
    )
    registry.collection("digits").set_rule("production", "val/accuracy", ">=", 0.95)

    weights = tmp_path / "model.pt"
    runs = []
    for accuracy in (0.91, 0.97):
        run = online_client.init(project="reg")
        run.summary["val/accuracy"] = accuracy
        weights.write_bytes(b"weights %f" % accuracy)
        run.link_model(weights, "digits", name="cnn", aliases=["staging"])
        run.finish()
        runs.append(run)

    collection = api.registry("model").collection("digits")
    assert (collection.description, collection.tags) == ("# Digits CNN\nTrained on MNIST.", ["cnn"])
    versions = collection.versions()
    assert [(v.version, v.source.version_name, v.aliases) for v in versions] == [
        (0, "v0", []),
        (1, "v1", ["latest", "staging"]),
    ]
    assert versions[0].source.created_by == f"{runs[0].entity}/reg/{runs[0].id}"  # lineage kept

    with pytest.raises(UsageError, match=r"requires summary 'val/accuracy' >= 0.95.*has 0.91"):
        collection.set_alias("production", 0)
    collection.set_alias("production", 1)

    user = online_client.init(project="serve")
    path = user.use_model("registry/digits:production")
    assert Path(path).read_bytes() == b"weights 0.970000"
    user.finish()
    used = api.artifact(f"{runs[1].entity}/reg/cnn:v1").used_by()
    assert [r.id for r in used] == [user.id]  # the use is an edge of the source version
    assert api.artifact("registry/digits:production").version == "v1"

    history = [(c.alias, c.from_version, c.to_version) for c in collection.alias_history()]
    assert ("staging", 0, 1) in history and ("production", None, 1) in history
    by_run = {c.actor for c in collection.alias_history() if c.alias == "staging"}
    assert by_run == {f"{r.entity}/reg/{r.id}" for r in runs}  # linked by the runs
    [promoted] = [c for c in collection.alias_history() if c.alias == "production"]
    assert promoted.actor is not None and promoted.actor.startswith("user:")
    assert [r.name for r in api.registries()] == ["model"]
    assert [c.name for c in registry.collections()] == ["digits"]
    with pytest.raises(NotFoundError, match="create_registry"):
        api.registry("nope")


def test_artifact_link_into_another_registry(
    online_client: Client, online: Settings, api: Api
) -> None:
    api.create_registry("datasets", "curated data")
    run = online_client.init(project="reg")
    import heron

    art = heron.Artifact("digits", "dataset")
    with art.new_file("rows.csv") as f:
        f.write("x\n1\n")
    run.log_artifact(art)
    linked = art.link("registry/datasets/golden", aliases=["v-next", "blessed"])
    run.finish()
    assert (linked.registry, linked.collection, linked.version) == ("datasets", "golden", 0)
    assert linked.aliases == ["blessed", "latest", "v-next"]
    with pytest.raises(UsageError, match="registry path"):
        art.link("registry/a/b/c")


def test_api_automations_enable_disable_and_deliveries(
    online_client: Client, online: Settings, api: Api, receiver: Receiver
) -> None:
    auto = api.create_automation(
        "linked",
        {"event": "version_linked", "collection": "digits"},
        {"kind": "webhook", "url": receiver.url("/linked"), "backoff": 0.05},
        secret="k",
    )
    assert [a.name for a in api.automations()] == ["linked"]
    run = online_client.init(project="reg")
    model = Path(online.dir) / "m.pt"
    model.write_bytes(b"m1")
    run.link_model(model, "digits", name="cnn")
    [delivery] = wait_for(
        lambda: [d for d in auto.deliveries() if d.status == "delivered"], what="a delivery"
    )
    body = json.loads(receiver.received("/linked")[0]["body"])
    assert (body["collection"], body["version"], body["author"]) == ("digits", "v0", run.path)
    auto.disable()
    assert not api.automations()[0].enabled
    model.write_bytes(b"m2")
    run.link_model(model, "digits", name="cnn")
    run.finish()
    assert len(auto.deliveries()) == 1 and delivery.response_code == 200
    auto.enable()
    assert api.automations()[0].enabled
    auto.delete()
    assert api.automations() == []
