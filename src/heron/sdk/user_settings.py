"""``heron.Settings``: Heron's settings, also accepting wandb.Settings' keyword names.

``wandb.init(settings=wandb.Settings(start_method="thread"))`` must keep
working under ``import heron as wandb``: wandb names that mean the same as a
Heron setting are translated (``_disable_stats=True`` → ``stats=False``), and
the many that mean nothing here are ignored with one notice per name.

>>> Settings(mode="offline", _disable_stats=True).stats
False
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from heron.sdk.output import notice
from heron.settings import Settings as BaseSettings

FIELDS = frozenset(f.name for f in dataclasses.fields(BaseSettings))

# wandb setting name -> (heron field, invert a bool?)
_ALIASES: dict[str, tuple[str, bool]] = {
    "run_tags": ("tags", False),
    "run_notes": ("notes", False),
    "run_job_type": ("job_type", False),
    "run_project": ("project", False),
    "disable_git": ("git", True),
    "x_disable_git": ("git", True),
    "_disable_stats": ("stats", True),
    "x_disable_stats": ("stats", True),
    "_disable_meta": ("meta", True),
    "x_disable_meta": ("meta", True),
    "_stats_sample_rate_seconds": ("stats_interval", False),
    "x_stats_sampling_interval": ("stats_interval", False),
}
_CONSOLE = {"wrap_raw": "wrap", "wrap_emu": "wrap", "redirect": "redirect"}
_warned: set[str] = set()


def translate(values: Mapping[str, Any], *, silent: bool = False) -> dict[str, Any]:
    """Heron fields from wandb/heron setting names; unknown names get one notice each."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name in FIELDS:
            field = name
        elif name in _ALIASES:
            field, invert = _ALIASES[name]
            value = (not value) if invert else value
        else:
            if name not in _warned:
                _warned.add(name)
                notice(f"ignoring setting {name!r} (Heron does not use it)", silent=silent)
            continue
        if field == "tags" and not isinstance(value, tuple):
            value = (value,) if isinstance(value, str) else tuple(value)
        if field == "console":
            value = _CONSOLE.get(value, value)
        out[field] = value
    return out


class Settings(BaseSettings):
    """Heron's settings; keyword names of ``wandb.Settings`` are accepted too (see module doc)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**translate(kwargs))


def settings_overrides(user: Any) -> dict[str, Any]:
    """The fields a ``settings=`` argument of ``init()`` sets: a Settings, dict or object."""
    if user is None:
        return {}
    if isinstance(user, BaseSettings):
        default = BaseSettings()
        return {f: getattr(user, f) for f in FIELDS if getattr(user, f) != getattr(default, f)}
    if isinstance(user, Mapping):
        return translate(user)
    found = {}
    for name in (*FIELDS, *_ALIASES):
        value = getattr(user, name, None)
        if value is not None and not callable(value):
            found[name] = value
    return translate(found)
