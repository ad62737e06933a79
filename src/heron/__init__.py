"""Heron: experiment tracking and LLM tracing, a drop-in for ``wandb`` and ``weave``."""

from heron._version import __version__

__all__ = ["__version__"]
