"""`/healthz`: 200 only when a question can be answered now, with the corpus version it serves."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import HolderDep

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz(holder: HolderDep) -> JSONResponse:
    engine = holder.engine
    if engine is None:
        body = (
            {"status": "starting"}
            if holder.error is None
            else {"status": "error", "detail": holder.error}
        )
        return JSONResponse(body, status_code=503)
    index = engine.index
    try:
        # The search a question makes, for one passage: it works or the service cannot answer.
        hits = index.dense(index.vectors[0], 1) if index.passages else []
        ready = bool(hits)
    except Exception as exc:  # anything at all: say so rather than answer 200
        log.error("health check failed: %s", exc)
        ready = False
    if not ready:
        return JSONResponse(
            {"status": "error", "detail": "the index cannot be searched"}, status_code=503
        )
    return JSONResponse({"status": "ok", "corpus_version": engine.corpus_version})
