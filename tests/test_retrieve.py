from __future__ import annotations

from langchain_core.runnables import RunnableLambda

from app.engine import Engine
from app.retrieve import VerbatimRetriever, hybrid_search


def test_hybrid_search_fuses_dense_and_lexical(engine: Engine) -> None:
    q = "Prigorzhin Putin's cook"
    vec = engine.embedder.encode([q])[0]
    hits = hybrid_search(engine.index, vec, q, 5, 5)
    top = engine.index.passages[hits[0].position]
    assert "Prigorzhin" in top.text  # a rare spelling found by BM25
    assert any(h.dense_rank is not None for h in hits)
    assert any(h.lexical_rank is not None for h in hits)


def test_source_filter_is_respected(engine: Engine) -> None:
    q = "Wagner personnel"
    vec = engine.embedder.encode([q])[0]
    only = frozenset({"001_1b95ffcaa136a939"})
    hits = hybrid_search(engine.index, vec, q, 5, 5, only)
    assert hits and all(engine.index.passages[h.position].source_id in only for h in hits)


def test_langchain_retriever_composes_in_a_chain(engine: Engine) -> None:
    retriever = VerbatimRetriever(index=engine.index, embedder=engine.embedder, k=3)
    chain = retriever | RunnableLambda(lambda docs: [d.metadata for d in docs])
    metas = chain.invoke("How many personnel does Wagner have in Ukraine?")
    assert len(metas) == 3
    text = engine.index.sources[metas[0]["source_id"]].text
    docs = retriever.invoke("How many personnel does Wagner have in Ukraine?")
    assert text[metas[0]["start"] : metas[0]["end"]] == docs[0].page_content
    assert any("50,000 personnel" in d.page_content for d in docs)
