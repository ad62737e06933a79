"""``autopatch_settings``: weave's shape, as a dict or weave's own settings object.

>>> parse_autopatch({"openai": {"enabled": False}})[1]["openai"].enabled
False
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

from heron.errors import UsageError

TRACED = ("anthropic", "openai")
"""The integrations Heron has."""
ELSEWHERE = frozenset(
    {
        "autogen",
        "cerebras",
        "chatnvidia",
        "cohere",
        "crewai",
        "dspy",
        "google_genai_sdk",
        "google_generativeai",
        "groq",
        "huggingface",
        "instructor",
        "litellm",
        "mcp",
        "mistral",
        "notdiamond",
        "openai_agents",
        "smolagents",
        "verdict",
        "vertexai",
    }
)
"""Weave's other integration names: accepted (so weave settings work unchanged), not traced."""
_OP_FIELDS = ("name", "call_display_name", "postprocess_inputs", "postprocess_output")


@dataclasses.dataclass(frozen=True)
class OpSettings:
    """Options of the ops an integration traces with (a subset of ``@weave.op``'s)."""

    name: str | None = None
    call_display_name: str | Callable[[Any], str] | None = None
    postprocess_inputs: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    postprocess_output: Callable[[Any], Any] | None = None


@dataclasses.dataclass(frozen=True)
class IntegrationSettings:
    """Whether an integration traces, and with what op options."""

    enabled: bool = True
    op_settings: OpSettings = dataclasses.field(default_factory=OpSettings)


def _fields(value: Any, what: str) -> dict[str, Any]:
    """A settings value as a dict: a dict, a pydantic model, a dataclass or a plain object."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    names = getattr(type(value), "model_fields", None)  # pydantic (weave's AutopatchSettings)
    if isinstance(names, dict):
        return {name: getattr(value, name) for name in names}
    raise UsageError(f"{what} must be a dict like {{'enabled': False}}, not {value!r}")


def parse_integration(value: Any, name: str = "integration") -> IntegrationSettings:
    """One integration's settings: ``{"enabled": bool, "op_settings": {...}}``."""
    fields = _fields(value, f"autopatch_settings[{name!r}]")
    unknown = set(fields) - {"enabled", "op_settings"}
    if unknown:
        raise UsageError(
            f"unknown autopatch setting(s) {', '.join(sorted(unknown))} for {name}:"
            " use enabled, op_settings"
        )
    enabled = fields.get("enabled", True)
    if not isinstance(enabled, bool):
        raise UsageError(f"autopatch_settings[{name!r}]['enabled'] must be true or false")
    ops = _fields(fields.get("op_settings"), f"op_settings of {name}")
    unknown = set(ops) - set(_OP_FIELDS)
    if unknown:
        raise UsageError(
            f"unknown op setting(s) {', '.join(sorted(unknown))} for {name}:"
            f" use {', '.join(_OP_FIELDS)}"
        )
    op_name = ops.get("name")
    if op_name is not None and (not isinstance(op_name, str) or not op_name):
        raise UsageError(f"op_settings name of {name} must be a non-empty string")
    for key in ("postprocess_inputs", "postprocess_output"):
        if ops.get(key) is not None and not callable(ops[key]):
            raise UsageError(f"op_settings {key} of {name} must be a function")
    return IntegrationSettings(enabled, OpSettings(**{k: ops.get(k) for k in _OP_FIELDS}))


def parse_autopatch(value: Any) -> tuple[bool, dict[str, IntegrationSettings]]:
    """``(everything off, {integration: settings})`` from ``weave.init(autopatch_settings=)``.

    Keys: ``disable_autopatch`` (bool), and per integration
    ``{"enabled": bool, "op_settings": {"name", "call_display_name",
    "postprocess_inputs", "postprocess_output"}}``. Weave's other
    integration names are accepted and ignored; another key raises
    UsageError. ``WEAVE_IMPLICITLY_PATCH_INTEGRATIONS=false`` in the
    environment also turns everything off.
    """
    fields = _fields(value, "autopatch_settings")
    off = fields.get("disable_autopatch", False)
    if not isinstance(off, bool):
        raise UsageError("autopatch_settings['disable_autopatch'] must be true or false")
    unknown = set(fields) - {"disable_autopatch", *TRACED, *ELSEWHERE}
    if unknown:
        raise UsageError(
            f"unknown autopatch_settings key(s) {', '.join(sorted(unknown))}:"
            f" use disable_autopatch, {', '.join(TRACED)} (or another weave integration name)"
        )
    env = os.environ.get("WEAVE_IMPLICITLY_PATCH_INTEGRATIONS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        off = True
    return off, {name: parse_integration(fields.get(name), name) for name in TRACED}
