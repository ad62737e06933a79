"""``client.get_calls(query=..., columns=..., include_feedback=True)`` and ``get_feedback``."""

from __future__ import annotations

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient


@weave.op
def score(text: str, n: int) -> dict[str, object]:
    return {"length": len(text) * n, "text": text}


def test_query_columns_and_feedback(client: WeaveClient) -> None:
    for text, n in [("alpha", 1), ("beta", 3), ("Gamma ray", 2)]:
        score(text, n)
    big = client.get_calls(
        query={"$expr": {"$gt": [{"$getField": "output.length"}, {"$literal": 10}]}}
    )
    assert [c.inputs["text"] for c in big] == ["beta", "Gamma ray"]
    assert len(big) == 2 and big[1].inputs["n"] == 2
    gamma = client.get_calls(
        query={
            "$expr": {
                "$contains": {
                    "input": {"$getField": "inputs.text"},
                    "substr": {"$literal": "gamma"},
                    "case_insensitive": True,
                }
            }
        }
    )
    (call,) = list(gamma)
    slim = client.get_calls(columns=["inputs"])[0]
    assert slim.inputs == {"text": "alpha", "n": 1} and slim.output is None
    assert slim.op_name == "score" and slim.summary == {}
    frame = client.get_calls(columns=["output"]).to_pandas()
    assert "output.length" in frame.columns and "inputs.text" not in frame.columns
    thumbs = call.feedback.add_reaction("👍")
    call.feedback.add_note("nice")
    rows = list(client.get_calls(include_feedback=True))
    feedback = rows[2].summary["weave"]["feedback"]
    assert [f["feedback_type"] for f in feedback] == ["wandb.reaction.1", "wandb.note.1"]
    assert rows[0].summary["weave"]["feedback"] == []
    assert [f.id for f in client.get_feedback(reaction="👍")] == [thumbs]
    assert [f.feedback_type for f in client.get_feedback()] == ["wandb.reaction.1", "wandb.note.1"]
    assert client.get_feedback(thumbs)[0].payload == {"emoji": "👍"}
    assert len(client.get_feedback(limit=1)) == 1


def test_bad_queries_raise_at_once(embedded: WeaveClient) -> None:
    with pytest.raises(UsageError, match="unknown query operator"):
        embedded.get_calls(query={"$expr": {"$like": [{"$getField": "op_name"}]}})
    with pytest.raises(UsageError, match="unknown call columns"):
        embedded.get_calls(columns=["nope"])
    with pytest.raises(UsageError, match="feedback id"):
        embedded.get_feedback(query={"$expr": {}})  # type: ignore[arg-type]
