"""Weave objects and row tables in SQL: versioned objects and ops, immutable row tables.

:class:`heron.store.sql.SqlStore` delegates its object and table methods here.

An object version is one ``weave_objects`` row keyed by (project, kind, name,
digest); the digest is the sha256 of the canonical JSON of its value, so
storing the same value twice finds the row already there. New content takes
the next ``version_index`` of the name; on PostgreSQL two writers racing for
the same index collide on the unique constraint and the loser retries.

A row table is a ``weave_tables`` row plus its ``weave_table_rows``; a big
table goes in as one batch (``executemany`` straight through the SQLite driver,
``COPY`` on PostgreSQL). Uploads in parts (:func:`stage_rows`) are kept under
the table digest ``upload-<id>`` until :func:`commit_upload` renames them to
the real digest, so the rows are written once.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa

from heron.entities import check_name
from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.records import decode_value, dumps_faithful
from heron.store.base import (
    MAX_OBJECT_BYTES,
    OBJECT_FIELDS,
    OBJECT_KINDS,
    canonical_json,
    json_digest,
    table_digest,
)
from heron.store.sql import statements as q
from heron.store.sql.engine import read, write
from heron.store.sql.tables import weave_objects, weave_table_rows, weave_tables

T = TypeVar("T")

NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
"""A weave object or op name (see :meth:`heron.store.base.Store.create_object`)."""
DIGEST_PATTERN = re.compile(r"[0-9a-f]{64}")
_VERSION_INDEX = re.compile(r"v(\d{1,9})")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_STAGED = "upload-"
_RETRIES = 5
_COPY_ROWS = (
    "COPY weave_table_rows (project_id, table_digest, row_index, row_digest, val) FROM STDIN"
)
_INSERT_ROWS_SQLITE = (
    "INSERT INTO weave_table_rows (project_id, table_digest, row_index, row_digest, val)"
    " VALUES (?, ?, ?, ?, ?)"
)
_O = weave_objects.c
_R = weave_table_rows.c


# ------------------------------------------------------------------ checks


def check_object_name(name: Any) -> str:
    """``name`` if it is a valid object or op name, else UsageError saying what is allowed."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise UsageError(
            f"invalid object name {name!r}: use 1-128 letters, digits, '-', '_' or '.',"
            " starting with a letter, digit or '_'"
        )
    return name


def _check_kind(kind: Any) -> str:
    if kind not in OBJECT_KINDS:
        raise UsageError(f"kind must be one of {', '.join(OBJECT_KINDS)}, not {kind!r}")
    return str(kind)


def _check_digest(digest: Any, what: str = "table") -> str:
    if not isinstance(digest, str) or not DIGEST_PATTERN.fullmatch(digest):
        raise UsageError(f"invalid {what} digest {digest!r}: use 64 lowercase hex characters")
    return digest


def _check_paging(offset: Any, limit: Any) -> None:
    for name, value in (("offset", offset), ("limit", limit)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise UsageError(f"{name} must be a non-negative integer, not {value!r}")


def parse_version(version: Any) -> tuple[str, Any]:
    """``("latest", None)``, ``("index", N)`` for ``vN``, or ``("digest", hex)``."""
    if version == "latest":
        return "latest", None
    if isinstance(version, str):
        found = _VERSION_INDEX.fullmatch(version)
        if found:
            return "index", int(found.group(1))
        if DIGEST_PATTERN.fullmatch(version):
            return "digest", version
    raise UsageError(
        f"invalid version {version!r}: use 'latest', 'v<N>' (v0 is the first) or a 64-hex digest"
    )


def _encoded(value: Any, what: str, dialect: str) -> bytes:
    try:
        data = canonical_json(value)
    except InvalidValueError as exc:
        raise InvalidValueError(f"{what} is {exc}") from None
    if dialect == "postgresql" and b"\\u0000" in data:
        raise InvalidValueError(f"{what} holds a NUL character, which PostgreSQL cannot store")
    return data


# ------------------------------------------------------------------ projects


def _project_id(conn: sa.Connection, entity: str, project: str) -> int | None:
    found = conn.execute(q.PROJECT_ID, {"entity": entity, "project": project}).scalar()
    return None if found is None else int(found)


def _project_for_write(
    conn: sa.Connection, dialect: str, entity: str, project: str, now: float
) -> int:
    found = _project_id(conn, entity, project)
    if found is None:
        conn.execute(
            q.INSERT_PROJECT[dialect],
            {"entity": entity, "name": project, "created_at": now, "last_activity": now},
        )
        found = conn.execute(q.PROJECT_ID, {"entity": entity, "project": project}).scalar_one()
    return int(found)


def _retrying(work: Callable[[], T]) -> T:
    """Run a write transaction again when a concurrent writer took the same key first."""
    for attempt in range(_RETRIES):
        try:
            return work()
        except sa.exc.IntegrityError:
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ objects

_OBJECT_COLUMNS = [
    _O.object_id,
    _O.digest,
    _O.version_index,
    _O.kind,
    _O.base_object_class,
    _O.val,
    _O.created_at,
]


def _object(row: Sequence[Any], latest: int | None) -> dict[str, Any]:
    found = dict(zip(OBJECT_FIELDS[:-1], row, strict=True))
    found["val"] = decode_value(found["val"])
    found["is_latest"] = latest is not None and found["version_index"] == latest
    return found


def _latest_index(conn: sa.Connection, project_id: int, kind: str, name: str) -> int | None:
    return conn.execute(
        sa.select(sa.func.max(_O.version_index)).where(
            _O.project_id == project_id,
            _O.kind == kind,
            _O.object_id == name,
            _O.deleted_at.is_(None),
        )
    ).scalar()


def create_object(
    engine: sa.Engine,
    dialect: str,
    entity: str,
    project: str,
    name: str,
    val: Any,
    kind: str,
    base_object_class: str | None,
) -> dict[str, Any]:
    """See :meth:`heron.store.base.Store.create_object`."""
    check_name("entity", entity)
    check_name("project", project)
    check_object_name(name)
    _check_kind(kind)
    if base_object_class is not None and (
        not isinstance(base_object_class, str) or not 1 <= len(base_object_class) <= 128
    ):
        raise UsageError(
            f"base_object_class must be a string of 1-128 characters, not {base_object_class!r}"
        )
    data = _encoded(val, f"the value of {kind} {name!r}", dialect)
    if len(data) > MAX_OBJECT_BYTES:
        raise InvalidValueError(
            f"{kind} {name!r} is {len(data)} bytes of JSON; the most is {MAX_OBJECT_BYTES}"
            " (put rows in a weave.Dataset or Table, which are stored apart)"
        )
    digest = json_digest(data)
    stored = orjson.loads(data)  # NaN tagged, as canonical_json wrote it

    def work() -> dict[str, Any]:
        now = time.time()
        with write(engine) as conn:
            project_id = _project_for_write(conn, dialect, entity, project, now)
            key = (_O.project_id == project_id, _O.kind == kind, _O.object_id == name)
            found = conn.execute(
                sa.select(*_OBJECT_COLUMNS, _O.deleted_at).where(*key, _O.digest == digest)
            ).first()
            if found is not None:
                if found.deleted_at is not None:
                    conn.execute(
                        weave_objects.update()
                        .where(*key, _O.digest == digest)
                        .values(deleted_at=None)
                    )
                return _object(found[:-1], _latest_index(conn, project_id, kind, name))
            top = conn.execute(sa.select(sa.func.max(_O.version_index)).where(*key)).scalar()
            index = 0 if top is None else int(top) + 1
            row = {
                "project_id": project_id,
                "kind": kind,
                "object_id": name,
                "digest": digest,
                "version_index": index,
                "base_object_class": base_object_class,
                "val": stored,
                "created_at": now,
                "deleted_at": None,
            }
            conn.execute(weave_objects.insert().values(**row))
        return _object([row[f] for f in OBJECT_FIELDS[:-1]], index)

    return _retrying(work)


def _find_version(
    conn: sa.Connection,
    entity: str,
    project: str,
    kind: str,
    name: str,
    version: str,
) -> tuple[int, Any]:
    """(project id, the row with ``deleted_at``) of one live version; NotFoundError if none."""
    how, value = parse_version(version)
    project_id = _project_id(conn, entity, project)
    where = [_O.project_id == project_id, _O.kind == kind, _O.object_id == name]
    query = sa.select(*_OBJECT_COLUMNS, _O.deleted_at)
    if how == "latest":
        query = query.where(*where, _O.deleted_at.is_(None)).order_by(_O.version_index.desc())
    elif how == "index":
        query = query.where(*where, _O.version_index == value)
    else:
        query = query.where(*where, _O.digest == value)
    row = None if project_id is None else conn.execute(query.limit(1)).first()
    if row is None or row.deleted_at is not None:
        what = "op" if kind == "op" else "object"
        gone = " (it was deleted)" if row is not None else ""
        if how == "latest" or (row is None and not _name_exists(conn, project_id, kind, name)):
            raise NotFoundError(f"there is no {what} {name!r} in project {entity}/{project}")
        raise NotFoundError(
            f"{what} {name!r} has no version {version} in project {entity}/{project}{gone}"
        )
    assert project_id is not None
    return project_id, row


def _name_exists(conn: sa.Connection, project_id: int | None, kind: str, name: str) -> bool:
    if project_id is None:
        return False
    query = sa.select(_O.digest).where(
        _O.project_id == project_id, _O.kind == kind, _O.object_id == name
    )
    return conn.execute(query.limit(1)).first() is not None


def get_object(
    engine: sa.Engine, entity: str, project: str, name: str, version: str, kind: str
) -> dict[str, Any]:
    """See :meth:`heron.store.base.Store.get_object`."""
    _check_kind(kind)
    check_object_name(name)
    with read(engine) as conn:
        project_id, row = _find_version(conn, entity, project, kind, name, version)
        return _object(row[:-1], _latest_index(conn, project_id, kind, name))


def _latest_subquery(where: list[Any]) -> Any:
    return (
        sa.select(_O.kind, _O.object_id, sa.func.max(_O.version_index).label("latest"))
        .where(*where)
        .group_by(_O.kind, _O.object_id)
        .subquery()
    )


def list_objects(
    engine: sa.Engine,
    entity: str,
    project: str,
    *,
    kind: str | None,
    base_object_classes: Sequence[str] | None,
    latest_only: bool,
    limit: int | None,
    offset: int,
    name: str | None = None,
) -> list[dict[str, Any]]:
    """See :meth:`heron.store.base.Store.list_objects` (and ``list_object_versions``)."""
    if kind is not None:
        _check_kind(kind)
    if base_object_classes is not None and (
        isinstance(base_object_classes, str)
        or not all(isinstance(c, str) for c in base_object_classes)
    ):
        raise UsageError(
            f"base_object_classes must be a list of strings, not {base_object_classes!r}"
        )
    if not isinstance(latest_only, bool):
        raise UsageError(f"latest_only must be true or false, not {latest_only!r}")
    _check_paging(offset, limit)
    with read(engine) as conn:
        project_id = _project_id(conn, entity, project)
        if project_id is None:
            return []
        where: list[Any] = [_O.project_id == project_id, _O.deleted_at.is_(None)]
        if kind is not None:
            where.append(_O.kind == kind)
        if name is not None:
            where.append(_O.object_id == name)
        latest = _latest_subquery(where)
        if base_object_classes is not None:
            where.append(_O.base_object_class.in_(list(base_object_classes)))
        joined = sa.and_(latest.c.kind == _O.kind, latest.c.object_id == _O.object_id)
        if latest_only:
            joined = sa.and_(joined, latest.c.latest == _O.version_index)
        query = (
            sa.select(*_OBJECT_COLUMNS, latest.c.latest)
            .join(latest, joined)
            .where(*where)
            .order_by(_O.object_id, _O.kind, _O.version_index)
        )
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return [_object(row[:-1], row[-1]) for row in conn.execute(query)]


def delete_object_version(
    engine: sa.Engine, entity: str, project: str, name: str, version: str, kind: str
) -> dict[str, Any]:
    """See :meth:`heron.store.base.Store.delete_object_version`."""
    _check_kind(kind)
    check_object_name(name)
    with write(engine) as conn:
        project_id, row = _find_version(conn, entity, project, kind, name, version)
        conn.execute(
            weave_objects.update()
            .where(
                _O.project_id == project_id,
                _O.kind == kind,
                _O.object_id == name,
                _O.digest == row.digest,
            )
            .values(deleted_at=time.time())
        )
        found = _object(row[:-1], None)
    return found


# ------------------------------------------------------------------ tables


def _rows_list(rows: Any) -> Sequence[Any]:
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Sequence):
        raise UsageError(f"rows must be a list of JSON values, not {type(rows).__name__}")
    return rows


def _encode_rows(rows: Sequence[Any], start: int, dialect: str) -> list[tuple[str, str]]:
    """Each row as (JSON text in its own key order, digest of its canonical JSON).

    The text keeps the row's key order (a DataFrame's column order) where the
    database does (SQLite; PostgreSQL's JSONB orders keys its own way).
    """
    out = []
    dumps = orjson.dumps
    for i, row in enumerate(rows):
        data = _encoded(row, f"table row {start + i}", dialect)
        text = dumps(row)
        if b"null" in text:
            text = dumps_faithful(row)
        out.append((text.decode(), json_digest(data)))
    return out


def _table_digest(parts: Iterable[Iterable[str]]) -> str:
    """:func:`~heron.store.base.table_digest` of the row digests of ``parts`` in turn."""
    return table_digest(itertools.chain.from_iterable(parts))


def _insert_rows(
    conn: sa.Connection,
    project_id: int,
    table: str,
    start: int,
    encoded: list[tuple[str, str]],
) -> None:
    if not encoded:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(_COPY_ROWS) as copy:  # type: ignore[union-attr]
            for i, (text, digest) in enumerate(encoded):
                copy.write_row((project_id, table, start + i, digest, text))
        return
    params = [
        (project_id, table, start + i, digest, text) for i, (text, digest) in enumerate(encoded)
    ]
    conn.exec_driver_sql(_INSERT_ROWS_SQLITE, params)


def _table_info(conn: sa.Connection, project_id: int | None, digest: str) -> dict[str, Any] | None:
    if project_id is None:
        return None
    row = conn.execute(
        sa.select(weave_tables.c.row_count, weave_tables.c.created_at).where(
            weave_tables.c.project_id == project_id, weave_tables.c.digest == digest
        )
    ).first()
    if row is None:
        return None
    return {"digest": digest, "row_count": int(row.row_count), "created_at": row.created_at}


def _row_digests(conn: sa.Connection, project_id: int, table: str) -> list[str]:
    query = (
        sa.select(_R.row_digest)
        .where(_R.project_id == project_id, _R.table_digest == table)
        .order_by(_R.row_index)
    )
    return list(conn.execute(query).scalars())


def _base_digests(
    conn: sa.Connection, project_id: int, base: str | None, entity: str, project: str
) -> list[str]:
    if base is None:
        return []
    _check_digest(base, "base table")
    if _table_info(conn, project_id, base) is None:
        raise NotFoundError(f"table {base} does not exist in project {entity}/{project}")
    return _row_digests(conn, project_id, base)


def _copy_base(conn: sa.Connection, project_id: int, base: str, digest: str) -> None:
    source = sa.select(
        _R.project_id, sa.literal(digest), _R.row_index, _R.row_digest, _R.val
    ).where(_R.project_id == project_id, _R.table_digest == base)
    conn.execute(
        weave_table_rows.insert().from_select(
            ["project_id", "table_digest", "row_index", "row_digest", "val"], source
        )
    )


def _add_table(conn: sa.Connection, project_id: int, digest: str, count: int) -> dict[str, Any]:
    now = time.time()
    conn.execute(
        weave_tables.insert().values(
            project_id=project_id, digest=digest, row_count=count, created_at=now
        )
    )
    return {"digest": digest, "row_count": count, "created_at": now}


def create_table(
    engine: sa.Engine,
    dialect: str,
    entity: str,
    project: str,
    rows: Sequence[Any],
    base: str | None,
) -> dict[str, Any]:
    """See :meth:`heron.store.base.Store.create_table`."""
    check_name("entity", entity)
    check_name("project", project)
    encoded = _encode_rows(_rows_list(rows), 0, dialect)

    def work() -> dict[str, Any]:
        with write(engine) as conn:
            project_id = _project_for_write(conn, dialect, entity, project, time.time())
            prefix = _base_digests(conn, project_id, base, entity, project)
            digest = _table_digest((prefix, (d for _, d in encoded)))
            found = _table_info(conn, project_id, digest)
            if found is not None:
                return found
            if base is not None and prefix:
                _copy_base(conn, project_id, base, digest)
            _insert_rows(conn, project_id, digest, len(prefix), encoded)
            return _add_table(conn, project_id, digest, len(prefix) + len(encoded))

    return _retrying(work)


def _staged(upload_id: Any) -> str:
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise UsageError(f"invalid upload id {upload_id!r}: use 32 lowercase hex characters")
    return _STAGED + upload_id


def stage_rows(
    engine: sa.Engine,
    dialect: str,
    entity: str,
    project: str,
    upload_id: str,
    start: int,
    rows: Sequence[Any],
) -> int:
    """See :meth:`heron.store.base.Store.stage_table_rows`."""
    check_name("entity", entity)
    check_name("project", project)
    staged = _staged(upload_id)
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise UsageError(f"start must be a non-negative integer, not {start!r}")
    encoded = _encode_rows(_rows_list(rows), start, dialect)
    with write(engine) as conn:
        project_id = _project_for_write(conn, dialect, entity, project, time.time())
        mine = (_R.project_id == project_id, _R.table_digest == staged)
        conn.execute(  # a retried part replaces what its first attempt left
            weave_table_rows.delete().where(
                *mine, _R.row_index >= start, _R.row_index < start + len(encoded)
            )
        )
        _insert_rows(conn, project_id, staged, start, encoded)
        count = conn.execute(sa.select(sa.func.count()).where(*mine)).scalar_one()
    return int(count)


def commit_upload(
    engine: sa.Engine,
    dialect: str,
    entity: str,
    project: str,
    upload_id: str,
    row_count: int,
    base: str | None,
) -> dict[str, Any]:
    """See :meth:`heron.store.base.Store.commit_table`."""
    check_name("entity", entity)
    check_name("project", project)
    staged = _staged(upload_id)
    if not isinstance(row_count, int) or isinstance(row_count, bool) or row_count < 0:
        raise UsageError(f"row_count must be a non-negative integer, not {row_count!r}")

    def work() -> dict[str, Any]:
        with write(engine) as conn:
            project_id = _project_for_write(conn, dialect, entity, project, time.time())
            mine = (_R.project_id == project_id, _R.table_digest == staged)
            count, low, high = conn.execute(
                sa.select(sa.func.count(), sa.func.min(_R.row_index), sa.func.max(_R.row_index))
                .select_from(weave_table_rows)
                .where(*mine)
            ).one()
            if count != row_count or (count and (low != 0 or high != row_count - 1)):
                raise UsageError(
                    f"upload {upload_id} holds {count} staged rows, not rows 0-{row_count - 1}:"
                    " stage the missing rows, then commit"
                )
            prefix = _base_digests(conn, project_id, base, entity, project)
            digest = _table_digest((prefix, _row_digests(conn, project_id, staged)))
            found = _table_info(conn, project_id, digest)
            if found is not None:
                conn.execute(weave_table_rows.delete().where(*mine))
                return found
            if base is not None and prefix:
                _copy_base(conn, project_id, base, digest)
            conn.execute(
                weave_table_rows.update()
                .where(*mine)
                .values(table_digest=digest, row_index=_R.row_index + len(prefix))
            )
            return _add_table(conn, project_id, digest, len(prefix) + count)

    return _retrying(work)


def get_table(engine: sa.Engine, entity: str, project: str, digest: str) -> dict[str, Any]:
    """See :meth:`heron.store.base.Store.get_table`."""
    _check_digest(digest)
    with read(engine) as conn:
        found = _table_info(conn, _project_id(conn, entity, project), digest)
    if found is None:
        raise NotFoundError(f"table {digest} does not exist in project {entity}/{project}")
    return found


def table_rows(
    engine: sa.Engine,
    entity: str,
    project: str,
    digest: str,
    *,
    offset: int,
    limit: int | None,
) -> list[dict[str, Any]]:
    """See :meth:`heron.store.base.Store.table_rows`: one range scan of the primary key."""
    _check_digest(digest)
    _check_paging(offset, limit)
    with read(engine) as conn:
        project_id = _project_id(conn, entity, project)
        if _table_info(conn, project_id, digest) is None:
            raise NotFoundError(f"table {digest} does not exist in project {entity}/{project}")
        where = [_R.project_id == project_id, _R.table_digest == digest, _R.row_index >= offset]
        if limit is not None:
            where.append(_R.row_index < offset + limit)
        # The JSON as text, parsed here: tags are decoded only in rows that hold one.
        text = sa.cast(_R.val, sa.Text)
        query = sa.select(_R.row_index, _R.row_digest, text).where(*where).order_by(_R.row_index)
        loads = orjson.loads
        return [
            {
                "index": index,
                "digest": row_digest,
                "val": decode_value(loads(val)) if '"$f"' in val else loads(val),
            }
            for index, row_digest, val in conn.execute(query).fetchall()
        ]
