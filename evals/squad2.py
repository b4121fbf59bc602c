"""SQuAD 2.0 (public dev half, ../shared/data/squad2-dev-half) as an outside benchmark.

Split by article in file order: the first 8 articles are the development split (anything tuned
or trained is tuned or trained there), the last 8 the test split (reported only). Each paragraph
of a split becomes one source of a corpus loaded through `VERBATIM_CORPUS_DIR`, and every
question is asked through the same engine the API uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import ROOT, Settings
from app.engine import Engine, Trace
from app.schemas import AskResponse
from evals.metrics import Record, auroc, invariant_breaks, percentile

DATA = ROOT.parent / "shared" / "data" / "squad2-dev-half" / "dev-v2.0.json"
CACHE = ROOT / "evals" / "cache"
FIGURE_Q = re.compile(
    r"\bhow (many|much|long|old|far|large|big)\b|"
    r"\bwhat (percentage|percent|proportion|share|fraction|number|year)\b",
    re.I,
)
ARTICLES_PER_SPLIT = 8


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    source_id: str
    answers: tuple[str, ...]
    impossible: bool

    @property
    def figure(self) -> bool:
        return bool(FIGURE_Q.search(self.question))


def _articles(split: str) -> list[tuple[int, dict[str, Any]]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))["data"]
    if split == "dev":
        return list(enumerate(data))[:ARTICLES_PER_SPLIT]
    if split == "test":
        return list(enumerate(data))[-ARTICLES_PER_SPLIT:]
    raise ValueError(f"unknown SQuAD split {split!r}: dev or test")


def build_corpus(split: str) -> tuple[Path, list[SquadQuestion]]:
    """Write one source per paragraph (once) and return the corpus directory and the questions."""
    corpus = CACHE / f"squad2-{split}" / "corpus"
    questions: list[SquadQuestion] = []
    files: dict[str, str] = {}
    for a, article in _articles(split):
        title = str(article["title"]).replace("_", " ")
        for p, para in enumerate(article["paragraphs"]):
            sid = f"a{a:02d}-p{p:03d}"
            files[f"{sid}.md"] = (
                f"---\nid: {sid}\ntitle: {json.dumps(title)}\n---\n{para['context']}"
            )
            for qa in para["qas"]:
                questions.append(
                    SquadQuestion(
                        id=qa["id"],
                        question=qa["question"],
                        source_id=sid,
                        answers=tuple(x["text"] for x in qa["answers"]),
                        impossible=bool(qa["is_impossible"]),
                    )
                )
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = corpus / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return corpus, questions


def settings_for(base: Settings, split: str) -> tuple[Settings, list[SquadQuestion]]:
    corpus, questions = build_corpus(split)
    settings = base.model_copy(
        update={"corpus_dir": corpus, "data_dir": CACHE / f"squad2-{split}" / "data"}
    )
    return settings, questions


def grounded(response: AskResponse, q: SquadQuestion) -> bool:
    return response.status == "answered" and any(
        a in c.quote for c in response.citations if not c.related_only for a in q.answers
    )


def run(engine: Engine, questions: list[SquadQuestion]) -> tuple[list[Record], list[Trace]]:
    records, traces = [], []
    for q in questions:
        response, trace = engine.ask_traced(q.question)
        index = engine.index
        top = trace.best_eligible
        records.append(
            Record(
                id=q.id,
                question=q.question,
                answerable=not q.impossible,
                correct=(response.status == "declined") if q.impossible else grounded(response, q),
                response=response,
                latency=trace.timings["total"],
                breaks=invariant_breaks(response, index.sources),
                reference=q.answers[0] if q.answers else "(unanswerable)",
                contexts=[index.passages[p].text for p in trace.retrieved[:5]],
                extra={
                    "figure": q.figure,
                    "score": round(trace.score, 5),
                    "hit1": bool(trace.retrieved)
                    and index.passages[trace.retrieved[0]].source_id == q.source_id,
                    "hit5": any(
                        index.passages[p].source_id == q.source_id for p in trace.retrieved[:5]
                    ),
                    # Would the quote chosen at any threshold ground the answer? (for the curve)
                    "top_grounds": top is not None
                    and any(a in index.passages[top].text for a in q.answers),
                    # The tutorial baseline: top-1 sentence by MiniLM cosine, answer when
                    # cosine >= t. Measured in the same run, on the same index.
                    "baseline_score": round(trace.dense_top[1], 5) if trace.dense_top else 0.0,
                    "baseline_grounds": trace.dense_top is not None
                    and any(a in index.passages[trace.dense_top[0]].text for a in q.answers),
                },
            )
        )
        traces.append(trace)
    return records, traces


def curve(
    records: list[Record], figure_only: bool = False, system: str = ""
) -> list[dict[str, float]]:
    """The trade-off as the threshold moves: grounded share vs correct-decline share.

    `system` "" is Verbatim's judge; "baseline_" the top-1 cosine baseline."""
    score, grounds = f"{system}score", f"{system}grounds" if system else "top_grounds"
    rows = [r for r in records if r.extra["figure"] or not figure_only]
    ans = [r for r in rows if r.answerable]
    imp = [r for r in rows if not r.answerable]
    points = []
    for t in sorted({0.0, 1.01, *(float(r.extra[score]) for r in rows)}):
        g = sum(1 for r in ans if r.extra[score] >= t and r.extra[grounds])
        d = sum(1 for r in imp if r.extra[score] < t)
        points.append(
            {
                "threshold": round(t, 5),
                "grounded": round(g / max(len(ans), 1), 5),
                "declined": round(d / max(len(imp), 1), 5),
            }
        )
    return points


def thin(points: list[dict[str, float]], keep: int = 200) -> list[dict[str, float]]:
    """At most `keep` points of a curve, ends included: enough to plot and to read off."""
    if len(points) <= keep:
        return points
    step = (len(points) - 1) / (keep - 1)
    return [points[round(i * step)] for i in range(keep)]


def best_grounded_at(points: list[dict[str, float]], decline_floor: float) -> float:
    return max((p["grounded"] for p in points if p["declined"] >= decline_floor), default=0.0)


def summary(records: list[Record]) -> dict[str, object]:
    ans = [r for r in records if r.answerable]
    imp = [r for r in records if not r.answerable]
    fig_imp = [r for r in imp if r.extra["figure"]]
    lat = [r.latency * 1000 for r in records]
    pts, fig_pts = curve(records), curve(records, figure_only=True)
    base, base_fig = curve(records, system="baseline_"), curve(records, True, "baseline_")
    return {
        "questions": len(records),
        "answerable": len(ans),
        "impossible": len(imp),
        "hit_at_1": _share(sum(bool(r.extra["hit1"]) for r in ans), len(ans)),
        "hit_at_5": _share(sum(bool(r.extra["hit5"]) for r in ans), len(ans)),
        "grounded_answer_rate": _share(sum(r.correct for r in ans), len(ans)),
        "false_decline_rate": _share(sum(r.response.status == "declined" for r in ans), len(ans)),
        "correct_decline_rate": _share(sum(r.correct for r in imp), len(imp)),
        "correct_decline_rate_figure": _share(sum(r.correct for r in fig_imp), len(fig_imp)),
        "answerability_auroc": round(
            auroc([float(r.extra["score"]) for r in records], [r.answerable for r in records]), 4
        ),
        "grounded_at_75pct_declines": round(best_grounded_at(pts, 0.75), 4),
        "grounded_at_70pct_declines": round(best_grounded_at(pts, 0.70), 4),
        "figure_grounded_at_85pct_declines": round(best_grounded_at(fig_pts, 0.85), 4),
        "baseline_auroc": round(
            auroc(
                [float(r.extra["baseline_score"]) for r in records],
                [r.answerable for r in records],
            ),
            4,
        ),
        "baseline_grounded_at_75pct_declines": round(best_grounded_at(base, 0.75), 4),
        "baseline_grounded_at_70pct_declines": round(best_grounded_at(base, 0.70), 4),
        "baseline_figure_grounded_at_85pct_declines": round(best_grounded_at(base_fig, 0.85), 4),
        "invariant_breaks": sum(len(r.breaks) for r in records),
        "latency_ms_p50": round(percentile(lat, 50), 2),
        "latency_ms_p95": round(percentile(lat, 95), 2),
    }


def _share(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None
