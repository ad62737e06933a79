"""Scorers: the built-ins, Scorer classes, column_map, auto_summarize; run in evaluations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient
from heron.weave.scorers import (
    EmbeddingSimilarityScorer,
    LevenshteinScorer,
    MultiTaskBinaryClassificationF1,
    StringMatchScorer,
    ValidJSONScorer,
    auto_summarize,
)


def test_auto_summarize() -> None:
    assert auto_summarize([]) == {}
    assert auto_summarize([None, None]) is None
    assert auto_summarize([1, 2, None, 3]) == {"mean": 2.0}
    assert auto_summarize([True, False, False, True]) == {"true_count": 2, "true_fraction": 0.5}
    assert auto_summarize(["a", "b"]) is None
    assert auto_summarize([{"a": 1, "b": {"c": True}, "s": "x"}, {"a": 3, "b": {"c": False}}]) == {
        "a": {"mean": 2.0},
        "b": {"c": {"true_count": 1, "true_fraction": 0.5}},
    }


def test_builtin_scorers_score_rows() -> None:
    assert StringMatchScorer().score(output="Paris", target="paris, France") == {
        "string_in_input": True
    }
    assert StringMatchScorer().score(output="Lyon", target="Paris") == {"string_in_input": False}
    assert LevenshteinScorer().score(output="kitten", target="sitting") == {
        "levenshtein_distance": 3
    }
    assert LevenshteinScorer().score(output="", target="abc") == {"levenshtein_distance": 3}
    assert ValidJSONScorer().score(output='{"a": [1, 2]}') == {"json_valid": True}
    assert ValidJSONScorer().score(output="{a: 1}") == {"json_valid": False}
    assert ValidJSONScorer().score(output=None) == {"json_valid": False}
    f1 = MultiTaskBinaryClassificationF1(class_names=["spam", "urgent"])
    assert f1.score(
        output={"spam": True, "urgent": False}, target={"spam": True, "urgent": True}
    ) == {
        "spam": {"correct": True, "negative": False},
        "urgent": {"correct": False, "negative": True},
    }
    assert f1.score(output=None, target={"spam": False, "urgent": False})["spam"] == {
        "correct": False,
        "negative": True,
    }


def letter_counts(text: str) -> list[float]:
    return [float(text.count(letter)) for letter in "abc"]


def test_embedding_similarity_takes_any_embedding_function() -> None:
    scorer = EmbeddingSimilarityScorer(embed=letter_counts, threshold=0.9)
    same = scorer.score(output="abc", target="cab")
    assert same["similarity_score"] == pytest.approx(1.0) and same["is_similar"] is True
    apart = scorer.score(output="aaa", target="bbb")
    assert apart == {"similarity_score": 0.0, "is_similar": False}
    with pytest.raises(ValueError, match="str -> vector"):
        EmbeddingSimilarityScorer(embed="text-embedding-3-small")
    with pytest.raises(ValueError, match="threshold"):
        EmbeddingSimilarityScorer(embed=letter_counts, threshold=2)


def test_builtins_in_an_evaluation(client: WeaveClient) -> None:
    rows = [
        {"text": "abc", "target": "abc"},
        {"text": "abd", "target": "abc"},
        {"text": "{}", "target": "zz"},
    ]

    def model(text: str) -> str:
        return text

    scorers = [
        StringMatchScorer(),
        LevenshteinScorer(),
        ValidJSONScorer(),
        EmbeddingSimilarityScorer(embed=letter_counts),
    ]
    summary = asyncio.run(weave.Evaluation(dataset=rows, scorers=scorers).evaluate(model))
    assert summary["StringMatchScorer"] == {
        "string_in_input": {"true_count": 1, "true_fraction": pytest.approx(1 / 3)}
    }
    assert summary["LevenshteinScorer"] == {"levenshtein_distance": {"mean": pytest.approx(1)}}
    assert summary["ValidJSONScorer"] == {
        "json_valid": {"true_count": 1, "true_fraction": pytest.approx(1 / 3)}
    }
    assert set(summary["EmbeddingSimilarityScorer"]) == {"similarity_score", "is_similar"}
    names = {c.op_name for c in client.get_calls()}
    assert {"LevenshteinScorer.score", "EmbeddingSimilarityScorer.score", "letter_counts"} <= names


def test_f1_summarize_in_an_evaluation(client: WeaveClient) -> None:
    rows = [
        {"x": 1, "target": {"spam": True}},
        {"x": 2, "target": {"spam": True}},
        {"x": 3, "target": {"spam": False}},
        {"x": 4, "target": {"spam": False}},
    ]

    def model(x: int) -> dict[str, bool]:
        return {"spam": x in (1, 3)}  # tp 1, fn 1, fp 1, tn 1

    f1 = MultiTaskBinaryClassificationF1(class_names=["spam"])
    summary = asyncio.run(weave.Evaluation(dataset=rows, scorers=[f1]).evaluate(model))
    assert summary["MultiTaskBinaryClassificationF1"] == {
        "spam": {"f1": 0.5, "precision": 0.5, "recall": 0.5}
    }
    names = {c.op_name for c in client.get_calls()}
    assert "MultiTaskBinaryClassificationF1.summarize" in names


class Contains(weave.Scorer):
    case_sensitive: bool = False

    def score(self, *, output: str, expected: str) -> dict[str, bool]:  # made an op
        if self.case_sensitive:
            return {"hit": expected in output}
        return {"hit": expected.lower() in output.lower()}

    def summarize(self, score_rows: list[Any]) -> dict[str, Any]:
        return {"hits": sum(1 for r in score_rows if r.get("hit"))}


def test_scorer_classes_column_map_and_custom_summarize(client: WeaveClient) -> None:
    rows = [{"q": "Paris", "answer": "paris"}, {"q": "Rome", "answer": "milan"}]

    def model(q: str) -> str:
        return f"It is {q}"

    scorer = Contains(column_map={"expected": "answer"})
    summary = asyncio.run(weave.Evaluation(dataset=rows, scorers=[scorer]).evaluate(model))
    assert summary["Contains"] == {"hits": 1}
    score_calls = list(client.get_calls(filter={"op_names": ["Contains.score"]}))
    assert sorted(c.inputs["expected"] for c in score_calls) == ["milan", "paris"]
    assert all(c.inputs["self"].startswith("weave:///") for c in score_calls)
    assert len(list(client.get_calls(filter={"op_names": ["Contains.summarize"]}))) == 1
    # A named instance keys its results by name; a wrong column_map says what to fix.
    strict = Contains(name="strict", case_sensitive=True, column_map={"expected": "answer"})
    summary = asyncio.run(weave.Evaluation(dataset=rows, scorers=[strict]).evaluate(model))
    assert summary == {"strict": {"hits": 0}, "model_latency": summary["model_latency"]}
    bad = Contains(column_map={"wanted": "answer"})
    with pytest.raises(UsageError, match="column_map has the key 'wanted'"):
        asyncio.run(weave.Evaluation(dataset=rows, scorers=[bad]).evaluate(model))
    missing = Contains(column_map={"expected": "gold"})
    with pytest.raises(UsageError, match="mapped to 'gold'"):
        asyncio.run(weave.Evaluation(dataset=rows, scorers=[missing]).evaluate(model))


def test_scorer_mistakes_are_refused() -> None:
    class Both(weave.Scorer):
        def score(self, *, output: str, model_output: str) -> bool:
            return True

    with pytest.raises(ValueError, match="both 'output' and 'model_output'"):
        Both()
    with pytest.raises(ValueError, match="instance of Contains"):
        weave.Evaluation(dataset=[{"a": 1}], scorers=[Contains])
    with pytest.raises(ValueError, match="two scorers are named Contains"):
        weave.Evaluation(dataset=[{"a": 1}], scorers=[Contains(), Contains()])

    def no_output(a: int) -> bool:
        return True

    with pytest.raises(UsageError, match="must take an 'output'"):
        asyncio.run(weave.Evaluation(dataset=[{"a": 1}], scorers=[no_output]).evaluate(no_output))
