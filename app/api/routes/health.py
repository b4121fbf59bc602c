from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import HolderDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(holder: HolderDep) -> JSONResponse:
    if holder.engine is not None:
        return JSONResponse({"status": "ok", "corpus_version": holder.engine.corpus_version})
    body = (
        {"status": "starting"}
        if holder.error is None
        else {"status": "error", "detail": holder.error}
    )
    return JSONResponse(body, status_code=503)
