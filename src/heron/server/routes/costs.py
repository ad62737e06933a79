"""LLM prices of a project: add, query, purge (the costs of calls are read with calls).

A project's prices override the built-in table (:mod:`heron.store.prices`)
from their effective date on; ``POST .../calls/query`` with
``include_costs`` applies them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from heron.server.deps import StoreDep
from heron.server.responses import JSONResponse
from heron.server.routes.project_views import ProjectDep
from heron.store.base import MAX_COSTS_PAGE

router = APIRouter(prefix="/projects/{entity}/{project}", tags=["costs"])


class CostIn(BaseModel):
    """One price: USD (or ``*_unit``) per token of a model, from ``effective_date`` on."""

    model_config = ConfigDict(extra="forbid")

    llm_id: str = Field(min_length=1, max_length=256, description="The model, e.g. gpt-4o.")
    prompt_token_cost: float = Field(ge=0, description="Per prompt (input) token.")
    completion_token_cost: float = Field(ge=0, description="Per completion (output) token.")
    effective_date: float | None = Field(
        default=None, description="Unix seconds from which it applies; default now."
    )
    prompt_token_cost_unit: str | None = Field(default=None, min_length=1, max_length=16)
    completion_token_cost_unit: str | None = Field(default=None, min_length=1, max_length=16)
    provider_id: str | None = Field(default=None, min_length=1, max_length=128)


class CostsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    costs: list[CostIn] = Field(min_length=1, max_length=MAX_COSTS_PAGE)


class CostOut(BaseModel):
    id: str
    llm_id: str
    provider_id: str
    prompt_token_cost: float
    completion_token_cost: float
    prompt_token_cost_unit: str
    completion_token_cost_unit: str
    effective_date: float
    created_at: float


class CostsOut(BaseModel):
    costs: list[CostOut]


class CostsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    llm_ids: list[str] | None = Field(default=None, max_length=MAX_COSTS_PAGE)
    cost_ids: list[str] | None = Field(default=None, max_length=MAX_COSTS_PAGE)
    limit: int = Field(default=100, ge=0, le=MAX_COSTS_PAGE)
    offset: int = Field(default=0, ge=0)


class PurgeCostsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cost_ids: list[str] = Field(min_length=1, max_length=MAX_COSTS_PAGE)


class PurgedCostsOut(BaseModel):
    purged: int


@router.post("/costs", response_model=CostsOut)
def add_costs(names: ProjectDep, body: CostsIn, store: StoreDep) -> Response:
    """Add prices; answer them with their ids."""
    costs: list[dict[str, Any]] = [c.model_dump(exclude_none=True) for c in body.costs]
    return JSONResponse({"costs": store.add_costs(*names, costs)})


@router.post("/costs/query", response_model=CostsOut)
def query_costs(names: ProjectDep, body: CostsQuery, store: StoreDep) -> Response:
    """The project's own prices, by model then newest effective date first."""
    found = store.query_costs(
        *names, llm_ids=body.llm_ids, cost_ids=body.cost_ids, limit=body.limit, offset=body.offset
    )
    return JSONResponse({"costs": found})


@router.post("/costs/purge", response_model=PurgedCostsOut)
def purge_costs(names: ProjectDep, body: PurgeCostsIn, store: StoreDep) -> Response:
    """Delete prices by id; ``purged`` counts those that existed."""
    return JSONResponse({"purged": store.purge_costs(*names, body.cost_ids)})
