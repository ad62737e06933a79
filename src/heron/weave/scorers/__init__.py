"""Built-in scorers: ``weave.scorers.StringMatchScorer`` and friends (no network, no models).

>>> from heron.weave.scorers import LevenshteinScorer
>>> LevenshteinScorer().score(output="kitten", target="sitting")
{'levenshtein_distance': 3}
"""

from __future__ import annotations

from heron.weave.scorer import Scorer, auto_summarize
from heron.weave.scorers.builtin import (
    EmbeddingSimilarityScorer,
    LevenshteinScorer,
    MultiTaskBinaryClassificationF1,
    StringMatchScorer,
    ValidJSONScorer,
)

__all__ = [
    "EmbeddingSimilarityScorer",
    "LevenshteinScorer",
    "MultiTaskBinaryClassificationF1",
    "Scorer",
    "StringMatchScorer",
    "ValidJSONScorer",
    "auto_summarize",
]
