"""Weave calls in SQL: applying call logs, queries, deletion of subtrees, feedback.

:class:`heron.store.sql.SqlStore` delegates its call methods here. A short
call arrives as one ``call`` record; a long one as ``call_start`` and
``call_end``, usually in one batch, and then merged into a single insert, so
a trace of 100,000 calls costs about 100,000 inserts, not twice that.
"""

from __future__ import annotations

import bisect
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from heron.entities import check_name
from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.records import CALL_RECORD_TYPES, Record
from heron.store.base import CALL_FIELDS, MAX_FEEDBACK_BYTES
from heron.store.sql import statements as q
from heron.store.sql.engine import read, write
from heron.store.sql.tables import call_feedback, call_streams, calls, projects

FILTER_LIST_KEYS = ("op_names", "trace_ids", "parent_ids", "call_ids", "thread_ids", "turn_ids")
FILTER_KEYS = (
    *FILTER_LIST_KEYS,
    "trace_roots_only",
    "statuses",
    "started_after",
    "started_before",
    "attributes",
    "has_feedback",
    "reactions",
    "input_refs",
    "output_refs",
)
STATUSES = ("success", "error", "running")
REACTION_TYPE = "wandb.reaction.1"
SORT_FIELDS = ("started_at", "ended_at", "op_name", "id", "latency")
COUNT_BY_FIELDS = ("op_name", "parent_id", "trace_id")
_SORT_COLUMNS: dict[str, Any] = {
    **{name: calls.c[name] for name in ("started_at", "ended_at", "op_name", "id")},
    "latency": calls.c.ended_at - calls.c.started_at,
}
_FILTER_COLUMNS = {
    "op_names": calls.c.op_name,
    "trace_ids": calls.c.trace_id,
    "parent_ids": calls.c.parent_id,
    "call_ids": calls.c.id,
    "thread_ids": calls.c.thread_id,
    "turn_ids": calls.c.turn_id,
}
_IN_CHUNK = 500
"""Ids per ``IN (...)`` list: well under SQLite's bound-parameter limit."""
_CALL_TYPES = frozenset(CALL_RECORD_TYPES)
_END_FIELDS = ("output", "exception", "summary", "ended_at")


# ------------------------------------------------------------------ writes


def apply(
    engine: sa.Engine,
    dialect: str,
    entity: str,
    project: str,
    stream: str,
    records: Sequence[Record],
) -> int:
    """See :meth:`heron.store.base.Store.apply_calls`."""
    check_name("entity", entity)
    check_name("project", project)
    if not isinstance(stream, str) or not 1 <= len(stream) <= 200:
        raise UsageError(f"invalid stream id {stream!r}: use a string of 1-200 characters")
    batch = _validated(records)
    now = time.time()
    with write(engine) as conn:
        project_id = _project_for_write(conn, dialect, entity, project, now)
        key = {"project_id": project_id, "stream_id": stream}
        stored = conn.execute(
            sa.select(call_streams.c.watermark).where(
                call_streams.c.project_id == project_id, call_streams.c.stream_id == stream
            )
        ).scalar()
        mark = int(stored or 0)
        if batch and batch[0]["seq"] > mark:  # the usual case: nothing applied yet
            fresh = batch
        else:
            fresh = batch[bisect.bisect_right([r["seq"] for r in batch], mark) :]
        if not fresh:
            return mark
        _apply_records(conn, project_id, fresh)
        mark = fresh[-1]["seq"]
        if stored is None:
            conn.execute(call_streams.insert().values(**key, watermark=mark))
        else:
            conn.execute(
                call_streams.update()
                .where(call_streams.c.project_id == project_id, call_streams.c.stream_id == stream)
                .values(watermark=mark)
            )
    return mark


def _apply_records(conn: sa.Connection, project_id: int, records: list[Record]) -> None:
    starts: dict[str, list[Any]] = {}
    ends: list[Record] = []
    for record in records:
        kind = record["type"]
        if kind != "call_end":
            row = _start_row(record, project_id)
            if kind == "call":
                _merge_end(row, record)
            if row[_ID_AT] not in starts:  # a repeated start keeps the first
                starts[row[_ID_AT]] = row
        else:
            _check_id(record.get("id"), "call_end")
            started = starts.get(record["id"])
            if started is not None:  # started in this batch: one insert holds both halves
                _merge_end(started, record)
            else:
                ends.append(record)
    if starts and conn.dialect.name == "sqlite":
        _insert_sqlite(conn, starts.values())  # its ON CONFLICT skips the ids already stored
    elif starts:
        existing = _existing_ids(conn, project_id, list(starts))
        rows = [row for call_id, row in starts.items() if call_id not in existing]
        if rows:
            _insert(conn, rows)
    for record in ends:
        values = {f: record.get(f) for f in _END_FIELDS}
        for optional in ("attributes", "display_name"):
            if record.get(optional) is not None:
                values[optional] = record[optional]
        if values["summary"] is None:
            values["summary"] = {}
        conn.execute(
            calls.update()
            .where(calls.c.id == record["id"], calls.c.project_id == project_id)
            .values(**values)
        )


_CALL_COLUMNS = tuple(c.name for c in calls.c)
if ("project_id", *CALL_FIELDS) != _CALL_COLUMNS:  # _start_row builds rows in this order
    raise RuntimeError(f"the calls table's columns changed: {_CALL_COLUMNS}")
(
    _ID_AT,
    _DISPLAY_NAME_AT,
    _INPUTS_AT,
    _OUTPUT_AT,
    _SUMMARY_AT,
    _ATTRIBUTES_AT,
) = (
    _CALL_COLUMNS.index(name)
    for name in ("id", "display_name", "inputs", "output", "summary", "attributes")
)
_END_AT = tuple((_CALL_COLUMNS.index(name), name) for name in _END_FIELDS)
_INSERT_SQLITE = (
    f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in _CALL_COLUMNS)})"
    " ON CONFLICT (project_id, id) DO NOTHING"
)


def _insert(conn: sa.Connection, rows: list[list[Any]]) -> None:
    """Insert call rows (lists in :data:`_CALL_COLUMNS` order) through SQLAlchemy."""
    conn.execute(calls.insert(), [dict(zip(_CALL_COLUMNS, row, strict=True)) for row in rows])


def _insert_sqlite(conn: sa.Connection, rows: Iterable[list[Any]]) -> None:
    """Insert call rows straight through the driver's executemany; a row whose id is
    already stored is skipped (not an error).

    SQLAlchemy's per-row parameter processing costs more than SQLite's insert
    itself, and the sender that runs this shares the GIL with the traced code.
    """
    conn.exec_driver_sql(_INSERT_SQLITE, [_sqlite_params(row) for row in rows])


def _sqlite_params(row: list[Any]) -> tuple[Any, ...]:
    """A row (in place) with its JSON columns as text, as a tuple for the driver; empty
    attributes, the usual case, need no call to the encoder."""
    dumps = orjson.dumps
    row[_INPUTS_AT] = dumps(row[_INPUTS_AT]).decode()
    row[_SUMMARY_AT] = dumps(row[_SUMMARY_AT]).decode()
    attributes = row[_ATTRIBUTES_AT]
    row[_ATTRIBUTES_AT] = dumps(attributes).decode() if attributes else "{}"
    if row[_OUTPUT_AT] is not None:
        row[_OUTPUT_AT] = dumps(row[_OUTPUT_AT]).decode()
    return tuple(row)


def _start_row(record: Record, project_id: int) -> list[Any]:
    """The row a ``call_start`` (or the start half of a ``call``) inserts, validated."""
    get = record.get
    call_id = _check_id(get("id"), "call_start")
    op_name = get("op_name")
    if not isinstance(op_name, str) or not op_name:
        raise InvalidValueError(f"call {call_id}: op_name must be a non-empty string")
    started_at = get("started_at")
    if not isinstance(started_at, (int, float)):
        raise InvalidValueError(f"call {call_id}: started_at must be a number")
    thread_id, turn_id = get("thread_id"), get("turn_id")
    # In _CALL_COLUMNS order (see the check where that is defined).
    return [
        project_id,
        call_id,
        _check_id(get("trace_id"), "trace_id"),
        get("parent_id"),
        op_name[:512],
        _text(get("display_name")),
        get("inputs") or {},
        None,  # output
        None,  # exception
        {},  # summary
        get("attributes") or {},
        float(started_at),
        None,  # ended_at
        None if thread_id is None else _check_id(thread_id, "thread_id"),
        None if turn_id is None else _check_id(turn_id, "turn_id"),
    ]


def _merge_end(row: list[Any], end: Record) -> None:
    get = end.get
    for at, field in _END_AT:
        row[at] = get(field)
    if not row[_SUMMARY_AT]:
        row[_SUMMARY_AT] = {}
    attributes = get("attributes")
    if attributes is not None:
        row[_ATTRIBUTES_AT] = attributes
    display_name = get("display_name")
    if display_name is not None:
        row[_DISPLAY_NAME_AT] = _text(display_name)


def _text(value: Any) -> str | None:
    return value[:512] if isinstance(value, str) else None


def _check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 36:
        raise InvalidValueError(f"{what} needs an id of 1-36 characters, not {value!r}")
    return value


def _validated(records: Sequence[Record]) -> list[Record]:
    if isinstance(records, (str, bytes, dict)) or not isinstance(records, Sequence):
        raise UsageError("records must be a list of record dicts")
    previous, in_order = 0, True
    for record in records:
        if not isinstance(record, dict):
            raise InvalidValueError(f"a record must be a dict, not {type(record).__name__}")
        seq, kind = record.get("seq"), record.get("type")
        if type(seq) is not int or seq < 1:
            raise InvalidValueError(f"a record needs an integer seq >= 1, not {seq!r}")
        if kind not in _CALL_TYPES:
            raise InvalidValueError(
                f"record {seq} has type {kind!r}: a call log holds only"
                f" {', '.join(CALL_RECORD_TYPES)} records"
            )
        in_order = in_order and seq > previous
        previous = seq
    if in_order:  # as a log is read: no sort, no duplicates
        return list(records)
    ordered = sorted(records, key=lambda r: r["seq"])
    unique = [r for i, r in enumerate(ordered) if i == 0 or ordered[i - 1]["seq"] != r["seq"]]
    return unique


def _project_for_write(
    conn: sa.Connection, dialect: str, entity: str, project: str, now: float
) -> int:
    names = {"entity": entity, "project": project}
    found = conn.execute(q.PROJECT_ID, names).scalar()
    if found is None:
        conn.execute(
            q.INSERT_PROJECT[dialect],
            {"entity": entity, "name": project, "created_at": now, "last_activity": now},
        )
        found = conn.execute(q.PROJECT_ID, names).scalar_one()
    conn.execute(
        projects.update()
        .where(projects.c.id == found, projects.c.last_activity < now - 1.0)
        .values(last_activity=now)
    )
    return int(found)


def _existing_ids(conn: sa.Connection, project_id: int, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        query = sa.select(calls.c.id).where(calls.c.project_id == project_id, calls.c.id.in_(chunk))
        found.update(conn.execute(query).scalars())
    return found


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


def watermark(engine: sa.Engine, entity: str, project: str, stream: str) -> int:
    query = (
        sa.select(call_streams.c.watermark)
        .join(projects, projects.c.id == call_streams.c.project_id)
        .where(
            projects.c.entity == entity,
            projects.c.name == project,
            call_streams.c.stream_id == stream,
        )
    )
    with read(engine) as conn:
        return int(conn.execute(query).scalar() or 0)


# ------------------------------------------------------------------ reads


def check_filter(filter: Any) -> dict[str, Any]:
    """The filter, validated: UsageError names the bad key or value."""
    if filter is None:
        return {}
    if not isinstance(filter, dict):
        raise UsageError(f"the calls filter must be a dict, not {type(filter).__name__}")
    for key, value in filter.items():
        if key not in FILTER_KEYS:
            raise UsageError(
                f"unknown calls filter key {key!r}: use one of {', '.join(FILTER_KEYS)}"
            )
        if key in ("trace_roots_only", "has_feedback"):
            if not isinstance(value, bool):
                raise UsageError(f"{key} must be true or false, not {value!r}")
        elif key in ("started_after", "started_before"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise UsageError(f"{key} must be a time in unix seconds, not {value!r}")
        elif key == "attributes":
            _check_attributes(value)
        elif isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise UsageError(f"filter {key!r} must be a list of strings, not {value!r}")
        elif not all(isinstance(v, str) for v in value):
            raise UsageError(f"filter {key!r} must hold only strings, not {value!r}")
        elif key == "statuses" and not set(value) <= set(STATUSES):
            raise UsageError(f"statuses must be among {', '.join(STATUSES)}, not {value!r}")
    return filter


def _check_attributes(value: Any) -> None:
    if not isinstance(value, dict):
        raise UsageError(
            f'the attributes filter must be a dict like {{"env": "prod"}}, not {value!r}'
        )
    for key, wanted in value.items():
        if not key or any(not part or '"' in part for part in key.split(".")):
            raise UsageError(f"invalid attribute key {key!r}: use dotted names without '\"'")
        if wanted is not None and not isinstance(wanted, (str, int, float, bool)):
            raise UsageError(
                f"attribute {key!r} can be compared with a string, number, true, false"
                f" or null, not {wanted!r}"
            )


def check_sort(sort_by: Any) -> list[tuple[str, str]]:
    """``sort_by`` as ``[(field, "asc"|"desc"), ...]``; UsageError names a bad entry."""
    if not sort_by:
        return [("started_at", "asc")]
    out = []
    for item in sort_by:
        if isinstance(item, dict):
            item = (item.get("field"), item.get("direction", "asc"))
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise UsageError(f"sort_by entries are (field, 'asc'|'desc') pairs, not {item!r}")
        field, direction = item
        if field not in SORT_FIELDS:
            raise UsageError(f"cannot sort calls by {field!r}: use one of {', '.join(SORT_FIELDS)}")
        if direction not in ("asc", "desc"):
            raise UsageError(f"sort direction must be 'asc' or 'desc', not {direction!r}")
        out.append((field, direction))
    return out


def _where(entity: str, project: str, filter: dict[str, Any], dialect: str) -> list[Any]:
    project_id = (
        sa.select(projects.c.id)
        .where(projects.c.entity == entity, projects.c.name == project)
        .scalar_subquery()
    )
    where: list[Any] = [calls.c.project_id == project_id]
    for key in FILTER_LIST_KEYS:
        if key in filter:
            where.append(_FILTER_COLUMNS[key].in_(list(filter[key])))
    if filter.get("trace_roots_only"):
        where.append(calls.c.parent_id.is_(None))
    if "statuses" in filter:
        where.append(sa.or_(sa.false(), *(_STATUS_TESTS[s] for s in filter["statuses"])))
    started = _started_at(filter)
    if "started_after" in filter:
        where.append(started >= filter["started_after"])
    if "started_before" in filter:
        where.append(started < filter["started_before"])
    for key, wanted in (filter.get("attributes") or {}).items():
        where.append(_attribute_equals(key.split("."), wanted, dialect))
    if "has_feedback" in filter:
        found = sa.exists().where(*_feedback_of_call())
        where.append(found if filter["has_feedback"] else sa.not_(found))
    if "reactions" in filter:
        where.append(
            sa.exists().where(
                *_feedback_of_call(),
                call_feedback.c.feedback_type == REACTION_TYPE,
                _emoji(dialect).in_(list(filter["reactions"])),
            )
        )
    if "input_refs" in filter:
        where.append(_holds_refs(calls.c.inputs, list(filter["input_refs"]), dialect))
    if "output_refs" in filter:
        where.append(_holds_refs(calls.c.output, list(filter["output_refs"]), dialect))
    return where


def _holds_refs(column: Any, refs: list[str], dialect: str) -> Any:
    """``column`` (inputs or output) holds one of ``refs`` anywhere inside it.

    A ref ending in ``:*`` matches every version (``…/object/Model:*``). The
    JSON is searched for each call of the project (PostgreSQL: a jsonpath;
    SQLite: ``json_tree``, only for calls whose JSON text holds a ref at all).
    """
    exact = [r for r in refs if not r.endswith(":*")]
    prefixes = [r[:-1] for r in refs if r.endswith(":*")]
    if dialect == "postgresql":
        tests = [_jsonpath(column, "@ == $r", ref) for ref in exact]
        tests += [_jsonpath(column, "@ starts with $r", prefix) for prefix in prefixes]
        return sa.or_(sa.false(), *tests)
    tree = sa.func.json_tree(column).table_valued("type", "atom").alias("ref_tree")
    tests = [tree.c.atom.in_(exact)] if exact else []
    tests += [sa.func.substr(tree.c.atom, 1, len(prefix)) == prefix for prefix in prefixes]
    if not tests:
        return sa.false()
    return sa.and_(
        sa.type_coerce(column, sa.Text).contains("weave:///"),
        sa.exists().where(tree.c.type == "text", sa.or_(*tests)),
    )


def _jsonpath(column: Any, test: str, value: str) -> Any:
    return sa.func.jsonb_path_exists(
        column,
        sa.literal_column(f"'strict $.** ? ({test})'"),
        sa.func.jsonb_build_object(sa.literal_column("'r'"), sa.cast(value, sa.Text)),
    )


def _emoji(dialect: str) -> Any:
    """The ``emoji`` of a feedback payload, as text (the path is SQL text, so that
    PostgreSQL sees the same expression in SELECT and GROUP BY)."""
    payload = call_feedback.c.payload
    if dialect == "postgresql":
        return sa.func.jsonb_extract_path_text(payload, sa.literal_column("'emoji'"), type_=sa.Text)
    return sa.func.json_extract(payload, sa.literal_column("'$.emoji'"), type_=sa.Text)


_STATUS_TESTS = {
    "success": sa.and_(calls.c.ended_at.is_not(None), calls.c.exception.is_(None)),
    "error": calls.c.exception.is_not(None),
    "running": sa.and_(calls.c.ended_at.is_(None), calls.c.exception.is_(None)),
}


def _narrow(filter: dict[str, Any]) -> bool:
    """Whether the filter names calls by id, parent or trace (a few rows, found by index)."""
    return any(key in filter for key in ("call_ids", "parent_ids", "trace_ids"))


def _started_at(filter: dict[str, Any]) -> Any:
    """``started_at``, as an expression no index serves when the filter is narrow.

    Otherwise SQLite walks the whole project along ``ix_calls_project_started``
    (to skip sorting) looking for a node's few children: 0.1 s per expanded
    node in a project of 300,000 calls, instead of a millisecond.
    """
    return calls.c.started_at + 0 if _narrow(filter) else calls.c.started_at


def _feedback_of_call() -> list[Any]:
    return [
        call_feedback.c.project_id == calls.c.project_id,
        call_feedback.c.call_id == calls.c.id,
    ]


def _attribute_equals(path: list[str], wanted: Any, dialect: str) -> Any:
    """``attributes.<path> = wanted``, by JSON type: ``"1"`` does not match ``1``."""
    column = calls.c.attributes
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        node = sa.func.jsonb_extract_path(column, *path, type_=JSONB)
        as_json = sa.cast(sa.literal(orjson.dumps(wanted).decode(), sa.Text), JSONB)
        return sa.or_(node.is_(None), node == as_json) if wanted is None else node == as_json
    json_path = "$" + "".join(f'."{part}"' for part in path)
    kind = sa.func.json_type(column, json_path, type_=sa.Text)
    value = sa.func.json_extract(column, json_path)
    if wanted is None:
        return sa.or_(kind.is_(None), kind == "null")
    if isinstance(wanted, bool):
        return kind == ("true" if wanted else "false")
    if isinstance(wanted, str):
        return sa.and_(kind == "text", value == wanted)
    return sa.and_(kind.in_(["integer", "real"]), value == wanted)


def get_calls(
    engine: sa.Engine,
    entity: str,
    project: str,
    *,
    filter: dict[str, Any] | None,
    sort_by: Any,
    limit: int | None,
    offset: int,
    query: dict[str, Any] | None = None,
    columns: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    checked = check_filter(filter)
    fields = check_columns(columns)
    order = []
    for field, direction in check_sort(sort_by):
        column = _started_at(checked) if field == "started_at" else _SORT_COLUMNS[field]
        order.append((column.desc() if direction == "desc" else column.asc()).nulls_last())
    order.append(calls.c.id.asc())
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise UsageError(f"{name} must be a non-negative integer, not {value!r}")
    where = _where(entity, project, checked, engine.dialect.name)
    if query is not None:
        where.append(query_where(query, engine.dialect.name))
    select = sa.select(*(calls.c[f] for f in fields)).where(*where).order_by(*order)
    if limit is not None:
        select = select.limit(limit)
    if offset:
        select = select.offset(offset)
    with read(engine) as conn:
        # Plain str keys: column names are str subclasses, which orjson refuses as keys.
        return [dict(zip(fields, row, strict=True)) for row in conn.execute(select)]


ALWAYS_COLUMNS = ("id", "trace_id", "parent_id", "op_name", "started_at")
"""The fields every call keeps, whatever ``columns`` asks for."""


def check_columns(columns: Any) -> tuple[str, ...]:
    """The fields to return for ``columns`` (None: all of :data:`CALL_FIELDS`)."""
    if columns is None:
        return CALL_FIELDS
    if isinstance(columns, str) or not isinstance(columns, (list, tuple)):
        raise UsageError(f"columns must be a list of call fields, not {columns!r}")
    unknown = [c for c in columns if c not in CALL_FIELDS]
    if unknown:
        raise UsageError(
            f"unknown call columns {unknown!r}: use fields among {', '.join(CALL_FIELDS)}"
        )
    wanted = set(columns) | set(ALWAYS_COLUMNS)
    return tuple(f for f in CALL_FIELDS if f in wanted)


def count_calls(
    engine: sa.Engine,
    entity: str,
    project: str,
    filter: dict[str, Any] | None,
    query: dict[str, Any] | None = None,
) -> int:
    checked = check_filter(filter)
    where = _where(entity, project, checked, engine.dialect.name)
    if query is not None:
        where.append(query_where(query, engine.dialect.name))
    counted = sa.select(sa.func.count()).select_from(calls).where(*where)
    with read(engine) as conn:
        return int(conn.execute(counted).scalar_one())


def count_calls_by(
    engine: sa.Engine, entity: str, project: str, field: str, filter: dict[str, Any] | None
) -> dict[str, int]:
    """See :meth:`heron.store.base.Store.count_calls_by`."""
    if field not in COUNT_BY_FIELDS:
        raise UsageError(
            f"cannot count calls by {field!r}: use one of {', '.join(COUNT_BY_FIELDS)}"
        )
    checked = check_filter(filter)
    column = calls.c[field]
    where = _where(entity, project, checked, engine.dialect.name)
    query = (
        sa.select(column, sa.func.count())
        .where(*where, column.is_not(None))
        .group_by(column)
        .order_by(column)
    )
    with read(engine) as conn:
        return {str(value): int(n) for value, n in conn.execute(query)}


def get_call(engine: sa.Engine, entity: str, project: str, call_id: str) -> dict[str, Any]:
    found = get_calls(
        engine, entity, project, filter={"call_ids": [call_id]}, sort_by=None, limit=1, offset=0
    )
    if not found:
        raise NotFoundError(f"call {call_id} does not exist in project {entity}/{project}")
    return found[0]


# ------------------------------------------------------------------ deletion


def delete_calls(engine: sa.Engine, entity: str, project: str, call_ids: Sequence[str]) -> int:
    """Delete the calls and their subtrees, level by level down ``parent_id``."""
    if isinstance(call_ids, str) or not all(isinstance(c, str) for c in call_ids):
        raise UsageError(f"call_ids must be a list of strings, not {call_ids!r}")
    with write(engine) as conn:
        project_id = conn.execute(q.PROJECT_ID, {"entity": entity, "project": project}).scalar()
        if project_id is None:
            return 0
        in_project = calls.c.project_id == project_id
        doomed: set[str] = set()
        level: list[str] = []
        for chunk in _chunks(list(dict.fromkeys(call_ids))):
            rows = conn.execute(
                sa.select(calls.c.id, calls.c.parent_id, calls.c.trace_id).where(
                    in_project, calls.c.id.in_(chunk)
                )
            )
            for call_id, parent_id, trace_id in rows:
                if parent_id is None:  # a trace root: its whole trace goes, in one query
                    doomed.update(
                        conn.execute(
                            sa.select(calls.c.id).where(in_project, calls.c.trace_id == trace_id)
                        ).scalars()
                    )
                level.append(call_id)
        doomed.update(level)
        while level:
            children: list[str] = []
            for chunk in _chunks(level):
                found = conn.execute(
                    sa.select(calls.c.id).where(in_project, calls.c.parent_id.in_(chunk))
                ).scalars()
                children.extend(c for c in found if c not in doomed)
            doomed.update(children)
            level = children
        ordered = sorted(doomed)
        of_project = call_feedback.c.project_id == project_id
        for chunk in _chunks(ordered):
            conn.execute(
                call_feedback.delete().where(of_project, call_feedback.c.call_id.in_(chunk))
            )
            conn.execute(calls.delete().where(in_project, calls.c.id.in_(chunk)))
        return len(ordered)


# ------------------------------------------------------------------ feedback

_FEEDBACK_FIELDS = ("id", "call_id", "feedback_type", "payload", "created_at")
_FEEDBACK_COLUMNS = [
    call_feedback.c.id,
    call_feedback.c.call_id,
    call_feedback.c.feedback_type,
    call_feedback.c.payload,
    call_feedback.c.created_at,
]


def add_feedback(
    engine: sa.Engine,
    entity: str,
    project: str,
    call_id: str,
    feedback_type: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    if not isinstance(feedback_type, str) or not 1 <= len(feedback_type) <= 256:
        raise UsageError(
            f"feedback_type must be a string of 1-256 characters, not {feedback_type!r}"
        )
    if not isinstance(payload, dict):
        raise UsageError(f"a feedback payload must be a dict, not {type(payload).__name__}")
    try:
        size = len(orjson.dumps(payload))
    except TypeError as exc:
        raise InvalidValueError(f"a feedback payload must be plain JSON: {exc}") from None
    if size > MAX_FEEDBACK_BYTES:
        raise UsageError(
            f"the feedback payload is {size} bytes of JSON; the most is {MAX_FEEDBACK_BYTES}"
        )
    row = {
        "id": str(uuid.uuid4()),
        "call_id": call_id,
        "feedback_type": feedback_type,
        "payload": payload,
        "created_at": time.time(),
    }
    with write(engine) as conn:
        project_id = conn.execute(
            sa.select(calls.c.project_id)
            .join(projects, projects.c.id == calls.c.project_id)
            .where(calls.c.id == call_id, projects.c.entity == entity, projects.c.name == project)
        ).scalar()
        if project_id is None:
            raise NotFoundError(f"call {call_id} does not exist in project {entity}/{project}")
        conn.execute(call_feedback.insert().values(project_id=project_id, **row))
    return row


def list_feedback(
    engine: sa.Engine, entity: str, project: str, call_id: str
) -> list[dict[str, Any]]:
    query = _feedback_query(entity, project, call_feedback.c.call_id == call_id)
    with read(engine) as conn:
        return [dict(zip(_FEEDBACK_FIELDS, row, strict=True)) for row in conn.execute(query)]


def _feedback_query(entity: str, project: str, *where: Any) -> sa.Select[Any]:
    """The project's feedback (:data:`_FEEDBACK_COLUMNS`) matching ``where``, oldest first."""
    return (
        sa.select(*_FEEDBACK_COLUMNS)
        .join(projects, projects.c.id == call_feedback.c.project_id)
        .where(projects.c.entity == entity, projects.c.name == project, *where)
        .order_by(call_feedback.c.created_at, call_feedback.c.id)
    )


def attach_feedback(
    engine: sa.Engine, entity: str, project: str, rows: list[dict[str, Any]]
) -> None:
    """Add ``summary["weave"]["feedback"]`` (the call's feedback, oldest first) to each row."""
    if not rows:
        return
    found: dict[str, list[dict[str, Any]]] = {}
    with read(engine) as conn:
        for chunk in _chunks(list(dict.fromkeys(row["id"] for row in rows))):
            query = _feedback_query(entity, project, call_feedback.c.call_id.in_(chunk))
            for item in conn.execute(query):
                entry = dict(zip(_FEEDBACK_FIELDS, item, strict=True))
                found.setdefault(entry["call_id"], []).append(entry)
    for row in rows:
        summary = row.get("summary")
        summary = dict(summary) if isinstance(summary, dict) else {}
        weave = summary.get("weave")
        weave = dict(weave) if isinstance(weave, dict) else {}
        weave["feedback"] = found.get(row["id"], [])
        summary["weave"] = weave
        row["summary"] = summary


def query_feedback(
    engine: sa.Engine,
    entity: str,
    project: str,
    *,
    feedback_ids: Sequence[str] | None,
    call_ids: Sequence[str] | None,
    feedback_types: Sequence[str] | None,
    reactions: Sequence[str] | None,
    limit: int | None,
    offset: int,
) -> list[dict[str, Any]]:
    """See :meth:`heron.store.base.Store.query_feedback`."""
    lists = {
        "feedback_ids": feedback_ids,
        "call_ids": call_ids,
        "feedback_types": feedback_types,
        "reactions": reactions,
    }
    for name, value in lists.items():
        if value is not None and (
            isinstance(value, str) or not all(isinstance(v, str) for v in value)
        ):
            raise UsageError(f"{name} must be a list of strings, not {value!r}")
    for name, number in (("limit", limit), ("offset", offset)):
        if number is not None and (
            not isinstance(number, int) or isinstance(number, bool) or number < 0
        ):
            raise UsageError(f"{name} must be a non-negative integer, not {number!r}")
    where: list[Any] = []
    if feedback_ids is not None:
        where.append(call_feedback.c.id.in_(list(feedback_ids)))
    if call_ids is not None:
        where.append(call_feedback.c.call_id.in_(list(call_ids)))
    if feedback_types is not None:
        where.append(call_feedback.c.feedback_type.in_(list(feedback_types)))
    if reactions is not None:
        where.append(call_feedback.c.feedback_type == REACTION_TYPE)
        where.append(_emoji(engine.dialect.name).in_(list(reactions)))
    query = _feedback_query(entity, project, *where)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    with read(engine) as conn:
        return [dict(zip(_FEEDBACK_FIELDS, row, strict=True)) for row in conn.execute(query)]


def feedback_counts(
    engine: sa.Engine, entity: str, project: str, call_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """See :meth:`heron.store.base.Store.feedback_counts`."""
    if isinstance(call_ids, str) or not all(isinstance(c, str) for c in call_ids):
        raise UsageError(f"call_ids must be a list of strings, not {call_ids!r}")
    emoji = _emoji(engine.dialect.name)
    out: dict[str, dict[str, Any]] = {}
    with read(engine) as conn:
        for chunk in _chunks(list(dict.fromkeys(call_ids))):
            query = (
                sa.select(
                    call_feedback.c.call_id, call_feedback.c.feedback_type, emoji, sa.func.count()
                )
                .join(projects, projects.c.id == call_feedback.c.project_id)
                .where(
                    projects.c.entity == entity,
                    projects.c.name == project,
                    call_feedback.c.call_id.in_(chunk),
                )
                .group_by(call_feedback.c.call_id, call_feedback.c.feedback_type, emoji)
            )
            for call_id, kind, face, n in conn.execute(query):
                counts = out.setdefault(call_id, {"total": 0, "types": {}, "reactions": {}})
                counts["total"] += n
                counts["types"][kind] = counts["types"].get(kind, 0) + n
                if kind == REACTION_TYPE and isinstance(face, str):
                    counts["reactions"][face] = counts["reactions"].get(face, 0) + n
    return out


def purge_feedback(engine: sa.Engine, entity: str, project: str, feedback_id: str) -> bool:
    with write(engine) as conn:
        project_id = conn.execute(q.PROJECT_ID, {"entity": entity, "project": project}).scalar()
        if project_id is None:
            return False
        result = conn.execute(
            call_feedback.delete().where(
                call_feedback.c.id == feedback_id, call_feedback.c.project_id == project_id
            )
        )
        return bool(result.rowcount)


# ------------------------------------------------------------------ weave-style query expressions

QUERY_OPERATORS = (
    "$and",
    "$or",
    "$not",
    "$eq",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$contains",
)
_TEXT_FIELDS = (
    "id",
    "trace_id",
    "parent_id",
    "op_name",
    "display_name",
    "exception",
    "thread_id",
    "turn_id",
)
_NUMBER_FIELDS = ("started_at", "ended_at")
_JSON_FIELDS = ("inputs", "output", "summary", "attributes")
_CONVERT_TO = ("int", "double", "string", "bool")
_NUMERIC_TEXT = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_COMPARE = {
    "$eq": lambda a, b: a == b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


class _Operand:
    """A value in a query: a field of the call, a literal, or a conversion of either.

    ``kind`` is what the operand is compared as by default: ``text``,
    ``number``, ``bool``, ``null`` or ``any`` (a JSON field, whose stored type
    is not known: compared as text unless the other side is a number).
    """

    def __init__(self, kind: str, text: Any = None, number: Any = None, value: Any = None):
        self.kind = kind
        self._text = text
        self._number = number
        self.value = value

    def text(self) -> Any:
        if self._text is None:
            raise UsageError("this query operand cannot be compared as text")
        return self._text

    def number(self) -> Any:
        if self._number is None:
            raise UsageError(
                "this query operand cannot be compared as a number: $convert it to double"
            )
        return self._number


def check_query(query: Any) -> dict[str, Any] | None:
    """The query, checked (compiled for SQLite): UsageError names what is wrong."""
    if query is None:
        return None
    query_where(query, "sqlite")
    return dict(query)


def query_where(query: Any, dialect: str) -> Any:
    """A weave-style ``{"$expr": {...}}`` query as a SQL condition on ``calls``."""
    if not isinstance(query, dict) or set(query) != {"$expr"}:
        raise UsageError(
            'a calls query is {"$expr": {...}}, e.g. {"$expr": {"$eq": [{"$getField":'
            ' "op_name"}, {"$literal": "answer"}]}}'
        )
    return _condition(query["$expr"], dialect)


def _single(node: Any, where: str) -> tuple[str, Any]:
    if not isinstance(node, dict) or len(node) != 1:
        raise UsageError(f"{where}: expected an object with one operator, not {node!r}")
    ((op, args),) = node.items()
    return op, args


def _condition(node: Any, dialect: str) -> Any:
    op, args = _single(node, "a query condition")
    if op in ("$and", "$or"):
        if not isinstance(args, list) or not args:
            raise UsageError(f"{op} takes a non-empty list of conditions, not {args!r}")
        parts = [_condition(a, dialect) for a in args]
        return sa.and_(*parts) if op == "$and" else sa.or_(*parts)
    if op == "$not":
        if isinstance(args, list):
            if len(args) != 1:
                raise UsageError(f"$not takes one condition, not {len(args)}")
            args = args[0]
        return sa.not_(_condition(args, dialect))
    if op in _COMPARE:
        if not isinstance(args, list) or len(args) != 2:
            raise UsageError(f"{op} takes a list of two operands, not {args!r}")
        left, right = (_operand(a, dialect) for a in args)
        return _compare(op, left, right)
    if op == "$in":
        if not isinstance(args, list) or len(args) != 2 or not isinstance(args[1], list):
            raise UsageError(f"$in takes [operand, [operand, ...]], not {args!r}")
        left = _operand(args[0], dialect)
        options = [_operand(a, dialect) for a in args[1]]
        if not options:
            return sa.false()
        return sa.or_(*(_compare("$eq", left, option) for option in options))
    if op == "$contains":
        if not isinstance(args, dict) or not {"input", "substr"} <= set(args):
            raise UsageError(
                '$contains takes {"input": operand, "substr": operand, "case_insensitive":'
                f" bool}}, not {args!r}"
            )
        unknown = set(args) - {"input", "substr", "case_insensitive"}
        if unknown:
            raise UsageError(f"$contains does not take {', '.join(sorted(unknown))}")
        haystack = _operand(args["input"], dialect).text()
        needle = _operand(args["substr"], dialect)
        fold = bool(args.get("case_insensitive", False))
        if fold:
            haystack = sa.func.lower(haystack)
        word = sa.func.lower(needle.text()) if fold else needle.text()
        # instr/strpos: case-sensitive (SQLite's LIKE is not), no wildcards to escape.
        if dialect == "postgresql":
            return sa.func.strpos(haystack, word) > 0
        return sa.func.instr(haystack, word) > 0
    raise UsageError(
        f"unknown query operator {op!r}: conditions use {', '.join(QUERY_OPERATORS)};"
        " operands $getField, $literal, $convert"
    )


def _compare(op: str, left: _Operand, right: _Operand) -> Any:
    if "null" in (left.kind, right.kind):
        if op != "$eq":
            raise UsageError(f"{op} cannot compare with null: use $eq (and $not)")
        other = right if left.kind == "null" else left
        if other.kind == "null":
            return sa.true()
        return (other.number() if other.kind == "number" else other.text()).is_(None)
    kinds = {left.kind, right.kind}
    test = _COMPARE[op]
    if "number" in kinds:
        return test(left.number(), right.number())
    if "bool" in kinds:
        return test(left.text(), right.text())
    return test(left.text(), right.text())


def _operand(node: Any, dialect: str) -> _Operand:
    op, args = _single(node, "a query operand")
    if op == "$literal":
        return _literal(args)
    if op == "$getField":
        if not isinstance(args, str) or not args:
            raise UsageError(f'$getField takes a field name like "inputs.x", not {args!r}')
        return _field(args, dialect)
    if op == "$convert":
        if not isinstance(args, dict) or set(args) != {"input", "to"}:
            raise UsageError(f'$convert takes {{"input": operand, "to": type}}, not {args!r}')
        to = args["to"]
        if to not in _CONVERT_TO:
            raise UsageError(f"$convert to {to!r}: use one of {', '.join(_CONVERT_TO)}")
        inner = _operand(args["input"], dialect)
        if to == "string":
            return _Operand("text", text=inner.text())
        if to == "bool":
            return _Operand("bool", text=inner.text())
        number = inner.number()
        if to == "int":  # toward zero, as Python's int()
            number = (
                sa.func.trunc(number) if dialect == "postgresql" else sa.cast(number, sa.Integer)
            )
        return _Operand("number", number=number, text=inner._text)
    if op in QUERY_OPERATORS:
        raise UsageError(f"{op} is a condition; an operand is $getField, $literal or $convert")
    raise UsageError(f"unknown query operand {op!r}: use $getField, $literal or $convert")


def _literal(value: Any) -> _Operand:
    if value is None:
        return _Operand("null")
    if isinstance(value, bool):
        word = "true" if value else "false"
        return _Operand("bool", text=sa.literal(word, sa.Text), value=value)
    if isinstance(value, (int, float)):
        return _Operand(
            "number",
            number=sa.literal(float(value), sa.Float),
            text=sa.literal(str(value), sa.Text),
            value=value,
        )
    if isinstance(value, str):
        return _Operand("text", text=sa.literal(value, sa.Text), value=value)
    raise UsageError(f"$literal takes a string, number, bool or null, not {value!r}")


def _field(name: str, dialect: str) -> _Operand:
    head, _, rest = name.partition(".")
    if head in _TEXT_FIELDS and not rest:
        return _Operand("text", text=calls.c[head])
    if head in _NUMBER_FIELDS and not rest:
        return _Operand("number", number=calls.c[head], text=sa.cast(calls.c[head], sa.Text))
    if head not in _JSON_FIELDS:
        raise UsageError(
            f"unknown call field {name!r}: use {', '.join(_TEXT_FIELDS + _NUMBER_FIELDS)},"
            f" or a dotted path under {', '.join(_JSON_FIELDS)}"
        )
    path = rest.split(".") if rest else []
    if any(not part for part in path):
        raise UsageError(f"invalid field path {name!r}: empty part")
    column = calls.c[head]
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY, JSONB

        keys = sa.literal(path, ARRAY(sa.Text))
        node = column.op("#>", return_type=JSONB)(keys)
        text = column.op("#>>", return_type=sa.Text)(keys)
        kind = sa.func.jsonb_typeof(node, type_=sa.Text)
        numeric_text = text.op("~", is_comparison=True)(_NUMERIC_TEXT)
        number = sa.case(
            (kind == "number", sa.cast(text, sa.Float)),
            (sa.and_(kind == "string", numeric_text), sa.cast(text, sa.Float)),
            else_=None,
        )
        return _Operand("any", text=text, number=number)
    json_path = "$" + "".join(f"[{p}]" if p.isdigit() else f'."{_quote(p)}"' for p in path)
    kind = sa.func.json_type(column, json_path, type_=sa.Text)
    value = sa.func.json_extract(column, json_path)
    shown = sa.case(
        (kind == "true", sa.literal("true")),
        (kind == "false", sa.literal("false")),
        (kind == "null", sa.null()),
        else_=sa.cast(value, sa.Text),
    )
    as_text = sa.cast(value, sa.Text)
    looks_numeric = sa.and_(
        as_text.op("GLOB", is_comparison=True)("*[0-9]*"),
        sa.not_(as_text.op("GLOB", is_comparison=True)("*[^0-9.eE+ -]*")),
    )
    number = sa.case(
        (kind.in_(["integer", "real"]), sa.cast(value, sa.Float)),
        (sa.and_(kind == "text", looks_numeric), sa.cast(value, sa.Float)),
        else_=None,
    )
    return _Operand("any", text=shown, number=number)


def _quote(part: str) -> str:
    if '"' in part or "\\" in part:
        raise UsageError(f"invalid field path part {part!r}: '\"' and '\\' are not allowed")
    return part
