from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool

from app.api.deps import EngineDep
from app.engine import UnknownSource
from app.schemas import AskRequest, AskResponse

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse)
async def ask(request: AskRequest, engine: EngineDep) -> AskResponse:
    history = [(m.role, m.content) for m in request.history]
    source_ids = request.filters.source_ids if request.filters else None
    try:
        return await run_in_threadpool(engine.ask, request.question, history, source_ids)
    except UnknownSource as exc:
        raise HTTPException(422, detail=str(exc)) from None
