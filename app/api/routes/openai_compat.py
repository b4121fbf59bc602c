"""An OpenAI-compatible `POST /v1/chat/completions` (and `GET /v1/models`), so chat clients and
SDKs that speak that API can use Verbatim unchanged.

The last user message is the question and earlier user/assistant messages are the history;
system messages are ignored (there is no prompt to steer: answers are extractive). The message
text carries each citation as a Markdown footnote; `citations` holds them structured, and
`verbatim` holds the exact `/v1/ask` body (status, decline_reason, corpus_version included).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.api.deps import EngineDep
from app.api.routes.stream import SSE_HEADERS, require_known_sources
from app.conversations import footnoted
from app.engine import Engine
from app.schemas import (
    MAX_HISTORY,
    MAX_HISTORY_CHARS,
    AskRequest,
    AskResponse,
    Filters,
    HistoryMessage,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "verbatim"


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    # Clients add fields such as `name`; they change nothing here.
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = Field(default=None, description="Text only.")

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatRequest(BaseModel):
    # OpenAI clients send sampling parameters (temperature, top_p, max_tokens, ...). They mean
    # nothing to an extractive engine, so they are accepted and ignored, as compatible servers do.
    model_config = ConfigDict(extra="ignore")

    model: str = Field(max_length=200, description=f"Any name; the answer comes from {MODEL_ID!r}.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)
    stream: bool = False
    filters: Filters | None = Field(default=None, description="As in /v1/ask (via extra_body).")


def ask_request(chat: ChatRequest) -> AskRequest:
    """The last user message asks; earlier turns are context, newest kept when there are many."""
    turns = [m for m in chat.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise HTTPException(422, detail="messages: the last user or assistant message must be user")
    try:
        history = [
            # A follow-up needs the names in the latest turns, not all of a long answer.
            HistoryMessage(
                role="user" if m.role == "user" else "assistant",
                content=_without_footnotes(m.text())[:MAX_HISTORY_CHARS],
            )
            for m in turns[:-1][-MAX_HISTORY:]
        ]
        return AskRequest(question=turns[-1].text(), history=history, filters=chat.filters)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise HTTPException(422, detail=f"messages: {problems}") from None


def _without_footnotes(text: str) -> str:
    """Drop the footnote lines of an earlier answer: offsets and dates are not conversation."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("[^"))


def markdown_answer(response: AskResponse) -> str:
    body, notes = footnoted(response)
    return body + ("\n\n" + "\n".join(notes) if notes else "")


async def _answer(engine: Engine, request: AskRequest) -> AskResponse:
    history = [(m.role, m.content) for m in request.history]
    source_ids = request.filters.source_ids if request.filters else None
    return await run_in_threadpool(engine.ask, request.question, history, source_ids)


def _extras(response: AskResponse) -> dict[str, Any]:
    return {
        "citations": [c.model_dump() for c in response.citations],
        "verbatim": response.model_dump(),
    }


def _data(payload: dict[str, Any] | str) -> str:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {text}\n\n"


def _chunk(
    head: dict[str, Any], delta: dict[str, str], finish: str | None = None
) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {**head, "choices": [choice]}


async def _stream(engine: Engine, request: AskRequest, head: dict[str, Any]) -> AsyncIterator[str]:
    yield _data(_chunk(head, {"role": "assistant", "content": ""}))  # shows it is under way
    try:
        response = await _answer(engine, request)
    except Exception:  # the 200 is sent: OpenAI clients read an error object in-band
        log.exception("streamed chat completion failed")
        yield _data({"error": {"message": "the answer could not be completed; try again"}})
        return
    # The answer is verified whole before any of it is sent; then its paragraphs stream.
    paragraphs = markdown_answer(response).split("\n\n")
    for i, paragraph in enumerate(paragraphs):
        tail = "\n\n" if i < len(paragraphs) - 1 else ""
        yield _data(_chunk(head, {"content": paragraph + tail}))
    yield _data({**_chunk(head, {}, "stop"), **_extras(response)})
    yield _data("[DONE]")


@router.post(
    "/chat/completions",
    response_model=None,
    responses={
        200: {
            "description": "A chat completion, or Server-Sent Events when `stream` is true.",
            "content": {"application/json": {}, "text/event-stream": {}},
        }
    },
)
async def chat_completions(
    chat: ChatRequest, engine: EngineDep
) -> dict[str, Any] | StreamingResponse:
    request = ask_request(chat)
    require_known_sources(engine, request.filters.source_ids if request.filters else None)
    head: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "created": int(time.time()),
        "model": MODEL_ID,
        "system_fingerprint": None,
    }
    if chat.stream:
        return StreamingResponse(
            _stream(engine, request, {**head, "object": "chat.completion.chunk"}),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    response = await _answer(engine, request)
    message = {"role": "assistant", "content": markdown_answer(response), "refusal": None}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
    return {**head, "object": "chat.completion", "choices": [choice], **_extras(response)}


@router.get("/models")
def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "verbatim"}],
    }
