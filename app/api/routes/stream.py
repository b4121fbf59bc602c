"""`POST /v1/ask/stream`: the answer as Server-Sent Events, for a page that shows progress.

Events, in order: `progress` {"stage": "retrieving"}; `progress` {"stage": "judging", ...} once
retrieval has returned; one `quote` per citation; and last `answer`, the exact `/v1/ask` body.
Nothing unverified is streamed: the quotes are sent only after `Engine.ask` has run its verifier.
An error after the stream has begun arrives as an `error` event, since the status is already sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import Field

from app.api.deps import EngineDep
from app.api.routes.conversations import StoreDep
from app.conversations import ConversationNotFound, ConversationStore
from app.engine import Engine
from app.question import Question
from app.retrieve import Candidate
from app.schemas import AskRequest, AskResponse

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["ask"])
Event = tuple[str, dict[str, Any]]
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class StreamAskRequest(AskRequest):
    """`/v1/ask`'s body, plus where to keep the answer."""

    conversation_id: str | None = Field(
        default=None,
        description="Store the question and its answer in this conversation (POST "
        "/v1/conversations makes one). Unset: nothing is stored.",
    )


class _Reporting(Engine):
    """The live engine, seen through a per-request view that reports when retrieval is done.

    Never constructed: it shares the engine's state (model, index), so nothing is rebuilt, and it
    runs the engine's own `ask`, so the answer is the one `/v1/ask` gives.
    """

    on_retrieved: Callable[[list[Candidate]], None]

    @classmethod
    def of(cls, engine: Engine, on_retrieved: Callable[[list[Candidate]], None]) -> _Reporting:
        view = cls.__new__(cls)
        view.__dict__.update(engine.__dict__)
        view.on_retrieved = on_retrieved
        return view

    def retrieve(
        self, q: Question, allowed: frozenset[str] | None = None
    ) -> tuple[list[Candidate], list[list[Candidate]], float]:
        found = super().retrieve(q, allowed)
        self.on_retrieved(found[0])
        return found


def require_known_sources(engine: Engine, source_ids: list[str] | None) -> None:
    """The engine's own check, made before a stream's 200 is sent (after it, only events)."""
    unknown = sorted(set(source_ids or ()) - set(engine.index.sources))
    if unknown:
        raise HTTPException(422, detail=f"unknown source_ids: {', '.join(unknown[:5])}")


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sha256_of_cited(engine: Engine, response: AskResponse) -> dict[str, str]:
    sources = engine.index.sources
    return {c.source_id: sources[c.source_id].sha256 for c in response.citations}


async def _events(
    request: StreamAskRequest, engine: Engine, store: ConversationStore
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    progress: asyncio.Queue[Event | None] = asyncio.Queue()

    def retrieved(candidates: list[Candidate]) -> None:
        sources = {engine.index.passages[c.position].source_id for c in candidates}
        stage = {"stage": "judging", "passages": len(candidates), "sources": len(sources)}
        loop.call_soon_threadsafe(progress.put_nowait, ("progress", stage))

    view = _Reporting.of(engine, retrieved)
    history = [(m.role, m.content) for m in request.history]
    source_ids = request.filters.source_ids if request.filters else None

    def work() -> AskResponse:
        try:
            return view.ask(request.question, history, source_ids)
        finally:
            loop.call_soon_threadsafe(progress.put_nowait, None)

    yield sse("progress", {"stage": "retrieving"})
    answer = asyncio.ensure_future(run_in_threadpool(work))
    try:
        while (item := await progress.get()) is not None:
            yield sse(*item)
        response = await answer
        for c in response.citations:
            yield sse("quote", c.model_dump())
        if request.conversation_id is not None:
            sha256 = sha256_of_cited(engine, response)
            try:
                await run_in_threadpool(
                    store.append, request.conversation_id, request.question, response, sha256
                )
            except ConversationNotFound:
                yield sse("error", {"detail": "the conversation was deleted; answer not stored"})
        yield sse("answer", response.model_dump())
    except Exception:  # the status line is sent: report in-band rather than cut the stream
        log.exception("streamed answer failed")
        yield sse("error", {"detail": "the answer could not be completed; try again"})


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."}},
)
async def ask_stream(
    request: StreamAskRequest, engine: EngineDep, store: StoreDep
) -> StreamingResponse:
    # Checked before the stream starts, so bad input still gets a 4xx rather than an error event.
    require_known_sources(engine, request.filters.source_ids if request.filters else None)
    if request.conversation_id is not None and not store.exists(request.conversation_id):
        raise HTTPException(
            422, detail=f"conversation_id: unknown conversation {request.conversation_id!r}"
        )
    return StreamingResponse(
        _events(request, engine, store), media_type="text/event-stream", headers=SSE_HEADERS
    )
