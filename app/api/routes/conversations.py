"""Stored conversations: create, list, reopen, delete, and export (Markdown, JSON audit bundle)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import SettingsDep
from app.conversations import (
    Conversation,
    ConversationNotFound,
    ConversationStore,
    audit_bundle,
    to_markdown,
)
from app.schemas import AskResponse

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])
STORE_FILE = "conversations.sqlite3"


@lru_cache(maxsize=8)
def _store_at(path: Path) -> ConversationStore:
    return ConversationStore(path)  # creates the file and its tables once per path


def get_store(settings: SettingsDep) -> ConversationStore:
    return _store_at(settings.data_dir / STORE_FILE)


StoreDep = Annotated[ConversationStore, Depends(get_store)]


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(
        default=None, max_length=200, description="Unset: the first question becomes the title."
    )


class ConversationSummary(BaseModel):
    id: str
    title: str = Field(description="Empty until the first question is asked, unless given.")
    created_at: str
    updated_at: str
    turns: int = Field(description="How many questions it holds.")


class TurnOut(BaseModel):
    n: int = Field(description="1 for the first question.")
    question: str
    asked_at: str
    response: AskResponse = Field(description="The verified answer, exactly as it was sent.")


class ConversationDetail(BaseModel):
    id: str
    title: str
    created_at: str
    updated_at: str
    turns: list[TurnOut]


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]


def _summary(c: Conversation) -> ConversationSummary:
    return ConversationSummary(
        id=c.id, title=c.title, created_at=c.created_at, updated_at=c.updated_at, turns=c.turn_count
    )


def _load(store: ConversationStore, conversation_id: str) -> Conversation:
    try:
        return store.get(conversation_id)
    except ConversationNotFound:
        raise HTTPException(404, detail=f"unknown conversation id {conversation_id!r}") from None


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.post("", response_model=ConversationSummary, status_code=201)
def create_conversation(
    store: StoreDep, body: Annotated[NewConversation | None, Body()] = None
) -> ConversationSummary:
    return _summary(store.create(body.title if body else None))


@router.get("", response_model=ConversationList)
def list_conversations(store: StoreDep) -> ConversationList:
    return ConversationList(conversations=[_summary(c) for c in store.recent()])


@router.get("/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, store: StoreDep) -> ConversationDetail:
    c = _load(store, conversation_id)
    return ConversationDetail(
        id=c.id,
        title=c.title,
        created_at=c.created_at,
        updated_at=c.updated_at,
        turns=[
            TurnOut(n=t.position, question=t.question, asked_at=t.asked_at, response=t.response)
            for t in c.turns
        ],
    )


@router.delete("/{conversation_id}", status_code=204)
def delete_conversation(conversation_id: str, store: StoreDep) -> Response:
    try:
        store.delete(conversation_id)
    except ConversationNotFound:
        raise HTTPException(404, detail=f"unknown conversation id {conversation_id!r}") from None
    return Response(status_code=204)


@router.get("/{conversation_id}/export.md", response_class=PlainTextResponse)
def export_markdown(conversation_id: str, store: StoreDep) -> PlainTextResponse:
    c = _load(store, conversation_id)
    return PlainTextResponse(
        to_markdown(c),
        media_type="text/markdown; charset=utf-8",
        headers=_attachment(f"conversation-{c.id}.md"),
    )


@router.get("/{conversation_id}/export.json")
def export_json(conversation_id: str, store: StoreDep) -> JSONResponse:
    c = _load(store, conversation_id)
    bundle: dict[str, Any] = audit_bundle(c)
    return JSONResponse(bundle, headers=_attachment(f"conversation-{c.id}.json"))
