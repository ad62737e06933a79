"""Queries over a whole project: its runs' columns and history keys, run groups, saved views.

These back the dashboard's project pages (:class:`heron.store.sql.SqlStore`
delegates to them), each in a query or two whatever the number of runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from heron.entities import KeyInfo, RunGroup, View, check_name
from heron.errors import InvalidValueError
from heron.records import decode_value, dumps_faithful, encode_nonfinite
from heron.store.base import MAX_VIEW_BYTES
from heron.store.sql.filters import field_of, group_field
from heron.store.sql.history import value_kinds
from heron.store.sql.statements import PerDialect
from heron.store.sql.tables import history_keys, projects, runs, views

# ---------------------------------------------------------------------- columns


def flat_keys(value: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted keys of a config or summary, as the UI's ``flatten`` makes them.

    Nested dicts are walked; lists and media values (dicts with ``_type``) are
    leaves; keys starting with ``_`` are left out with everything under them.
    """
    for key, item in value.items():
        if not isinstance(key, str) or key.startswith("_"):
            continue
        name = f"{prefix}{key}"
        if isinstance(item, dict) and "_type" not in item and "$f" not in item:
            yield from flat_keys(item, name + ".")
        else:
            yield name


def columns(conn: sa.Connection, project_id: int | None) -> dict[str, list[str]]:
    """Every flattened config and summary key over the project's runs, sorted."""
    config: set[str] = set()
    summary: set[str] = set()
    if project_id is not None:
        query = sa.select(runs.c.config, runs.c.summary).where(runs.c.project_id == project_id)
        for run_config, run_summary in conn.execute(query):
            config.update(flat_keys(run_config))
            summary.update(flat_keys(run_summary))
    return {"config": sorted(config), "summary": sorted(summary)}


# ---------------------------------------------------------------------- keys


def keys(conn: sa.Connection, project_id: int | None, code: int) -> list[KeyInfo]:
    """The keys of one stream over the project's runs; ``count`` is the number of runs."""
    if project_id is None:
        return []
    t = history_keys
    every_numeric = (
        sa.func.bool_and(t.c.numeric)
        if conn.dialect.name == "postgresql"
        else sa.func.min(t.c.numeric)
    )
    # One run's non-numeric key row per key name stands for the key's kind.
    sample_id = sa.func.min(sa.case((sa.not_(t.c.numeric), t.c.id)))
    query = (
        sa.select(
            t.c.key,
            sa.func.count(),
            sa.func.min(t.c.min_step),
            sa.func.max(t.c.max_step),
            every_numeric,
            sample_id,
        )
        .join(runs, runs.c.id == t.c.run)
        .where(runs.c.project_id == project_id, t.c.stream == code)
        .group_by(t.c.key)
        .order_by(t.c.key)
    )
    found = conn.execute(query).all()
    kinds = value_kinds(conn, [row[5] for row in found if row[5] is not None])
    return [
        KeyInfo(key, int(count), int(lo), int(hi), bool(numeric), kinds.get(sample))
        for key, count, lo, hi, numeric, sample in found
    ]


# ---------------------------------------------------------------------- groups


def _value_rank(value: Any) -> tuple[Any, ...]:
    """Sort and identity key of a group value: bools, numbers, strings, lists/dicts, None."""
    if value is None:
        return (4,)
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, (int, float)):
        return (1, float(value))
    if isinstance(value, str):
        return (2, value)
    return (3, orjson.dumps(value, option=orjson.OPT_SORT_KEYS))


class _Group:
    __slots__ = ("count", "maxs", "mins", "ns", "sums", "value")

    def __init__(self, value: Any, metrics: int) -> None:
        self.value, self.count = value, 0
        self.mins: list[float | None] = [None] * metrics
        self.maxs: list[float | None] = [None] * metrics
        self.sums = [0.0] * metrics
        self.ns = [0] * metrics

    def add(self, count: int, stats: Sequence[Any]) -> None:
        """Merge a SQL group's count and (min, max, sum, n) per metric into this one."""
        self.count += count
        for i in range(len(self.ns)):
            lo, hi, total, n = stats[4 * i : 4 * i + 4]
            if not n:
                continue
            old_lo, old_hi = self.mins[i], self.maxs[i]
            self.mins[i] = float(lo) if old_lo is None else min(old_lo, float(lo))
            self.maxs[i] = float(hi) if old_hi is None else max(old_hi, float(hi))
            self.sums[i] += float(total)
            self.ns[i] += int(n)

    def result(self, metrics: Sequence[str]) -> RunGroup:
        aggregates = {
            name: {
                "min": self.mins[i],
                "max": self.maxs[i],
                "mean": self.sums[i] / self.ns[i] if self.ns[i] else None,
            }
            for i, name in enumerate(metrics)
        }
        return RunGroup(self.value, self.count, aggregates)


def group(
    conn: sa.Connection, scope: sa.ColumnElement[bool], by: str, metrics: Sequence[str]
) -> list[RunGroup]:
    """The runs in ``scope`` grouped by their value of the field ``by``, with aggregates.

    SQL groups by the field's JSON type and value; groups that mean the same
    value to a caller (a missing key and a JSON null) are merged here, which is
    why each metric comes back as min, max, sum and count rather than a mean.
    """
    dialect = conn.dialect.name
    field = group_field(by, dialect)
    if isinstance(metrics, str):
        raise InvalidValueError("metrics must be a list of field names, not a string")
    metrics = list(dict.fromkeys(metrics))
    terms = field.group_terms()
    numbers = [field_of(name, dialect, "metric").numeric() for name in metrics]
    # Group by the columns of a subquery: PostgreSQL does not see two copies of an
    # expression with bound parameters (the JSON path) as the same GROUP BY term.
    inner = (
        sa.select(
            *(term.label(f"g{i}") for i, term in enumerate(terms)),
            *(number.label(f"m{i}") for i, number in enumerate(numbers)),
        )
        .select_from(runs.join(projects, projects.c.id == runs.c.project_id))
        .where(scope)
        .subquery()
    )
    group_columns = [inner.c[f"g{i}"] for i in range(len(terms))]
    stats = []
    for i in range(len(numbers)):
        m = inner.c[f"m{i}"]
        stats += [sa.func.min(m), sa.func.max(m), sa.func.sum(m), sa.func.count(m)]
    query = sa.select(*group_columns, sa.func.count(), *stats).group_by(*group_columns)
    found: dict[tuple[Any, ...], _Group] = {}
    width = len(terms)
    for row in conn.execute(query):
        value = field.group_value(row[:width])
        rank = _value_rank(value)
        if rank not in found:
            found[rank] = _Group(value, len(metrics))
        found[rank].add(int(row[width]), row[width + 1 :])
    return [found[rank].result(metrics) for rank in sorted(found)]


# ---------------------------------------------------------------------- views


def _upsert_view(insert: Any, dialect: str) -> Any:
    stmt = insert(views)
    return stmt.on_conflict_do_update(
        index_elements=[views.c.project_id, views.c.name],
        set_={"spec": stmt.excluded.spec, "updated_at": stmt.excluded.updated_at},
    )


UPSERT_VIEW = PerDialect(_upsert_view)


def check_spec(spec: Any) -> dict[str, Any]:
    """A view spec ready to store: a JSON object of at most MAX_VIEW_BYTES, NaN tagged."""
    if not isinstance(spec, dict):
        raise InvalidValueError(f"a view spec must be a JSON object, not {type(spec).__name__}")
    try:
        size = len(dumps_faithful(spec))
    except TypeError as exc:
        raise InvalidValueError(f"a view spec must be plain JSON: {exc}") from None
    if size > MAX_VIEW_BYTES:
        raise InvalidValueError(
            f"a view spec is {size:,} bytes as JSON, over the {MAX_VIEW_BYTES:,} byte limit;"
            " save less state in it"
        )
    encoded: dict[str, Any] = encode_nonfinite(spec)
    return encoded


def get_view(conn: sa.Connection, project_id: int | None, name: str) -> View | None:
    check_name("view", name)
    if project_id is None:
        return None
    query = sa.select(views.c.spec, views.c.updated_at).where(
        views.c.project_id == project_id, views.c.name == name
    )
    row = conn.execute(query).first()
    return None if row is None else View(name, decode_value(row.spec), row.updated_at)


def put_view(
    conn: sa.Connection, project_id: int, name: str, spec: dict[str, Any], now: float
) -> View:
    """Create or replace a view; ``spec`` must have passed :func:`check_spec`."""
    params = {"project_id": project_id, "name": name, "spec": spec, "updated_at": now}
    conn.execute(UPSERT_VIEW[conn.dialect.name], params)
    return View(name, decode_value(spec), now)
