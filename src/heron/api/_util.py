"""Small helpers of the query API: timestamps, entity defaults, filter normalisation."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from heron.errors import UsageError


def iso(ts: float | None) -> str | None:
    """Unix seconds as wandb writes timestamps: ISO 8601 in UTC, no fraction, no zone."""
    if not ts:
        return None
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def parse_time(value: str) -> float:
    """An ISO 8601 date or datetime (``2024-05-01``, ``2024-05-01T12:00:00Z``) as unix seconds.

    A value without a time zone is taken as UTC, as wandb's ``created_at`` is.
    """
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"cannot read {value!r} as a time: use ISO 8601, e.g. '2024-05-01T12:00:00'"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


_TIME_FIELDS = ("created_at", "createdAt", "heartbeat_at", "heartbeatAt")
_FIELD_ALIASES = {"createdAt": "created_at", "heartbeatAt": "heartbeat_at", "id": "run_id"}


def normalize_filters(filters: Any) -> Any:
    """Accept wandb's spellings in a MongoDB-style filter; the store does the rest.

    ``createdAt`` becomes ``created_at`` and ISO time strings compared with
    ``created_at`` become unix seconds, so ``{"created_at": {"$gt": "2024-05-01"}}``
    works as it does with wandb.
    """
    if filters is None:
        return None
    if not isinstance(filters, dict):
        raise UsageError(
            f"filters must be a dict such as {{'state': 'finished'}}, not {type(filters).__name__}"
        )
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            out[key] = [normalize_filters(v) for v in value]
            continue
        field = _FIELD_ALIASES.get(str(key), str(key))
        out[field] = _times(value) if key in _TIME_FIELDS else value
    return out


def _times(value: Any) -> Any:
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, dict):
        return {op: _times(v) for op, v in value.items()}
    if isinstance(value, list):
        return [_times(v) for v in value]
    return value


def normalize_order(order: str | None) -> str | None:
    """``+createdAt`` → ``+created_at``; other orders pass through to the store."""
    if not order:
        return None
    sign = order[0] if order[0] in "+-" else ""
    field = order[len(sign) :]
    return sign + _FIELD_ALIASES.get(field, field)
