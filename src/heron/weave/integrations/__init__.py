"""LLM client integrations: ``weave.init`` traces the OpenAI and Anthropic clients.

Each request made through a client becomes a call (``openai.chat.completions.create``,
``openai.responses.create``, ``anthropic.Messages.create``, …) whose inputs are
the arguments given and whose output is the response; streams are wrapped so
the call ends when the stream does, with the chunks folded into one response
and the usage of the stream on it. A package imported after ``weave.init`` is
patched when it loads (a ``sys.meta_path`` hook); nothing here imports a
client package that the program has not imported.

>>> weave.init("chat", autopatch_settings={"openai": {"enabled": False}})   # doctest: +SKIP
>>> weave.integrations.patch_anthropic()   # doctest: +SKIP

Modules: ``settings`` (``autopatch_settings``), ``patcher`` (patching a method,
the import hook), ``streams`` (traced streams), ``openai`` and ``anthropic``
(what is traced in each client, and how streams are folded).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

from heron.errors import UsageError
from heron.weave.integrations.patcher import ImportHook, TracedMethod, internal_error
from heron.weave.integrations.settings import (
    IntegrationSettings,
    OpSettings,
    parse_autopatch,
    parse_integration,
)

__all__ = [
    "IntegrationSettings",
    "OpSettings",
    "autopatch",
    "patch_anthropic",
    "patch_openai",
    "reset_autopatch",
]


class Integration:
    """One client package: the methods traced in it, patched together."""

    def __init__(self, name: str, methods: Callable[[], list[TracedMethod]]) -> None:
        self.name = name
        self.settings = IntegrationSettings()
        self._load_methods = methods
        self._methods: list[TracedMethod] | None = None

    def patch(self) -> int:
        """Trace every method the installed client has; return how many."""
        if self._methods is None:
            self._methods = self._load_methods()
        return sum(m.patch(self.settings.op_settings) for m in self._methods)

    def unpatch(self) -> None:
        for method in self._methods or ():
            method.unpatch()

    def patch_safely(self) -> None:
        try:
            self.patch()
        except Exception as exc:
            internal_error(f"could not patch {self.name}", exc)


def _openai_methods() -> list[TracedMethod]:
    from heron.weave.integrations import openai

    return openai.methods()


def _anthropic_methods() -> list[TracedMethod]:
    from heron.weave.integrations import anthropic

    return anthropic.methods()


INTEGRATIONS = {
    "anthropic": Integration("anthropic", _anthropic_methods),
    "openai": Integration("openai", _openai_methods),
}
_hook = ImportHook()


def autopatch(autopatch_settings: Any = None) -> None:
    """Trace the enabled clients: now if imported, else when they are imported.

    Called by ``weave.init``; see :func:`~heron.weave.integrations.settings.parse_autopatch`
    for the settings. A disabled integration is unpatched.
    """
    off, settings = parse_autopatch(autopatch_settings)
    for name, integration in INTEGRATIONS.items():
        integration.settings = settings[name]
        if off or not integration.settings.enabled:
            _hook.unwatch(name)
            integration.unpatch()
        elif name in sys.modules:
            integration.patch_safely()
        else:
            _hook.watch(name, integration.patch_safely)


def reset_autopatch() -> None:
    """Unpatch every client and stop watching imports."""
    for name, integration in INTEGRATIONS.items():
        _hook.unwatch(name)
        integration.unpatch()


def _patch(name: str, settings: Any) -> None:
    integration = INTEGRATIONS[name]
    parsed = parse_integration(settings, name) if settings is not None else IntegrationSettings()
    try:
        importlib.import_module(name)
    except ImportError:
        raise UsageError(f"{name} is not installed; run: pip install {name}") from None
    integration.settings = IntegrationSettings(True, parsed.op_settings)
    _hook.unwatch(name)
    integration.patch()


def patch_openai(settings: Any = None) -> None:
    """Trace the OpenAI client (with ``{"op_settings": {...}}``), whatever ``autopatch`` says."""
    _patch("openai", settings)


def patch_anthropic(settings: Any = None) -> None:
    """Trace the Anthropic client (with ``{"op_settings": {...}}``), whatever ``autopatch`` says."""
    _patch("anthropic", settings)
