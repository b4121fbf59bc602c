from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from app.api.deps import HolderDep

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(holder: HolderDep) -> PlainTextResponse:
    """Counters in Prometheus text format."""
    return PlainTextResponse(
        holder.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
