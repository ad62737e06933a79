"""The five built-in scorers; each is a :class:`~heron.weave.scorer.Scorer` with settings."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import field_validator

from heron.errors import UsageError
from heron.weave.op import BoundOp, Op, op
from heron.weave.scorer import Scorer


class StringMatchScorer(Scorer):
    """Whether the output occurs in the target, ignoring case: ``{"string_in_input": bool}``."""

    @op(name="StringMatchScorer.score")
    def score(self, *, output: Any, target: str, **kwargs: Any) -> dict[str, bool]:
        return {"string_in_input": str(output).lower() in str(target).lower()}


class LevenshteinScorer(Scorer):
    """Edit distance from the output to the target: ``{"levenshtein_distance": int}``."""

    @op(name="LevenshteinScorer.score")
    def score(self, *, output: Any, target: str, **kwargs: Any) -> dict[str, int]:
        return {"levenshtein_distance": levenshtein(str(output), str(target))}


class ValidJSONScorer(Scorer):
    """Whether the output is a JSON document: ``{"json_valid": bool}``."""

    @op(name="ValidJSONScorer.score")
    def score(self, *, output: Any, **kwargs: Any) -> dict[str, bool]:
        if not isinstance(output, (str, bytes, bytearray)):
            return {"json_valid": False}
        try:
            json.loads(output)
        except ValueError:
            return {"json_valid": False}
        return {"json_valid": True}


class MultiTaskBinaryClassificationF1(Scorer):
    """Per class of ``class_names``: whether the output's label equals the target's.

    Rows score ``{class: {"correct": bool, "negative": bool}}`` (negative: the
    output says no); the summary is ``{class: {"f1", "precision", "recall"}}``.
    """

    class_names: list[str]

    @op(name="MultiTaskBinaryClassificationF1.score")
    def score(self, *, output: dict[str, Any] | None, target: dict[str, Any]) -> dict[str, Any]:
        result = {}
        for name in self.class_names:
            predicted = output.get(name) if isinstance(output, dict) else None
            result[name] = {"correct": target.get(name) == predicted, "negative": not predicted}
        return result

    @op(name="MultiTaskBinaryClassificationF1.summarize")
    def summarize(self, score_rows: list[Any]) -> dict[str, Any] | None:
        result = {}
        for name in self.class_names:
            col = [r[name] for r in score_rows if isinstance(r, dict) and name in r]
            tp = sum(1 for r in col if r["correct"] and not r["negative"])
            fp = sum(1 for r in col if not r["correct"] and not r["negative"])
            fn = sum(1 for r in col if not r["correct"] and r["negative"])
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            result[name] = {"f1": f1, "precision": precision, "recall": recall}
        return result


class EmbeddingSimilarityScorer(Scorer):
    """Cosine similarity of the output's and the target's embeddings.

    ``embed`` is any function from a string to a vector (a local model, an
    API client you configured); ``is_similar`` is similarity ≥ ``threshold``.
    Scores ``{"similarity_score": float, "is_similar": bool}``.
    """

    embed: Callable[[str], Sequence[float]]
    threshold: float = 0.5

    @field_validator("embed", mode="before")
    @classmethod
    def _as_op(cls, embed: Any) -> Any:
        if isinstance(embed, (Op, BoundOp)):
            return embed
        if not callable(embed):
            raise UsageError("EmbeddingSimilarityScorer(embed=...) takes a function str -> vector")
        return op(embed)  # versioned with the scorer, and traced under its score calls

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        if not -1 <= self.threshold <= 1:
            raise UsageError(f"threshold is a cosine similarity in [-1, 1], not {self.threshold}")

    @op(name="EmbeddingSimilarityScorer.score")
    def score(self, *, output: Any, target: str, **kwargs: Any) -> dict[str, Any]:
        similarity = cosine(self.embed(str(output)), self.embed(str(target)))
        return {"similarity_score": similarity, "is_similar": similarity >= self.threshold}


def levenshtein(a: str, b: str) -> int:
    """The number of single-character inserts, deletes and substitutions from a to b."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cosine(u: Sequence[float], v: Sequence[float]) -> float:
    left, right = [float(x) for x in u], [float(x) for x in v]
    if len(left) != len(right):
        raise UsageError(f"embeddings differ in length ({len(left)} and {len(right)})")
    norm = math.sqrt(sum(x * x for x in left)) * math.sqrt(sum(y * y for y in right))
    return sum(x * y for x, y in zip(left, right, strict=True)) / norm if norm else 0.0
