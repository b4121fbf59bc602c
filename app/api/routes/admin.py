"""Corpus changes over HTTP: off unless VERBATIM_ADMIN_TOKEN is set, and then it is required."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import HolderDep
from app.api.state import EngineHolder
from app.corpus_ops import AlreadyInCorpus, Change, add_source, remove_source
from app.publish import ChangeBusy
from app.sources import MAX_SOURCE_BYTES, CorpusError, load_corpus

router = APIRouter(prefix="/v1/admin", tags=["admin"])


def require_admin(
    holder: HolderDep, authorization: Annotated[str | None, Header()] = None
) -> EngineHolder:
    token = holder.settings.admin_token
    if not token:
        raise HTTPException(404, detail="corpus changes are off (VERBATIM_ADMIN_TOKEN is not set)")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, detail="this endpoint needs 'Authorization: Bearer <admin token>'")
    if holder.engine is None:
        raise HTTPException(503, detail="the index is still being built")
    return holder


AdminDep = Annotated[EngineHolder, Depends(require_admin)]


class NewSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=4, max_length=124, description="e.g. my_source.md")
    content: str = Field(
        min_length=1,
        max_length=MAX_SOURCE_BYTES,
        description="The whole file: front matter and body.",
    )
    replace: bool = Field(default=False, description="Replace a source with the same id.")


class CorpusStatus(BaseModel):
    corpus_version: str
    sources: int
    reindexing: bool
    last_error: str | None


class ChangeAccepted(BaseModel):
    action: str
    source_id: str
    serving_corpus_version: str = Field(description="Still serving until the new index is ready.")
    reindexing: bool


def _status(holder: EngineHolder) -> CorpusStatus:
    engine = holder.engine
    assert engine is not None
    return CorpusStatus(
        corpus_version=engine.corpus_version,
        sources=len(engine.index.sources),
        reindexing=holder.reindexing,
        last_error=holder.reload_error,
    )


@router.get("/status", response_model=CorpusStatus)
def status(holder: AdminDep) -> CorpusStatus:
    return _status(holder)


def _accepted(holder: EngineHolder, change: Change) -> ChangeAccepted:
    assert holder.engine is not None
    return ChangeAccepted(
        action=change.action,
        source_id=change.source_id,
        serving_corpus_version=holder.engine.corpus_version,
        reindexing=True,
    )


def _busy(exc: ChangeBusy) -> HTTPException:
    return HTTPException(409, detail=f"{exc}; try again when it has finished")


@router.post("/sources", status_code=202, response_model=ChangeAccepted)
def add(body: NewSource, holder: AdminDep) -> ChangeAccepted:
    content = body.content.encode("utf-8")
    try:
        change = holder.change(
            lambda: add_source(holder.settings, body.filename, content, body.replace)
        )
    except ChangeBusy as exc:
        raise _busy(exc) from None
    except AlreadyInCorpus as exc:
        raise HTTPException(422, detail=f'{exc}; send "replace": true to replace it') from None
    except CorpusError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    return _accepted(holder, change)


@router.delete("/sources/{source_id}", status_code=202, response_model=ChangeAccepted)
def remove(source_id: str, holder: AdminDep) -> ChangeAccepted:
    if source_id not in {s.id for s in load_corpus(holder.settings.corpus_dir)}:
        # Said before the lock is asked for: an unknown id is 404 even while a change runs.
        raise HTTPException(404, detail=f"unknown source id {source_id!r}")
    try:
        change = holder.change(lambda: remove_source(holder.settings, source_id))
    except ChangeBusy as exc:
        raise _busy(exc) from None
    except KeyError:
        raise HTTPException(404, detail=f"unknown source id {source_id!r}") from None
    except CorpusError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    return _accepted(holder, change)
