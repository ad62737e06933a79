"""The public query API: ``heron.Api()``, a drop-in for ``wandb.Api()``.

>>> import heron
>>> api = heron.Api()                                          # doctest: +SKIP
>>> run = api.run("me/digits/abc123")                          # doctest: +SKIP
>>> run.history(keys=["val/accuracy"])                          # doctest: +SKIP
"""

from heron.api.api import Api
from heron.api.files import File
from heron.api.run import Run
from heron.api.runs import Project, Runs

__all__ = ["Api", "File", "Project", "Run", "Runs"]
