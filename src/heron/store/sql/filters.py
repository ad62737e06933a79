"""MongoDB-style run filters and orderings, translated into SQL for SQLite and PostgreSQL.

>>> where = run_filter({"config.lr": {"$gt": 0.01}, "tags": "baseline"}, "sqlite")
>>> keys = run_order("-summary_metrics.acc", "sqlite")
>>> found = run_search("resnet", "sqlite")


Fields are the run columns (``state``, ``name``/``display_name``, ``group``,
``job_type``, ``created_at``, ``run_id``, …), ``runtime`` (seconds from ``created_at`` to
``ended_at``, or to the last heartbeat while the run runs), ``tags``, and paths into the JSON
columns: ``config.<key>[.<nested>…]`` and ``summary_metrics.<key>`` (alias
``summary.<key>``). JSON values are compared by type, as MongoDB does: a number
matches numbers only, a string strings only, so one run whose ``config.lr``
is ``"auto"`` neither matches ``{"$gt": 0.1}`` nor breaks the query on
PostgreSQL. ``$ne`` and ``$nin`` also match runs that lack the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from heron.errors import UsageError
from heron.store.sql.tables import runs

_c = runs.c
COLUMN_FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "state": _c.state,
    "name": _c.name,
    "display_name": _c.name,
    "displayName": _c.name,
    "group": _c.group,
    "job_type": _c.job_type,
    "jobType": _c.job_type,
    "created_at": _c.created_at,
    "createdAt": _c.created_at,
    "updated_at": _c.updated_at,
    "heartbeat_at": _c.heartbeat_at,
    "ended_at": _c.ended_at,
    "run_id": _c.run_id,
    "host": _c.host,
    "user": _c.user,
    "notes": _c.notes,
    "exit_code": _c.exit_code,
    "last_step": _c.last_step,
    "runtime": sa.func.coalesce(_c.ended_at, _c.heartbeat_at, type_=sa.Float) - _c.created_at,
}
JSON_FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "config": _c.config,
    "summary_metrics": _c.summary,
    "summary": _c.summary,
}
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}
FIELD_OPERATORS = ("$eq", "$ne", *COMPARISONS, "$in", "$nin", "$regex", "$exists", "$all")
_FIELDS_HELP = "use config.<key>, summary_metrics.<key>, tags, or one of " + ", ".join(
    sorted(COLUMN_FIELDS)
)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _not(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """NOT that treats an unknown (NULL) result as false first, so the negation is true."""
    return sa.not_(sa.func.coalesce(condition, sa.false(), type_=sa.Boolean))


# ------------------------------------------------------------------ fields


class _Column:
    """A plain run column."""

    def __init__(self, name: str, column: sa.ColumnElement[Any]) -> None:
        self.name, self.column = name, column

    def eq(self, value: Any) -> sa.ColumnElement[bool]:
        if value is None:
            return self.column.is_(None)
        if isinstance(value, (dict, list)):
            raise UsageError(f"{self.name} cannot be compared with {value!r}")
        return self.column == value

    def compare(self, op: str, value: Any) -> sa.ColumnElement[bool]:
        if not (_is_number(value) or isinstance(value, str)):
            raise UsageError(f"{op} on {self.name} needs a number or a string, not {value!r}")
        return COMPARISONS[op](self.column, value)

    def regex(self, pattern: str) -> sa.ColumnElement[bool]:
        return self.column.regexp_match(pattern)

    def exists(self) -> sa.ColumnElement[bool]:
        return self.column.is_not(None)

    def order(self) -> list[sa.ColumnElement[Any]]:
        return [self.column]

    def group_terms(self) -> list[sa.ColumnElement[Any]]:
        return [self.column]

    def group_value(self, terms: Sequence[Any]) -> Any:
        return terms[0]

    def numeric(self) -> sa.ColumnElement[Any]:
        if not isinstance(self.column.type, (sa.Integer, sa.Float)):
            raise UsageError(f"{self.name} is not a number: aggregate a numeric field")
        return self.column


class _Json:
    """A path into a JSON column, compared by the JSON type of the value there."""

    def __init__(self, name: str, column: sa.ColumnElement[Any], path: list[str], dialect: str):
        self.name = name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            node = sa.func.jsonb_extract_path(column, *path)
            text = sa.func.jsonb_extract_path_text(column, *path, type_=sa.Text)
            self.type = sa.func.jsonb_typeof(node, type_=sa.Text)
            self.number = sa.case((self.type == "number", sa.cast(text, sa.Float)))
            self.text = sa.case((self.type == "string", text))
            self.true = sa.and_(self.type == "boolean", text == "true")
            self.false = sa.and_(self.type == "boolean", text == "false")
            self.null = self.type == "null"
            self._json_eq: Callable[[Any], sa.ColumnElement[bool]] = lambda v: (
                node == sa.cast(sa.literal(orjson.dumps(v).decode(), sa.Text), JSONB)
            )
            self._raw = text
        else:
            json_path = "$" + "".join(f'."{part}"' for part in path)
            value = sa.func.json_extract(column, json_path)
            self.type = sa.func.json_type(column, json_path, type_=sa.Text)
            self.number = sa.case((self.type.in_(["integer", "real"]), value))
            self.text = sa.case((self.type == "text", value))
            self.true, self.false = self.type == "true", self.type == "false"
            self.null = self.type == "null"
            self._json_eq = lambda v: sa.and_(
                self.type.in_(["array", "object"]),
                value == sa.func.json(orjson.dumps(v).decode()),
            )
            self._raw = value

    def eq(self, value: Any) -> sa.ColumnElement[bool]:
        if value is None:
            return sa.or_(self.type.is_(None), self.null)
        if isinstance(value, bool):
            return self.true if value else self.false
        if _is_number(value):
            return self.number == value
        if isinstance(value, str):
            return self.text == value
        if isinstance(value, (list, dict)):
            return self._json_eq(value)
        raise UsageError(f"{self.name} cannot be compared with {value!r}")

    def compare(self, op: str, value: Any) -> sa.ColumnElement[bool]:
        if _is_number(value):
            return COMPARISONS[op](self.number, value)
        if isinstance(value, str):
            return COMPARISONS[op](self.text, value)
        raise UsageError(f"{op} on {self.name} needs a number or a string, not {value!r}")

    def regex(self, pattern: str) -> sa.ColumnElement[bool]:
        return self.text.regexp_match(pattern)

    def exists(self) -> sa.ColumnElement[bool]:
        return self.type.is_not(None)

    def order(self) -> list[sa.ColumnElement[Any]]:
        return [self.number, self.text]

    def group_terms(self) -> list[sa.ColumnElement[Any]]:
        """The JSON type there and the value (SQL value or text), to group by."""
        return [self.type, self._raw]

    def group_value(self, terms: Sequence[Any]) -> Any:
        """The Python value of a row of :meth:`group_terms` (None for absent or null)."""
        kind, raw = terms
        if kind in (None, "null") or raw is None:
            return None
        if kind in ("true", "false", "boolean"):
            return kind == "true" or raw in (True, 1, "true")
        if kind in ("integer", "real", "text", "string"):
            return raw
        if kind == "number":  # PostgreSQL gives the JSON text of the number
            number = float(raw)
            return int(raw) if number.is_integer() and raw.lstrip("-").isdigit() else number
        return orjson.loads(raw)  # arrays and objects, as JSON text

    def numeric(self) -> sa.ColumnElement[Any]:
        return self.number


def field_of(name: Any, dialect: str, what: str = "filter") -> _Column | _Json:
    """The field called ``name`` (a column, or a path into config or summary)."""
    if not isinstance(name, str):
        raise UsageError(f"unknown {what} field {name!r}: {_FIELDS_HELP}")
    if name in COLUMN_FIELDS:
        return _Column(name, COLUMN_FIELDS[name])
    prefix, _, rest = name.partition(".")
    if prefix in JSON_FIELDS and rest:
        path = rest.split(".")
        if any(not part or '"' in part for part in path):
            raise UsageError(f"invalid field {name!r}: empty key or a '\"' in the path")
        return _Json(name, JSON_FIELDS[prefix], path, dialect)
    raise UsageError(f"unknown {what} field {name!r}: {_FIELDS_HELP}")


# ------------------------------------------------------------------ tags


def _tags(dialect: str) -> Any:
    func = sa.func.jsonb_array_elements_text if dialect == "postgresql" else sa.func.json_each
    return func(runs.c.tags).table_valued("value")


def _has_tag(dialect: str, test: Callable[[Any], Any]) -> sa.ColumnElement[bool]:
    elements = _tags(dialect)
    return sa.exists().where(test(elements.c.value))


def _equals(value: str) -> Callable[[Any], Any]:
    return lambda column: column == value


def _tag_condition(op: str, value: Any, dialect: str) -> sa.ColumnElement[bool]:
    if op in ("$in", "$nin", "$all"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"tags {op} needs a list of strings, not {value!r}")
        if op == "$all":
            return sa.and_(sa.true(), *(_has_tag(dialect, _equals(v)) for v in value))
        found = _has_tag(dialect, lambda c: c.in_(value))
        return found if op == "$in" else sa.not_(found)
    if op == "$exists":
        raise UsageError("tags always exist; use {'tags': {'$in': [...]}} to test for a tag")
    if op == "$regex":
        return _has_tag(dialect, lambda c: c.regexp_match(_pattern(value)))
    if op in ("$eq", "$ne"):
        if not isinstance(value, str):
            raise UsageError(f"tags {op} needs a tag name (a string), not {value!r}")
        found = _has_tag(dialect, lambda c: c == value)
        return found if op == "$eq" else sa.not_(found)
    raise UsageError(f"operator {op} does not apply to tags; use $eq, $ne, $in, $nin, $all")


# ------------------------------------------------------------------ building


def _pattern(value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError(f"$regex needs a pattern string, not {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise UsageError(f"invalid $regex pattern {value!r}: {exc}") from None
    return value


def _condition(field_name: str, op: str, value: Any, dialect: str) -> sa.ColumnElement[bool]:
    if op not in FIELD_OPERATORS:
        raise UsageError(
            f"unknown filter operator {op!r} on {field_name!r}: use {', '.join(FIELD_OPERATORS)}"
        )
    if field_name == "tags":
        return _tag_condition(op, value, dialect)
    field = field_of(field_name, dialect)
    if op == "$eq":
        return field.eq(value)
    if op == "$ne":
        return _not(field.eq(value))
    if op in COMPARISONS:
        return field.compare(op, value)
    if op in ("$in", "$nin"):
        if not isinstance(value, list):
            raise UsageError(f"{op} on {field_name!r} needs a list, not {value!r}")
        any_of = sa.or_(sa.false(), *(field.eq(v) for v in value))
        return any_of if op == "$in" else _not(any_of)
    if op == "$regex":
        return field.regex(_pattern(value))
    if op == "$exists":
        if not isinstance(value, bool):
            raise UsageError(f"$exists on {field_name!r} needs true or false, not {value!r}")
        return field.exists() if value else sa.not_(field.exists())
    raise UsageError(f"operator {op} does not apply to {field_name!r}")


def run_filter(filters: dict[str, Any] | None, dialect: str) -> sa.ColumnElement[bool]:
    """The WHERE clause for a MongoDB-style filter dict; raises UsageError on bad input."""
    if filters is None:
        return sa.true()
    if not isinstance(filters, dict):
        raise UsageError(f"filters must be a dict, not {type(filters).__name__}")
    parts: list[sa.ColumnElement[bool]] = []
    for name, value in filters.items():
        if name in ("$and", "$or", "$nor"):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise UsageError(f"{name} needs a list of filter dicts, not {value!r}")
            subs = [run_filter(v, dialect) for v in value]
            if name == "$and":
                parts.append(sa.and_(sa.true(), *subs))
            elif name == "$or":
                parts.append(sa.or_(sa.false(), *subs))
            else:
                parts.append(_not(sa.or_(sa.false(), *subs)))
        elif isinstance(name, str) and name.startswith("$"):
            raise UsageError(f"unknown filter operator {name!r}: use $and, $or or $nor here")
        elif isinstance(value, dict) and value and all(str(k).startswith("$") for k in value):
            parts.extend(_condition(name, op, v, dialect) for op, v in value.items())
        else:
            parts.append(_condition(name, "$eq", value, dialect))
    return sa.and_(sa.true(), *parts)


def run_order(order: str | None, dialect: str) -> list[sa.ColumnElement[Any]]:
    """ORDER BY terms for ``"field"``, ``"+field"`` or ``"-field"``, NULLs last, ties by id."""
    if order is None or order == "":
        return [runs.c.id]
    if not isinstance(order, str):
        raise UsageError(f"order must be a field name string, not {order!r}")
    descending = order.startswith("-")
    name = order[1:] if order[:1] in "+-" else order
    if name == "tags":
        raise UsageError("runs cannot be ordered by tags")
    field = field_of(name, dialect, "order")
    terms = [(e.desc() if descending else e.asc()).nulls_last() for e in field.order()]
    return [*terms, runs.c.id.desc() if descending else runs.c.id.asc()]


def run_search(text: str | None, dialect: str) -> sa.ColumnElement[bool]:
    """Runs whose name, run id or a tag holds ``text``, ignoring case (LIKE wildcards escaped)."""
    if text is None or text == "":
        return sa.true()
    if not isinstance(text, str):
        raise UsageError(f"search must be a string, not {text!r}")
    return sa.or_(
        runs.c.name.icontains(text, autoescape=True),
        runs.c.run_id.icontains(text, autoescape=True),
        _has_tag(dialect, lambda c: c.icontains(text, autoescape=True)),
    )


def group_field(name: Any, dialect: str) -> _Column | _Json:
    """The field to group runs by; any filter field but ``tags`` (a run has many)."""
    if name == "tags":
        raise UsageError("runs cannot be grouped by tags (a run has many); group by another field")
    return field_of(name, dialect, "group")
