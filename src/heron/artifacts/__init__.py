"""Artifacts: versioned datasets and models with lineage, wandb compatible.

>>> art = heron.Artifact("digits", type="dataset")      # doctest: +SKIP
>>> art.add_dir("data/")                                  # doctest: +SKIP
>>> run.log_artifact(art, aliases=["best"])               # doctest: +SKIP
>>> run.use_artifact("digits:best").download()            # doctest: +SKIP

Importing this package is light: :class:`Artifact` loads on first use, and the
store imports only :mod:`heron.artifacts.entities` from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heron.artifacts.artifact import Artifact as Artifact

__all__ = ["Artifact"]


def __getattr__(name: str) -> Any:
    if name == "Artifact":
        from heron.artifacts.artifact import Artifact

        return Artifact
    raise AttributeError(f"module 'heron.artifacts' has no attribute {name!r}")
