"""Typed dependencies shared by the routes: the store, the caller, a run's key.

Routes declare what they need by type (``store: StoreDep``) and stay thin::

    @router.get("/runs/{entity}/{project}/{run_id}")
    def get_run(run: RunKeyDep, store: StoreDep) -> Response: ...
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from heron.entities import RunKey, check_name, check_run_id
from heron.settings import Settings
from heron.store.base import Store


def get_store(request: Request) -> Store:
    """The store this app was created with (see :func:`heron.server.app.create_app`)."""
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <api key>`")


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who is calling: for now only the API key they presented, if any."""

    api_key: str | None = None


def authenticate(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Read ``Authorization: Bearer <key>``.

    Every key is accepted for now; this is the one function that will check
    keys (against ``settings`` or the store) when authentication arrives,
    raising an error there, so no route needs to change.
    """
    return Caller(api_key=credentials.credentials if credentials else None)


CallerDep = Annotated[Caller, Depends(authenticate)]


def run_key(entity: str, project: str, run_id: str) -> RunKey:
    """The run named by the path, validated (a bad name is a 400 ``invalid_name``)."""
    return RunKey(
        check_name("entity", entity), check_name("project", project), check_run_id(run_id)
    )


RunKeyDep = Annotated[RunKey, Depends(run_key)]
