"""An alias gated on an evaluation, from the SDK: link_model, weave.Evaluation, set_alias;
on the embedded store and a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron import weave
from heron.api import Api
from heron.errors import UsageError
from heron.sdk.client import Client
from heron.settings import Settings


@pytest.fixture
def api(online: Settings) -> Iterator[Api]:
    with Api(settings=online) as api:
        yield api


class Classifier(weave.Model):
    artifact: str
    threshold: float

    @weave.op
    def predict(self, x: float) -> bool:
        return x >= self.threshold


@weave.op
def correct(label: bool, output: bool) -> dict[str, bool]:
    return {"correct": label == output}


ROWS = [{"x": x / 10, "label": x >= 5} for x in range(10)]


def test_an_alias_that_needs_a_passing_evaluation(
    online_client: Client, online: Settings, api: Api, tmp_path: Path
) -> None:
    weights = tmp_path / "model.pt"
    run = online_client.init(project="gated")
    for threshold in (0.5, 0.8):
        weights.write_text(f"threshold {threshold}")
        run.link_model(weights, "classifier", name="clf")
    run.finish()
    collection = api.registry("model").collection("classifier")
    collection.set_evaluation_rule("production", "correct.correct.true_fraction", ">=", 0.9)
    assert collection.rules["production"]["kind"] == "evaluation"
    with pytest.raises(UsageError, match=r"no finished evaluation of .*/gated/clf:v0"):
        collection.set_alias("production", 0)

    weave.init(f"{run.entity}/gated", settings=online)
    try:
        evaluation = weave.Evaluation(dataset=ROWS, scorers=[correct])
        for version, threshold in ((0, 0.5), (1, 0.8)):
            model = Classifier(artifact=f"{run.entity}/gated/clf:v{version}", threshold=threshold)
            asyncio.run(evaluation.evaluate(model))
    finally:
        weave.finish()

    assert collection.set_alias("production", 0).aliases == ["production"]
    refusal = r"'correct.correct.true_fraction' >= 0.9, but evaluation .* has 0.7"
    with pytest.raises(UsageError, match=refusal):
        collection.set_alias("production", 1)
    assert collection.version("production").version == 0
