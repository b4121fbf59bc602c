"""Measurements inside this process, on a real Engine: per-stage timings, the cost of one query
embedding, quality on the Wagner suite, and our retrieval against plain LangChain similarity."""

from __future__ import annotations

import time
from typing import Any

from app.config import Settings
from app.engine import Engine
from app.retrieve import VerbatimRetriever
from benchmarks.stats import ms, ratio
from evals import wagner
from evals.wagner import Case

STAGES = ("analyse", "embed", "search", "read", "compose", "verify", "total")


def open_engine(settings: Settings) -> tuple[Engine, float]:
    start = time.perf_counter()
    engine = Engine(settings)
    return engine, round(time.perf_counter() - start, 2)


def stage_timings(engines: dict[str, Engine], cases: list[Case], rounds: int) -> dict[str, Any]:
    """`Engine.ask_traced` timings per stage, and `embedder.encode([q])` alone, per engine.

    With several engines (embedded Chroma and a Chroma server) each question goes to each in
    turn, so a change in machine load falls on all of them alike.
    """
    timings: dict[str, dict[str, list[float]]] = {
        name: {stage: [] for stage in (*STAGES, "query_embed")} for name in engines
    }
    for engine in engines.values():  # warm-up, not measured
        for case in cases[:3]:
            engine.ask_traced(case.question, [(m.role, m.content) for m in case.history])
    for _ in range(rounds):
        for case in cases:
            history = [(m.role, m.content) for m in case.history]
            for name, engine in engines.items():
                _, trace = engine.ask_traced(case.question, history)
                for stage in STAGES:
                    timings[name][stage].append(trace.timings[stage])
                start = time.perf_counter()
                engine.embedder.encode([case.question])
                timings[name]["query_embed"].append(time.perf_counter() - start)
    out: dict[str, Any] = {}
    for name, per_stage in timings.items():
        summary: dict[str, Any] = {stage: ms(values) for stage, values in per_stage.items()}
        summary["total_over_embed_p50"] = ratio(
            summary["total"]["p50"], summary["query_embed"]["p50"]
        )
        out[name] = summary
    return out


def quality(engine: Engine) -> dict[str, Any]:
    records = wagner.run(engine, "all", None)
    summary = wagner.summary(records)
    return {
        k: summary[k]
        for k in (
            "questions",
            "answered_with_right_evidence",
            "correct_declines",
            "invariant_breaks",
            "failures",
            "false_answers",
            "outcomes",
        )
    }


def _hit(case: Case, texts: list[str]) -> bool:
    """Every expected evidence string stands in one of the retrieved passages."""
    return all(any(ev in text for text in texts) for ev in case.evidence)


def retrieval(engine: Engine, cases: list[Case], k: int) -> dict[str, Any]:
    """Our hybrid retrieval against `Chroma.as_retriever(search_kwargs={"k": k})` over the same
    collection, model and k, on the suite's answerable questions that stand alone (neither
    retriever sees a conversation's history). Calls alternate, question by question."""
    settings = engine.settings
    ours = VerbatimRetriever(
        index=engine.index,
        embedder=engine.embedder,
        k=k,
        dense_k=settings.dense_k,
        lexical_k=settings.lexical_k,
    )
    plain = engine.index.store.as_retriever(search_kwargs={"k": k})
    asked = [c for c in cases if c.expect == "answered" and not c.history and c.evidence]
    hits = {"ours": 0, "plain": 0}
    times: dict[str, list[float]] = {"ours": [], "plain": []}
    for case in asked[:3]:  # warm-up
        ours.invoke(case.question)
        plain.invoke(case.question)
    for case in asked:
        for name, retriever in (("ours", ours), ("plain", plain)):
            start = time.perf_counter()
            docs = retriever.invoke(case.question)
            times[name].append(time.perf_counter() - start)
            hits[name] += _hit(case, [d.page_content for d in docs])
    n = len(asked)
    out: dict[str, Any] = {"k": k, "questions": n}
    for name in hits:
        out[name] = {"hit_rate": round(hits[name] / n, 4) if n else None, "ms": ms(times[name])}
    out["hit_rate_ratio"] = ratio(out["ours"]["hit_rate"] or 0.0, out["plain"]["hit_rate"] or 0.0)
    out["latency_ratio_p50"] = ratio(out["ours"]["ms"]["p50"], out["plain"]["ms"]["p50"])
    return out
