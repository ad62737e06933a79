"""The model registry (registries, collections, linked versions, aliases, promotion rules,
alias history) and automations with their deliveries.

Alias changes record who made them: the caller's API key (as a short
fingerprint, never the key) when one was presented, else the ``actor`` the
client named (a user or a run path).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from heron.entities import check_name
from heron.server.deps import CallerDep, StoreDep
from heron.server.responses import JSONResponse

router = APIRouter(tags=["registry"])

_REGISTRIES = "/registries/{entity}"
_COLLECTIONS = _REGISTRIES + "/{registry}/collections"
_COLLECTION = _COLLECTIONS + "/{collection}"
_AUTOMATIONS = "/automations/{entity}"


class RegistryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = Field(None, description="The markdown model card.")
    tags: list[str] = Field(default_factory=list)


class CollectionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    tags: list[str] | None = None


class LinkIn(BaseModel):
    """``POST .../versions``: the artifact version to link, with aliases to give it."""

    model_config = ConfigDict(extra="forbid")

    entity: str
    project: str
    name: str
    ref: str = "latest"
    aliases: list[str] = Field(default_factory=list)
    actor: str | None = Field(None, description="Who links, when no API key says so.")


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="The collection's version number (2 for v2).")
    actor: str | None = None


class RuleIn(BaseModel):
    """A summary rule (``metric``) or, with ``kind: "evaluation"``, an evaluation gate
    (``scorer``)."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = None
    metric: str | None = None
    scorer: str | None = None
    op: str
    value: float


class AutomationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    trigger: dict[str, Any]
    action: dict[str, Any]
    project: str | None = None
    secret: str | None = None
    enabled: bool = True


class AutomationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


def _actor(caller: Any, named: str | None) -> str | None:
    if caller.api_key:
        return "api-key:" + hashlib.sha256(caller.api_key.encode()).hexdigest()[:12]
    return named


def _entity(entity: str) -> str:
    return check_name("entity", entity)


@router.get(_REGISTRIES)
def list_registries(entity: str, store: StoreDep) -> Response:
    """The entity's registries (``model`` always among them)."""
    found = store.list_registries(_entity(entity))
    return JSONResponse({"registries": [r.to_dict() for r in found]})


@router.post(_REGISTRIES, status_code=201)
def create_registry(entity: str, body: RegistryIn, store: StoreDep) -> Response:
    """Create a registry; 409 when it exists."""
    made = store.create_registry(_entity(entity), body.name, body.description)
    return JSONResponse(made.to_dict(), 201)


@router.get(_COLLECTIONS)
def list_collections(entity: str, registry: str, store: StoreDep) -> Response:
    """A registry's collections with their cards, tags, rules and version counts."""
    found = store.list_collections(_entity(entity), registry)
    return JSONResponse({"collections": [c.to_dict() for c in found]})


@router.post(_COLLECTIONS, status_code=201)
def create_collection(entity: str, registry: str, body: CollectionIn, store: StoreDep) -> Response:
    """Create a collection (and the registry, if absent); 409 when it exists."""
    made = store.create_collection(
        _entity(entity), registry, body.name, description=body.description, tags=body.tags
    )
    return JSONResponse(made.to_dict(), 201)


@router.get(_COLLECTION)
def get_collection(entity: str, registry: str, collection: str, store: StoreDep) -> Response:
    """One collection."""
    return JSONResponse(store.get_collection(_entity(entity), registry, collection).to_dict())


@router.patch(_COLLECTION)
def update_collection(
    entity: str, registry: str, collection: str, body: CollectionPatch, store: StoreDep
) -> Response:
    """Change a collection's model card and/or tags."""
    changed = store.update_collection(
        _entity(entity), registry, collection, description=body.description, tags=body.tags
    )
    return JSONResponse(changed.to_dict())


@router.get(_COLLECTION + "/versions")
def list_linked(entity: str, registry: str, collection: str, store: StoreDep) -> Response:
    """A collection's linked versions, oldest first, each with its source artifact version."""
    found = store.list_linked_versions(_entity(entity), registry, collection)
    return JSONResponse({"versions": [v.to_dict() for v in found]})


@router.post(_COLLECTION + "/versions")
def link_version(
    entity: str,
    registry: str,
    collection: str,
    body: LinkIn,
    store: StoreDep,
    caller: CallerDep,
) -> Response:
    """Link an artifact version into the collection (made if absent), with aliases."""
    linked = store.link_version(
        _entity(entity),
        registry,
        collection,
        _entity(body.entity),
        check_name("project", body.project),
        body.name,
        body.ref,
        aliases=body.aliases,
        actor=_actor(caller, body.actor),
    )
    return JSONResponse(linked.to_dict())


@router.get(_COLLECTION + "/versions/{ref}")
def get_linked(entity: str, registry: str, collection: str, ref: str, store: StoreDep) -> Response:
    """The linked version ``ref`` (``v2`` or an alias) names."""
    found = store.get_linked_version(_entity(entity), registry, collection, ref)
    return JSONResponse(found.to_dict())


@router.put(_COLLECTION + "/aliases/{alias}")
def set_alias(
    entity: str,
    registry: str,
    collection: str,
    alias: str,
    body: AliasIn,
    store: StoreDep,
    caller: CallerDep,
) -> Response:
    """Move an alias to a linked version; 400 with the reason when its rule refuses."""
    linked = store.set_collection_alias(
        _entity(entity), registry, collection, alias, body.version, actor=_actor(caller, body.actor)
    )
    return JSONResponse(linked.to_dict())


@router.delete(_COLLECTION + "/aliases/{alias}", status_code=204)
def remove_alias(
    entity: str,
    registry: str,
    collection: str,
    alias: str,
    store: StoreDep,
    caller: CallerDep,
    actor: str | None = None,
) -> Response:
    """Take an alias off the collection (recorded in the history)."""
    store.remove_collection_alias(
        _entity(entity), registry, collection, alias, actor=_actor(caller, actor)
    )
    return Response(status_code=204)


@router.put(_COLLECTION + "/rules/{alias}")
def set_rule(
    entity: str, registry: str, collection: str, alias: str, body: RuleIn, store: StoreDep
) -> Response:
    """Set the promotion rule of an alias; answers the collection."""
    rule = body.model_dump(exclude_none=True)
    if float(rule["value"]).is_integer():
        rule["value"] = int(rule["value"])
    changed = store.set_alias_rule(_entity(entity), registry, collection, alias, rule)
    return JSONResponse(changed.to_dict())


@router.delete(_COLLECTION + "/rules/{alias}")
def remove_rule(
    entity: str, registry: str, collection: str, alias: str, store: StoreDep
) -> Response:
    """Remove the promotion rule of an alias; answers the collection."""
    changed = store.set_alias_rule(_entity(entity), registry, collection, alias, None)
    return JSONResponse(changed.to_dict())


@router.get(_COLLECTION + "/alias-history")
def alias_history(entity: str, registry: str, collection: str, store: StoreDep) -> Response:
    """Every alias change of the collection (who, when, from which version to which)."""
    found = store.alias_history(_entity(entity), registry, collection)
    return JSONResponse({"changes": [c.to_dict() for c in found]})


@router.get(_AUTOMATIONS)
def list_automations(entity: str, store: StoreDep) -> Response:
    """The entity's automations (secrets are never returned)."""
    found = store.list_automations(_entity(entity))
    return JSONResponse({"automations": [a.to_dict() for a in found]})


@router.post(_AUTOMATIONS, status_code=201)
def create_automation(entity: str, body: AutomationIn, store: StoreDep) -> Response:
    """Create an automation from a trigger and an action."""
    made = store.create_automation(
        _entity(entity),
        body.name,
        body.trigger,
        body.action,
        project=body.project,
        secret=body.secret,
        enabled=body.enabled,
    )
    return JSONResponse(made.to_dict(), 201)


@router.patch(_AUTOMATIONS + "/{automation_id}")
def update_automation(
    entity: str, automation_id: int, body: AutomationPatch, store: StoreDep
) -> Response:
    """Enable or disable an automation."""
    changed = store.set_automation_enabled(_entity(entity), automation_id, body.enabled)
    return JSONResponse(changed.to_dict())


@router.delete(_AUTOMATIONS + "/{automation_id}", status_code=204)
def delete_automation(entity: str, automation_id: int, store: StoreDep) -> Response:
    """Delete an automation and its delivery log."""
    store.delete_automation(_entity(entity), automation_id)
    return Response(status_code=204)


@router.get(_AUTOMATIONS + "/{automation_id}/deliveries")
def list_deliveries(
    entity: str,
    automation_id: int,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    before: Annotated[int | None, Query(description="Only deliveries older than this id.")] = None,
) -> Response:
    """An automation's deliveries, newest first: request, attempts, response code, timing."""
    found = store.list_deliveries(_entity(entity), automation_id, limit=limit, before=before)
    return JSONResponse({"deliveries": [d.to_dict() for d in found]})
