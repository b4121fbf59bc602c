from __future__ import annotations

from fastapi import APIRouter, HTTPException

from app.api.deps import EngineDep
from app.schemas import SourceDetail, SourceList, SourceSummary

router = APIRouter(prefix="/v1", tags=["sources"])


@router.get("/sources", response_model=SourceList)
def list_sources(engine: EngineDep) -> SourceList:
    return SourceList(
        sources=[SourceSummary(**s.metadata()) for s in engine.index.sources.values()]
    )


@router.get("/sources/{source_id}", response_model=SourceDetail)
def get_source(source_id: str, engine: EngineDep) -> SourceDetail:
    source = engine.index.sources.get(source_id)
    if source is None:
        raise HTTPException(404, detail=f"unknown source id {source_id!r}")
    return SourceDetail(**source.metadata(), text=source.text)
