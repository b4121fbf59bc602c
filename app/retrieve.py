"""Hybrid retrieval: dense (Chroma) and lexical (BM25) candidates fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from app.embeddings import Embedder
from app.index import PassageIndex

RRF_K = 60


@dataclass(frozen=True)
class Candidate:
    position: int  # index into PassageIndex.passages
    cosine: float
    bm25: float  # this passage's BM25 score over the best BM25 score of the query
    fused: float
    dense_rank: int | None
    lexical_rank: int | None


def hybrid_search(
    index: PassageIndex,
    query_vector: np.ndarray,
    query_text: str,
    dense_k: int,
    lexical_k: int,
    source_ids: frozenset[str] | None = None,
) -> list[Candidate]:
    # Filtering happens after the search, so ask for more when a filter is on.
    widen = 1 if source_ids is None else max(4, len(index.sources) // max(1, len(source_ids)))
    dense = index.dense(query_vector, dense_k * widen)
    lexical = index.bm25.top(query_text, lexical_k * widen)
    if source_ids is not None:
        keep = {i for i, p in enumerate(index.passages) if p.source_id in source_ids}
        dense = [h for h in dense if h[0] in keep]
        lexical = [h for h in lexical if h[0] in keep]
    return _fuse(index, query_vector, dense[:dense_k], lexical[:lexical_k])


def _fuse(
    index: PassageIndex,
    query_vector: np.ndarray,
    dense: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
) -> list[Candidate]:
    """Reciprocal-rank fusion of a dense and a lexical ranking, best first."""
    best_bm25 = max((s for _, s in lexical), default=0.0) or 1.0
    dense_rank = {pos: r for r, (pos, _) in enumerate(dense)}
    lexical_rank = {pos: r for r, (pos, _) in enumerate(lexical)}
    lexical_score = dict(lexical)
    positions = list(dict.fromkeys([p for p, _ in dense] + [p for p, _ in lexical]))
    cosines = index.vectors[positions] @ query_vector if positions else np.zeros(0)
    out = []
    for pos, cos in zip(positions, cosines, strict=True):
        dr, lr = dense_rank.get(pos), lexical_rank.get(pos)
        fused = (1 / (RRF_K + dr) if dr is not None else 0.0) + (
            1 / (RRF_K + lr) if lr is not None else 0.0
        )
        out.append(
            Candidate(
                position=pos,
                cosine=float(cos),
                bm25=lexical_score.get(pos, 0.0) / best_bm25,
                fused=fused,
                dense_rank=dr,
                lexical_rank=lr,
            )
        )
    out.sort(key=lambda c: c.fused, reverse=True)
    return out


def search_within(
    index: PassageIndex,
    query_vector: np.ndarray,
    query_text: str,
    source_ids: frozenset[str],
    dense_k: int,
    lexical_k: int,
) -> list[Candidate]:
    """The hybrid search over the passages of some sources only, exactly (no index filter):
    for a question whose named scope only those sources mention. BM25 is scored as if those
    sources were the corpus (`PassageIndex.within`)."""
    within = index.within(source_ids)
    positions = within.positions
    if not len(positions):
        return []
    cosines = index.vectors[positions] @ query_vector
    scores = within.scores(query_text)
    dense = [(int(positions[i]), float(cosines[i])) for i in np.argsort(-cosines)[:dense_k]]
    lexical = [
        (int(positions[i]), float(scores[i]))
        for i in np.argsort(-scores)[:lexical_k]
        if scores[i] > 0
    ]
    return _fuse(index, query_vector, dense, lexical)


def best_in_each_source(
    index: PassageIndex,
    query_vector: np.ndarray,
    query_text: str,
    source_ids: list[str],
    k: int,
) -> list[Candidate]:
    """The k best passages of each named source, by the same fusion of dense and lexical rank
    taken within the source: for questions that ask what every source says, where one source's
    best sentence can rank below another source's tenth."""
    lexical = index.bm25.scores(query_text)
    out: list[Candidate] = []
    for source_id in source_ids:
        positions = np.asarray(index.positions_of(source_id), dtype=np.int64)
        if not len(positions):
            continue
        cosines = index.vectors[positions] @ query_vector
        scores = lexical[positions]
        dense_order = np.argsort(-cosines)
        lexical_order = np.argsort(-scores)
        dense_rank = {int(i): r for r, i in enumerate(dense_order)}
        lexical_rank = {int(i): r for r, i in enumerate(lexical_order) if scores[i] > 0}
        best_bm25 = float(scores.max()) or 1.0
        fused = {
            i: 1 / (RRF_K + dense_rank[i])
            + (1 / (RRF_K + lexical_rank[i]) if i in lexical_rank else 0.0)
            for i in range(len(positions))
        }
        for i in sorted(fused, key=fused.__getitem__, reverse=True)[:k]:
            out.append(
                Candidate(
                    position=int(positions[i]),
                    cosine=float(cosines[i]),
                    bm25=float(scores[i]) / best_bm25,
                    fused=fused[i],
                    dense_rank=dense_rank[i],
                    lexical_rank=lexical_rank.get(i),
                )
            )
    return out


class VerbatimRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever, so it composes with user chains.

    Each document is one evidence sentence; its metadata carries the source id and the
    character offsets of the sentence in the source text.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: PassageIndex
    embedder: Embedder
    k: int = 5
    dense_k: int = 12
    lexical_k: int = 12

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = self.embedder.encode([query])[0]
        hits = hybrid_search(self.index, vector, query, self.dense_k, self.lexical_k)
        docs = []
        for hit in hits[: self.k]:
            p = self.index.passages[hit.position]
            docs.append(
                Document(
                    id=p.id,
                    page_content=p.text,
                    metadata={
                        "source_id": p.source_id,
                        "start": p.start,
                        "end": p.end,
                        "paragraph": p.paragraph,
                        "cosine": hit.cosine,
                        "fused": hit.fused,
                    },
                )
            )
        return docs
