"""The model registry and automations in SQL (:class:`SqlStore` delegates).

Each function takes an open connection (a write transaction for the
writers), so the store decides the transaction. Events (a version linked, an
alias added, a new artifact version, a run finishing) are turned into
``pending`` delivery rows by :func:`emit` in the same transaction as the
change that caused them: an event is never lost between the change and the
worker (:mod:`heron.store.sql.automations`) that sends it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from heron.artifacts.entities import LATEST, ArtifactVersion, version_index
from heron.artifacts.registry import (
    ARTIFACT_ATTRIBUTE,
    DEFAULT_REGISTRY,
    EVALUATION_OP,
    AliasChange,
    Automation,
    Collection,
    Delivery,
    LinkedVersion,
    RegistryInfo,
    artifact_names,
    check_action,
    check_collection_name,
    check_link_alias,
    check_registry_name,
    check_rule,
    check_tags,
    check_trigger,
    evaluation_refusal,
    rule_refusal,
    trigger_matches,
)
from heron.entities import RunKey, check_name
from heron.errors import ConflictError, InvalidValueError, NotFoundError, UsageError
from heron.store.sql import artifacts as artifact_queries
from heron.store.sql.tables import (
    automation_deliveries,
    automations,
    calls,
    projects,
    registries,
    registry_alias_history,
    registry_aliases,
    registry_collections,
    registry_links,
    registry_rules,
    runs,
)

_C = registry_collections
_L = registry_links
_D = automation_deliveries


# ---------------------------------------------------------------------- registries


def _registry_id(conn: sa.Connection, entity: str, name: str, *, create: bool, insert: Any) -> int:
    check_name("entity", entity)
    check_registry_name(name)
    query = sa.select(registries.c.id).where(
        registries.c.entity == entity, registries.c.name == name
    )
    found = conn.execute(query).scalar()
    if found is None and (create or name == DEFAULT_REGISTRY):
        conn.execute(
            insert(registries).on_conflict_do_nothing(index_elements=["entity", "name"]),
            {"entity": entity, "name": name, "description": None, "created_at": time.time()},
        )
        found = conn.execute(query).scalar()
    if found is None:
        raise NotFoundError(f"registry {entity}/{name} not found; create it first")
    return int(found)


def create_registry(
    conn: sa.Connection, entity: str, name: str, description: str | None
) -> RegistryInfo:
    check_name("entity", entity)
    check_registry_name(name)
    exists = conn.execute(
        sa.select(registries.c.id).where(registries.c.entity == entity, registries.c.name == name)
    ).scalar()
    if exists is not None:
        raise ConflictError(f"registry {entity}/{name} already exists")
    now = time.time()
    conn.execute(
        registries.insert(),
        {"entity": entity, "name": name, "description": description, "created_at": now},
    )
    return RegistryInfo(entity, name, description, now)


def list_registries(conn: sa.Connection, entity: str, insert: Any) -> list[RegistryInfo]:
    _registry_id(conn, entity, DEFAULT_REGISTRY, create=True, insert=insert)
    query = sa.select(registries).where(registries.c.entity == entity).order_by(registries.c.name)
    return [
        RegistryInfo(row.entity, row.name, row.description, row.created_at)
        for row in conn.execute(query)
    ]


# ---------------------------------------------------------------------- collections


def _collection_row(
    conn: sa.Connection, entity: str, registry: str, name: str, *, insert: Any
) -> sa.RowMapping:
    check_collection_name(name)
    registry_id = _registry_id(conn, entity, registry, create=False, insert=insert)
    row = conn.execute(sa.select(_C).where(_C.c.registry_id == registry_id, _C.c.name == name))
    found = row.first()
    if found is None:
        raise NotFoundError(f"collection {entity}/registry/{registry}/{name} not found")
    return found._mapping


def _collection(conn: sa.Connection, entity: str, registry: str, row: sa.RowMapping) -> Collection:
    rules = {
        alias: dict(rule)
        for alias, rule in conn.execute(
            sa.select(registry_rules.c.alias, registry_rules.c.rule)
            .where(registry_rules.c.collection_id == row["id"])
            .order_by(registry_rules.c.alias)
        )
    }
    count = conn.execute(
        sa.select(sa.func.count()).select_from(_L).where(_L.c.collection_id == row["id"])
    ).scalar()
    return Collection(
        entity=entity,
        registry=registry,
        name=row["name"],
        description=row["description"],
        tags=list(row["tags"]),
        rules=rules,
        version_count=int(count or 0),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def create_collection(
    conn: sa.Connection,
    entity: str,
    registry: str,
    name: str,
    description: str | None,
    tags: Sequence[str],
    insert: Any,
) -> Collection:
    check_collection_name(name)
    if description is not None and not isinstance(description, str):
        raise InvalidValueError("a collection description (model card) must be a string")
    tag_list = check_tags(list(tags) if not isinstance(tags, str) else tags)
    registry_id = _registry_id(conn, entity, registry, create=True, insert=insert)
    now = time.time()
    made = conn.execute(
        insert(_C)
        .on_conflict_do_nothing(index_elements=["registry_id", "name"])
        .returning(_C.c.id),
        {
            "registry_id": registry_id,
            "name": name,
            "description": description,
            "tags": tag_list,
            "created_at": now,
            "updated_at": now,
        },
    )
    if made.scalar() is None:
        raise ConflictError(
            f"collection {entity}/registry/{registry}/{name} already exists; update it instead"
        )
    return get_collection(conn, entity, registry, name, insert)


def update_collection(
    conn: sa.Connection,
    entity: str,
    registry: str,
    name: str,
    description: str | None,
    tags: Sequence[str] | None,
    insert: Any,
) -> Collection:
    row = _collection_row(conn, entity, registry, name, insert=insert)
    changes: dict[str, Any] = {"updated_at": time.time()}
    if description is not None:
        if not isinstance(description, str):
            raise InvalidValueError("a collection description (model card) must be a string")
        changes["description"] = description
    if tags is not None:
        changes["tags"] = check_tags(tags)
    conn.execute(_C.update().where(_C.c.id == row["id"]).values(**changes))
    return get_collection(conn, entity, registry, name, insert)


def list_collections(
    conn: sa.Connection, entity: str, registry: str, insert: Any
) -> list[Collection]:
    registry_id = _registry_id(conn, entity, registry, create=False, insert=insert)
    rows = conn.execute(sa.select(_C).where(_C.c.registry_id == registry_id).order_by(_C.c.name))
    return [_collection(conn, entity, registry, row._mapping) for row in rows.all()]


def get_collection(
    conn: sa.Connection, entity: str, registry: str, name: str, insert: Any
) -> Collection:
    return _collection(
        conn, entity, registry, _collection_row(conn, entity, registry, name, insert=insert)
    )


# ---------------------------------------------------------------------- linked versions


def _links(
    conn: sa.Connection, entity: str, registry: str, collection: str, where: Any
) -> list[LinkedVersion]:
    rows = conn.execute(sa.select(_L).where(where).order_by(_L.c.version)).all()
    aliases = artifact_queries.aliases_by_id(
        conn, registry_aliases.c.link_id, registry_aliases.c.alias, [row.id for row in rows]
    )
    return [
        LinkedVersion(
            entity=entity,
            registry=registry,
            collection=collection,
            version=int(row.version),
            source=artifact_queries.get_version(conn, row.source_id),
            aliases=aliases[row.id],
            linked_at=row.linked_at,
            linked_by=row.linked_by,
        )
        for row in rows
    ]


def _link_id(conn: sa.Connection, collection_id: int, label: str, ref: str) -> int:
    index = version_index(ref)
    if index is not None:
        query = sa.select(_L.c.id).where(_L.c.collection_id == collection_id, _L.c.version == index)
    else:
        query = sa.select(registry_aliases.c.link_id).where(
            registry_aliases.c.collection_id == collection_id, registry_aliases.c.alias == ref
        )
    found = conn.execute(query).scalar()
    if found is None:
        raise NotFoundError(f"collection {label} has no version {ref!r}")
    return int(found)


def list_links(
    conn: sa.Connection, entity: str, registry: str, collection: str, insert: Any
) -> list[LinkedVersion]:
    row = _collection_row(conn, entity, registry, collection, insert=insert)
    return _links(conn, entity, registry, collection, _L.c.collection_id == row["id"])


def get_link(
    conn: sa.Connection, entity: str, registry: str, collection: str, ref: str, insert: Any
) -> LinkedVersion:
    row = _collection_row(conn, entity, registry, collection, insert=insert)
    pk = _link_id(conn, row["id"], f"{entity}/registry/{registry}/{collection}", ref)
    return _links(conn, entity, registry, collection, _L.c.id == pk)[0]


def link_version(
    conn: sa.Connection,
    entity: str,
    registry: str,
    collection: str,
    source_pk: int,
    aliases: Sequence[str],
    actor: str | None,
    insert: Any,
) -> LinkedVersion:
    if isinstance(aliases, str):
        raise UsageError("aliases must be a list of strings, not a string")
    wanted = [check_link_alias(a) for a in dict.fromkeys(aliases) if a != LATEST]
    registry_id = _registry_id(conn, entity, registry, create=True, insert=insert)
    check_collection_name(collection)
    now = time.time()
    conn.execute(
        insert(_C).on_conflict_do_nothing(index_elements=["registry_id", "name"]),
        {
            "registry_id": registry_id,
            "name": collection,
            "description": None,
            "tags": [],
            "created_at": now,
            "updated_at": now,
        },
    )
    coll = _collection_row(conn, entity, registry, collection, insert=insert)
    if conn.dialect.name == "postgresql":  # serialise numbering on the collection row
        conn.execute(sa.select(_C.c.id).where(_C.c.id == coll["id"]).with_for_update())
    link_pk = conn.execute(
        sa.select(_L.c.id).where(_L.c.collection_id == coll["id"], _L.c.source_id == source_pk)
    ).scalar()
    source = artifact_queries.get_version(conn, source_pk)
    if link_pk is None:
        last = conn.execute(
            sa.select(sa.func.max(_L.c.version)).where(_L.c.collection_id == coll["id"])
        ).scalar()
        link_pk = conn.execute(
            _L.insert().returning(_L.c.id),
            {
                "collection_id": coll["id"],
                "version": 0 if last is None else int(last) + 1,
                "source_id": source_pk,
                "linked_at": now,
                "linked_by": actor,
            },
        ).scalar_one()
        _move_alias(conn, coll["id"], LATEST, int(link_pk), actor, now, insert)
        conn.execute(_C.update().where(_C.c.id == coll["id"]).values(updated_at=now))
        link = _links(conn, entity, registry, collection, _L.c.id == link_pk)[0]
        emit(conn, entity, source.project, _link_event("version_linked", link, actor), now)
    for alias in wanted:
        _set_alias(
            conn, entity, registry, collection, coll["id"], alias, int(link_pk), actor, now, insert
        )
    return _links(conn, entity, registry, collection, _L.c.id == link_pk)[0]


def _link_event(kind: str, link: LinkedVersion, actor: str | None, **extra: Any) -> dict[str, Any]:
    src = link.source
    return {
        "event": kind,
        "entity": link.entity,
        "registry": link.registry,
        "collection": link.collection,
        "version": link.version_name,
        "aliases": list(link.aliases),
        "artifact_name": src.name,
        "artifact_type": src.type,
        "artifact_version": src.qualified_name,
        "project": src.project,
        "run_path": src.created_by,
        "author": actor,
        **extra,
    }


def _move_alias(
    conn: sa.Connection,
    collection_id: int,
    alias: str,
    link_pk: int,
    actor: str | None,
    now: float,
    insert: Any,
) -> bool:
    """Point ``alias`` at ``link_pk`` and record the change; False when it was already there."""
    before = conn.execute(
        sa.select(registry_aliases.c.link_id, _L.c.version)
        .join(_L, _L.c.id == registry_aliases.c.link_id)
        .where(registry_aliases.c.collection_id == collection_id, registry_aliases.c.alias == alias)
    ).first()
    if before is not None and before.link_id == link_pk:
        return False
    conn.execute(
        insert(registry_aliases).on_conflict_do_update(
            index_elements=["collection_id", "alias"], set_={"link_id": link_pk, "updated_at": now}
        ),
        {"collection_id": collection_id, "alias": alias, "link_id": link_pk, "updated_at": now},
    )
    to_version = conn.execute(sa.select(_L.c.version).where(_L.c.id == link_pk)).scalar()
    conn.execute(
        registry_alias_history.insert(),
        {
            "collection_id": collection_id,
            "alias": alias,
            "from_version": None if before is None else int(before.version),
            "to_version": to_version,
            "actor": actor,
            "at": now,
        },
    )
    return True


def _set_alias(
    conn: sa.Connection,
    entity: str,
    registry: str,
    collection: str,
    collection_id: int,
    alias: str,
    link_pk: int,
    actor: str | None,
    now: float,
    insert: Any,
) -> None:
    link = _links(conn, entity, registry, collection, _L.c.id == link_pk)[0]
    rule = conn.execute(
        sa.select(registry_rules.c.rule).where(
            registry_rules.c.collection_id == collection_id, registry_rules.c.alias == alias
        )
    ).scalar()
    if rule is not None:
        if rule.get("kind") == "evaluation":
            source = link.source
            label = f"{source.entity}/{source.project}/{source.name}:v{source.version}"
            found = _newest_evaluation(conn, source)
            refusal = evaluation_refusal(rule, alias, label, found)
        else:
            run_path = link.source.created_by
            refusal = rule_refusal(rule, alias, run_path, _run_summary(conn, run_path))
        if refusal is not None:
            raise UsageError(f"{refusal}; {collection} {link.version_name} cannot take it")
    if _move_alias(conn, collection_id, alias, link_pk, actor, now, insert):
        moved = _links(conn, entity, registry, collection, _L.c.id == link_pk)[0]
        emit(
            conn,
            entity,
            moved.source.project,
            _link_event("alias_added", moved, actor, alias=alias),
            now,
        )


_EVALUATIONS_SCANNED = 1000
"""How many of a project's newest finished evaluations a gate looks through."""


def _newest_evaluation(conn: sa.Connection, source: ArtifactVersion) -> tuple[str, Any] | None:
    """``(call id, summary)`` of the newest finished, successful ``Evaluation.evaluate`` call
    in the version's project whose ``heron.artifact`` attribute names the version."""
    names = artifact_names(source)
    rows = conn.execute(
        sa.select(calls.c.id, calls.c.output, calls.c.attributes)
        .join(projects, projects.c.id == calls.c.project_id)
        .where(
            projects.c.entity == source.entity,
            projects.c.name == source.project,
            calls.c.op_name == EVALUATION_OP,
            calls.c.ended_at.is_not(None),
            calls.c.exception.is_(None),
        )
        .order_by(calls.c.started_at.desc())
        .limit(_EVALUATIONS_SCANNED)
    )
    for call_id, output, attributes in rows:
        if isinstance(attributes, dict) and attributes.get(ARTIFACT_ATTRIBUTE) in names:
            return str(call_id), output
    return None


def _run_summary(conn: sa.Connection, run_path: str | None) -> dict[str, Any] | None:
    if run_path is None:
        return None
    try:
        key = RunKey.parse(run_path, "")
    except (UsageError, ValueError):
        return None
    summary = conn.execute(
        sa.select(runs.c.summary)
        .join(projects, projects.c.id == runs.c.project_id)
        .where(
            projects.c.entity == key.entity,
            projects.c.name == key.project,
            runs.c.run_id == key.run_id,
        )
    ).scalar()
    return None if summary is None else dict(summary)


def set_collection_alias(
    conn: sa.Connection,
    entity: str,
    registry: str,
    collection: str,
    alias: str,
    version: int,
    actor: str | None,
    insert: Any,
) -> LinkedVersion:
    check_link_alias(alias)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise UsageError(f"version must be an integer >= 0, not {version!r}")
    row = _collection_row(conn, entity, registry, collection, insert=insert)
    pk = _link_id(conn, row["id"], f"{entity}/registry/{registry}/{collection}", f"v{version}")
    _set_alias(conn, entity, registry, collection, row["id"], alias, pk, actor, time.time(), insert)
    return _links(conn, entity, registry, collection, _L.c.id == pk)[0]


def remove_collection_alias(
    conn: sa.Connection,
    entity: str,
    registry: str,
    collection: str,
    alias: str,
    actor: str | None,
    insert: Any,
) -> None:
    check_link_alias(alias)
    row = _collection_row(conn, entity, registry, collection, insert=insert)
    before = conn.execute(
        sa.select(_L.c.version)
        .join(registry_aliases, registry_aliases.c.link_id == _L.c.id)
        .where(registry_aliases.c.collection_id == row["id"], registry_aliases.c.alias == alias)
    ).scalar()
    if before is None:
        raise NotFoundError(f"collection {registry}/{collection} has no alias {alias!r}")
    conn.execute(
        registry_aliases.delete().where(
            registry_aliases.c.collection_id == row["id"], registry_aliases.c.alias == alias
        )
    )
    conn.execute(
        registry_alias_history.insert(),
        {
            "collection_id": row["id"],
            "alias": alias,
            "from_version": int(before),
            "to_version": None,
            "actor": actor,
            "at": time.time(),
        },
    )


def set_alias_rule(
    conn: sa.Connection,
    entity: str,
    registry: str,
    collection: str,
    alias: str,
    rule: dict[str, Any] | None,
    insert: Any,
) -> Collection:
    check_link_alias(alias)
    row = _collection_row(conn, entity, registry, collection, insert=insert)
    where = (registry_rules.c.collection_id == row["id"]) & (registry_rules.c.alias == alias)
    if rule is None:
        conn.execute(registry_rules.delete().where(where))
    else:
        checked = check_rule(rule)
        now = time.time()
        conn.execute(
            insert(registry_rules).on_conflict_do_update(
                index_elements=["collection_id", "alias"],
                set_={"rule": checked, "updated_at": now},
            ),
            {"collection_id": row["id"], "alias": alias, "rule": checked, "updated_at": now},
        )
    return _collection(conn, entity, registry, row)


def alias_history(
    conn: sa.Connection, entity: str, registry: str, collection: str, insert: Any
) -> list[AliasChange]:
    row = _collection_row(conn, entity, registry, collection, insert=insert)
    h = registry_alias_history
    query = sa.select(h).where(h.c.collection_id == row["id"]).order_by(h.c.id)
    return [
        AliasChange(r.alias, r.from_version, r.to_version, r.actor, r.at)
        for r in conn.execute(query)
    ]


# ---------------------------------------------------------------------- automations


def _automation(row: Any) -> Automation:
    return Automation(
        id=int(row.id),
        entity=row.entity,
        name=row.name,
        trigger=dict(row.trigger),
        action=dict(row.action),
        project=row.project,
        enabled=bool(row.enabled),
        has_secret=bool(row.secret),
        created_at=row.created_at,
    )


def create_automation(
    conn: sa.Connection,
    entity: str,
    name: str,
    trigger: dict[str, Any],
    action: dict[str, Any],
    project: str | None,
    secret: str | None,
    enabled: bool,
    insert: Any,
) -> Automation:
    check_name("entity", entity)
    check_name("automation", name)
    if project is not None:
        check_name("project", project)
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise InvalidValueError("a webhook secret must be a non-empty string")
    values = {
        "entity": entity,
        "project": project,
        "name": name,
        "trigger": check_trigger(trigger),
        "action": check_action(action),
        "secret": secret,
        "enabled": bool(enabled),
        "created_at": time.time(),
    }
    made = conn.execute(
        insert(automations)
        .on_conflict_do_nothing(index_elements=["entity", "name"])
        .returning(automations.c.id),
        values,
    ).scalar()
    if made is None:
        raise ConflictError(f"automation {name!r} already exists in {entity}; choose another name")
    return _automation(conn.execute(sa.select(automations).where(automations.c.id == made)).one())


def list_automations(conn: sa.Connection, entity: str) -> list[Automation]:
    query = sa.select(automations).where(automations.c.entity == entity).order_by(automations.c.id)
    return [_automation(row) for row in conn.execute(query)]


def _automation_row(conn: sa.Connection, entity: str, automation_id: int) -> Any:
    row = conn.execute(
        sa.select(automations).where(
            automations.c.entity == entity, automations.c.id == automation_id
        )
    ).first()
    if row is None:
        raise NotFoundError(f"automation {automation_id} of {entity} not found")
    return row


def set_enabled(conn: sa.Connection, entity: str, automation_id: int, enabled: bool) -> Automation:
    _automation_row(conn, entity, automation_id)
    conn.execute(
        automations.update().where(automations.c.id == automation_id).values(enabled=bool(enabled))
    )
    return _automation(_automation_row(conn, entity, automation_id))


def delete_automation(conn: sa.Connection, entity: str, automation_id: int) -> None:
    _automation_row(conn, entity, automation_id)
    conn.execute(_D.delete().where(_D.c.automation_id == automation_id))
    conn.execute(automations.delete().where(automations.c.id == automation_id))


def delivery(row: Any) -> Delivery:
    return Delivery(
        id=int(row.id),
        automation_id=int(row.automation_id),
        event=dict(row.event),
        status=row.status,
        attempts=list(row.attempts),
        request=None if row.request is None else dict(row.request),
        response_code=row.response_code,
        duration_ms=row.duration_ms,
        error=row.error,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_deliveries(
    conn: sa.Connection, entity: str, automation_id: int, limit: int, before: int | None = None
) -> list[Delivery]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise UsageError("limit must be an integer from 1 to 10000")
    if before is not None and (isinstance(before, bool) or not isinstance(before, int)):
        raise UsageError(f"before must be a delivery id (an integer), not {before!r}")
    _automation_row(conn, entity, automation_id)
    query = (
        sa.select(_D)
        .where(_D.c.automation_id == automation_id)
        .order_by(_D.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(_D.c.id < before)
    return [delivery(row) for row in conn.execute(query)]


def emit(
    conn: sa.Connection, entity: str, project: str | None, event: dict[str, Any], now: float
) -> int:
    """Queue a delivery for every enabled automation ``event`` fires; return how many.

    Runs in the caller's transaction, so the deliveries commit with the change.
    """
    query = sa.select(automations).where(
        automations.c.entity == entity, automations.c.enabled.is_(True)
    )
    queued = 0
    for row in conn.execute(query).all():
        if row.project is not None and row.project != project:
            continue
        if trigger_matches(dict(row.trigger), event):
            queued += _queue(conn, row, event, now)
    return queued


def _queue(conn: sa.Connection, automation: Any, event: dict[str, Any], now: float) -> int:
    """Insert the delivery of ``event`` by ``automation``; 1 when it waits for the worker."""
    report = automation.action.get("kind") == "report"
    conn.execute(
        _D.insert(),
        {
            "automation_id": automation.id,
            "event": {**event, "automation": automation.name},
            "status": "stored" if report else "pending",
            "attempts": [],
            "request": {"template": automation.action["template"]} if report else None,
            "next_attempt_at": None if report else now,
            "created_at": now,
            "updated_at": now,
        },
    )
    return 0 if report else 1


def version_event(version: ArtifactVersion, run: RunKey | None) -> dict[str, Any]:
    """The ``artifact_version_created`` event of a new version."""
    return {
        "event": "artifact_version_created",
        "entity": version.entity,
        "project": version.project,
        "artifact_name": version.name,
        "artifact_type": version.type,
        "artifact_version": version.qualified_name,
        "version": version.version_name,
        "aliases": list(version.aliases),
        "run_path": None if run is None else run.path,
        "author": None if run is None else run.path,
    }


# ---------------------------------------------------------------------- run events


_ENABLED_TRIGGERS = sa.select(automations.c.trigger).where(
    automations.c.entity == sa.bindparam("entity"), automations.c.enabled.is_(True)
)
_RUN_STATE = sa.select(runs.c.state, runs.c.summary).where(runs.c.id == sa.bindparam("run"))
# Built once: every apply runs them, and building a statement costs more than executing it.


def run_watch(conn: sa.Connection, entity: str, run_pk: int) -> tuple[str, dict[str, Any]] | None:
    """The run's (state, summary) before a batch, if an automation of the entity watches runs.

    One indexed query when nothing watches runs (the common case), so
    :meth:`SqlStore.apply` stays cheap.
    """
    watching = conn.execute(_ENABLED_TRIGGERS, {"entity": entity}).scalars()
    if not any(t.get("event") in ("run_finished", "run_metric") for t in watching):
        return None
    row = conn.execute(_RUN_STATE, {"run": run_pk}).first()
    if row is None:
        return None
    return str(row.state), dict(row.summary or {})


def run_events(
    conn: sa.Connection,
    run: RunKey,
    run_pk: int,
    before: tuple[str, dict[str, Any]],
    now: float,
) -> int:
    """Emit ``run_finished`` when the batch ended the run and ``run_metric`` for each watched
    summary key whose value crossed its threshold (failed before, passes now)."""
    row = conn.execute(
        sa.select(runs.c.state, runs.c.summary, runs.c.name).where(runs.c.id == run_pk)
    ).first()
    if row is None:
        return 0
    base = {
        "entity": run.entity,
        "project": run.project,
        "run_path": run.path,
        "run_id": run.run_id,
        "run_name": row.name,
        "author": run.path,
    }
    queued = 0
    state, summary = str(row.state), dict(row.summary or {})
    if state != before[0] and state in ("finished", "failed"):
        event = {"event": "run_finished", **base, "state": state}
        queued += emit(conn, run.entity, run.project, event, now)
    watched = conn.execute(_ENABLED_TRIGGERS, {"entity": run.entity}).scalars()
    for key in {t["key"] for t in watched if t.get("event") == "run_metric"}:
        value = summary_number(summary, key)
        if value is None or value == summary_number(before[1], key):
            continue
        event = {"event": "run_metric", **base, "key": key, "value": value}
        queued += _emit_crossings(conn, run, event, summary_number(before[1], key), now)
    return queued


def summary_number(summary: dict[str, Any], key: str) -> float | None:
    from heron.artifacts.registry import summary_value

    value = summary_value(summary, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _emit_crossings(
    conn: sa.Connection, run: RunKey, event: dict[str, Any], previous: float | None, now: float
) -> int:
    """Queue a delivery for each run_metric automation whose threshold ``event`` crossed."""
    from heron.artifacts.registry import compare

    queued = 0
    query = sa.select(automations).where(
        automations.c.entity == run.entity, automations.c.enabled.is_(True)
    )
    for row in conn.execute(query).all():
        trigger = dict(row.trigger)
        if trigger.get("event") != "run_metric" or trigger.get("key") != event["key"]:
            continue
        if row.project is not None and row.project != run.project:
            continue
        passes = compare(event["value"], trigger["op"], float(trigger["value"]))
        passed = previous is not None and compare(previous, trigger["op"], float(trigger["value"]))
        if passes and not passed:
            queued += _queue(conn, row, {**event, "threshold": trigger["value"]}, now)
    return queued
