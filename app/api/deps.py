"""Dependencies for the routes: the settings and the ready engine."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.api.state import EngineHolder
from app.config import Settings
from app.engine import Engine


def get_holder(request: Request) -> EngineHolder:
    holder: EngineHolder = request.app.state.holder
    return holder


def get_engine(holder: Annotated[EngineHolder, Depends(get_holder)]) -> Engine:
    if holder.engine is None:
        raise HTTPException(503, detail=holder.error or "the index is still being built")
    return holder.engine


def get_app_settings(holder: Annotated[EngineHolder, Depends(get_holder)]) -> Settings:
    return holder.settings


EngineDep = Annotated[Engine, Depends(get_engine)]
HolderDep = Annotated[EngineHolder, Depends(get_holder)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
