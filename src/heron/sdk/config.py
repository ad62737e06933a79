"""``run.config``: the run's hyperparameters, wandb compatible.

A dict with attribute access. Setting a key that already holds a different
value is a mistake unless asked for (``allow_val_change=True``), because a
run's config is meant to describe how it was started. Each change hands the
whole config to ``emit`` (the run turns it into a ``config`` record).

>>> c = Config()
>>> c.update({"lr": 0.1, "layers": 2})
>>> c.lr, c["layers"], "lr" in c
(0.1, 2, True)
>>> c.update({"lr": 0.2})
Traceback (most recent call last):
...
heron.errors.ConfigError: config key 'lr' already has value 0.1; ...
"""

from __future__ import annotations

import argparse
import copy
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from heron.errors import ConfigError
from heron.sdk.dictview import DictView
from heron.sdk.values import INT_MAX, INT_MIN

Emit = Callable[[dict[str, Any]], None]


class Config(DictView):
    """Hyperparameters of a run; see the module docstring."""

    _kind = "config"

    def __init__(self, emit: Emit | None = None) -> None:
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_emit", emit)

    # ---------------------------------------------------------------- writes

    def update(self, d: Any = None, allow_val_change: bool = False, **kwargs: Any) -> None:
        """Add keys from a dict, an ``argparse.Namespace`` or a YAML file path.

        Changing a key that already has a different value raises ConfigError
        unless ``allow_val_change=True``.
        """
        changes = dict(as_config_dict(d))
        changes.update(kwargs)
        self._apply(changes, allow_val_change)

    def setdefaults(self, d: Any) -> None:
        """Add only the keys that are not set yet (never raises for existing keys)."""
        missing = {k: v for k, v in as_config_dict(d).items() if k not in self._data}
        self._apply(missing, allow_val_change=False)

    def __setitem__(self, key: str, value: Any) -> None:
        self._apply({key: value}, allow_val_change=False)

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_"):
            raise ConfigError(f"config keys may not start with '_' ({key!r})")
        self._apply({key: value}, allow_val_change=False)

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._changed()

    def _apply(self, changes: Mapping[Any, Any], allow_val_change: bool) -> None:
        if not changes:
            return
        cleaned = {}
        for key, value in changes.items():
            if not isinstance(key, str) or not key:
                raise ConfigError(f"config keys must be non-empty strings, not {key!r}")
            value = clean_config_value(value)
            if not allow_val_change and key in self._data and not _same(self._data[key], value):
                raise ConfigError(
                    f"config key {key!r} already has value {self._data[key]!r}; cannot change it"
                    f" to {value!r}. Pass allow_val_change=True to config.update() to change it."
                )
            cleaned[key] = value
        if all(k in self._data and _same(self._data[k], v) for k, v in cleaned.items()):
            return
        self._data.update(cleaned)
        self._changed()

    def _changed(self) -> None:
        if self._emit is not None:
            self._emit(copy.deepcopy(self._data))

    # ---------------------------------------------------------------- reads

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._data == other._data
        return isinstance(other, Mapping) and self._data == dict(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Config({self._data!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self._data}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", dict(state["data"]))
        object.__setattr__(self, "_emit", None)


def as_config_dict(d: Any) -> Mapping[str, Any]:
    """Accept a mapping, an argparse Namespace, a YAML file path, or None."""
    if d is None:
        return {}
    if isinstance(d, Config):
        return d.as_dict()
    if isinstance(d, Mapping):
        return d
    if isinstance(d, argparse.Namespace):
        return vars(d)
    if isinstance(d, (str, os.PathLike)):
        return load_config_yaml(Path(d))
    if hasattr(d, "__dict__") and not callable(d):
        return {k: v for k, v in vars(d).items() if not k.startswith("_")}
    raise ConfigError(
        f"cannot read config from a {type(d).__name__}: pass a dict, an argparse.Namespace"
        " or the path of a YAML file"
    )


def load_config_yaml(path: Path) -> dict[str, Any]:
    """Read a config YAML file, plain (``lr: 0.1``) or wandb style (``lr: {value: 0.1}``)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a mapping of keys to values")
    data.pop("wandb_version", None)
    data.pop("_wandb", None)
    return {
        k: (v["value"] if isinstance(v, dict) and "value" in v and set(v) <= {"value", "desc"}
            else v)
        for k, v in data.items()
    }  # fmt: skip


def dump_config_yaml(data: Mapping[str, Any], path: Path) -> None:
    """Write ``config.yaml`` in wandb's layout (``key: {desc: null, value: ...}``).

    Written by hand in YAML flow style (JSON-like), because PyYAML's emitter
    costs milliseconds per run.
    """
    parts = ["wandb_version: 1\n"]
    for key, value in data.items():
        parts.append(f"{_yaml_flow(str(key))}:\n  desc: null\n  value: {_yaml_flow(value)}\n")
    path.write_text("".join(parts))


def _yaml_flow(value: Any) -> str:
    """One JSON-able value as YAML 1.1 flow text (what ``yaml.safe_load`` reads back)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(float(value))
        mantissa, e, exponent = text.partition("e")
        if e:  # YAML 1.1 wants a dot in the mantissa and a sign in the exponent: 1.0e-08
            if "." not in mantissa:
                mantissa += ".0"
            if exponent[0] not in "+-":
                exponent = "+" + exponent
            text = f"{mantissa}e{exponent}"
        return text
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if isinstance(value, Mapping):
        items = ", ".join(f"{_yaml_flow(str(k))}: {_yaml_flow(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_flow(v) for v in value) + "]"
    return orjson.dumps(str(value)).decode()


def clean_config_value(value: Any) -> Any:
    """A JSON-able copy of a config value; unknown objects become their ``str()``.

    So do integers beyond 64 bits (a seed like ``2**64 - 1``): JSON libraries
    and databases cannot hold them as numbers.
    """
    if value is None or isinstance(value, (bool, str)):
        return value if type(value) in (bool, str) or value is None else str(value)
    if isinstance(value, int):
        return int(value) if INT_MIN <= value <= INT_MAX else str(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): clean_config_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_config_value(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((clean_config_value(v) for v in value), key=repr)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", ()) == ():
        try:
            return clean_config_value(item())
        except (TypeError, ValueError, RuntimeError):
            pass
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        try:
            return clean_config_value(tolist())
        except (TypeError, ValueError, RuntimeError):
            pass
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return (bool(a == b) and type(a) is type(b)) or (_number(a) and _number(b) and a == b)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
