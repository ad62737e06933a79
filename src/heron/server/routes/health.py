"""``GET /api/v1/health``: liveness for load balancers and ``LiveServer``."""

from __future__ import annotations

from fastapi import APIRouter

from heron._version import __version__
from heron.server.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> HealthOut:
    """``{"status": "ok", "version": ...}`` while the process serves requests."""
    return HealthOut(status="ok", version=__version__)
