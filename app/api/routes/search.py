"""`GET /v1/search`: find passages by exact phrase or by meaning, each with its place in the source.

A search hit is a pointer into the corpus, not an answer: nothing is judged or composed, and
every hit's `text` is exactly the source's `text[start:end]`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.api.deps import EngineDep
from app.engine import Engine
from app.passages import Passage

router = APIRouter(prefix="/v1", tags=["search"])
MAX_QUERY_CHARS = 500
# Straight and curly quotes, and the spaces these texts use, match each other: a person types
# "Russia's" for "Russia’s". Each maps one character to one, so offsets carry over unchanged.
_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"'} | dict.fromkeys("\u00a0\u202f\t\r\n", " ")
)


class SearchHit(BaseModel):
    source_id: str
    title: str
    start: int = Field(description="Offset of the passage, in code points, into the source text.")
    end: int
    text: str = Field(description="The passage: exactly text[start:end] of the source.")
    match_start: int | None = Field(
        default=None, description="Phrase mode: where the phrase itself starts in the source."
    )
    match_end: int | None = None
    score: float | None = Field(default=None, description="Meaning mode: cosine similarity.")


class SearchResults(BaseModel):
    query: str
    mode: Literal["phrase", "meaning"]
    hits: list[SearchHit]


def fold(text: str) -> str:
    """Case- and quote-insensitive form with the same length as `text`, so offsets map 1:1."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text).translate(_FOLD)


def _hit(engine: Engine, p: Passage, **extra: Any) -> SearchHit:
    title = engine.index.sources[p.source_id].title
    return SearchHit(
        source_id=p.source_id, title=title, start=p.start, end=p.end, text=p.text, **extra
    )


def phrase_hits(engine: Engine, query: str, limit: int) -> list[SearchHit]:
    needle = fold(" ".join(query.split()))
    hits: list[SearchHit] = []
    for p in engine.index.passages:
        at = fold(p.text).find(needle)
        if at < 0:
            continue
        hits.append(_hit(engine, p, match_start=p.start + at, match_end=p.start + at + len(needle)))
        if len(hits) >= limit:
            break
    return hits


def meaning_hits(engine: Engine, query: str, limit: int) -> list[SearchHit]:
    vector = engine.embedder.encode([query])[0]
    hits: list[SearchHit] = []
    for position, cosine in engine.index.dense(vector, limit):
        hits.append(_hit(engine, engine.index.passages[position], score=round(cosine, 4)))
    return hits


@router.get("/search", response_model=SearchResults)
async def search(
    engine: EngineDep,
    q: Annotated[str, Query(description=f"1 to {MAX_QUERY_CHARS} characters after trimming.")],
    mode: Annotated[
        Literal["phrase", "meaning"],
        Query(description="phrase: case-insensitive exact words; meaning: nearest in sense."),
    ] = "phrase",
    limit: Annotated[int, Query(ge=1, le=50, description="Most hits returned.")] = 10,
) -> SearchResults:
    query = q.strip()
    if not query:
        raise HTTPException(422, detail="q: the search text is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise HTTPException(422, detail=f"q: longer than {MAX_QUERY_CHARS} characters")
    if any(ord(c) < 32 for c in query):
        raise HTTPException(422, detail="q: contains a control character")
    find = phrase_hits if mode == "phrase" else meaning_hits
    hits = await run_in_threadpool(find, engine, query, limit)
    return SearchResults(query=query, mode=mode, hits=hits)
