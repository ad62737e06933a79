"""Every error Heron raises on purpose, in one tree.

    HeronError                      base; ``code`` is a stable string the server maps to HTTP
    ├── UsageError                  the caller did something wrong (raised at once, never swallowed)
    │   ├── NotInitializedError     ``log()`` before ``init()``, or use after ``finish()``
    │   ├── InvalidNameError        a project, entity, run id or key that is not allowed
    │   ├── InvalidValueError       a value that cannot be logged (type, size), naming the key
    │   ├── ConfigError             changing a config key without ``allow_val_change=True``
    │   └── StepError               a step smaller than the current one, under HERON_STRICT_STEPS
    ├── NotFoundError               an unknown project, run, file or blob
    ├── ConflictError               e.g. ``resume="never"`` for a run id that exists
    ├── RunLogError                 a run log that cannot be read at all (not a heron log)
    ├── StoreError                  the store could not do what was asked (database, disk)
    │   └── StoreUnavailableError   the server cannot be reached or keeps answering 5xx
    └── MissingDependencyError      an optional extra is not installed; says which to install

Domain code raises these; only the server turns ``code`` into an HTTP status
(see ``heron.server.errors``), and the HTTP client turns it back into the same
class, so callers see the same exception embedded or remote.
"""

from __future__ import annotations


class HeronError(Exception):
    """Base class of every error Heron raises on purpose."""

    code = "heron_error"


class UsageError(HeronError, ValueError):
    code = "usage_error"


class NotInitializedError(UsageError, RuntimeError):
    code = "not_initialized"


class InvalidNameError(UsageError):
    code = "invalid_name"


class InvalidValueError(UsageError, TypeError):
    code = "invalid_value"


class ConfigError(UsageError):
    code = "config_error"


class StepError(UsageError):
    code = "step_error"


class NotFoundError(HeronError, LookupError):
    code = "not_found"


class ConflictError(HeronError):
    code = "conflict"


class RunLogError(HeronError):
    code = "run_log_error"


class StoreError(HeronError):
    code = "store_error"


class StoreUnavailableError(StoreError):
    code = "store_unavailable"


class MissingDependencyError(HeronError, ImportError):
    code = "missing_dependency"

    @classmethod
    def for_extra(cls, module: str, extra: str) -> MissingDependencyError:
        return cls(f"{module} is not installed; run: pip install 'heron[{extra}]'")


def _all_errors() -> dict[str, type[HeronError]]:
    found: dict[str, type[HeronError]] = {}
    pending: list[type[HeronError]] = [HeronError]
    while pending:
        cls = pending.pop()
        found[cls.code] = cls
        pending.extend(cls.__subclasses__())
    return found


def error_for_code(code: str) -> type[HeronError]:
    """The error class for a code received over the wire (HeronError if unknown)."""
    return _all_errors().get(code, HeronError)
