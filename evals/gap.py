"""Where answerability is lost on SQuAD 2.0's development split: finding, checking or reading.

    python -m evals.gap [--every 4]

For every Nth development question it compares the engine's answerability score (the reader's
best probability over the eligible candidates it retrieved) with the reader reading every sentence
of the question's own paragraph, as if retrieval were perfect, with and without the checks of
`app/scope.py`. The engine reads `read_k + read_more` candidates at once, as `evals.threshold`
does, so its score is the one every threshold would see. When the paragraph alone ranks answerable above unanswerable questions little
better than the whole engine does, the reader, not retrieval or the checks, is what to improve.
Writes `evals/results/squad2-dev-gap-latest.json`. The development split only: nothing here is
measured on, or tuned to, the test split.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

import numpy as np

from app.config import ROOT, get_settings
from app.engine import Engine, sigmoid
from app.scope import CHECKS, eligible
from evals import squad2
from evals.metrics import auroc
from evals.runner import _commit
from evals.threshold import unthresholded

RESULTS = ROOT / "evals" / "results"


def analyse(engine: Engine, q: squad2.SquadQuestion) -> dict[str, Any]:
    """One question: the engine's score and what the reader makes of its own paragraph."""
    _, trace = engine.ask_traced(q.question)
    asked = trace.question
    part = asked.parts[0]
    index = engine.index
    own = [i for i in index.positions_of(q.source_id) if not index.passages[i].heading]
    passages = [index.passages[i] for i in own]
    titles = [index.sources[q.source_id].title] * len(own)
    probs = [
        sigmoid(float(x))
        for x in engine.reader.score(engine.reader_query(asked, 0), passages, titles)
    ]
    ok = [eligible(part, asked, engine.evidence, i) for i in own]
    answering = [n for n, p in enumerate(passages) if any(a in p.text for a in q.answers)]
    top = trace.best_eligible
    return {
        "id": q.id,
        "answerable": not q.impossible,
        "figure": q.figure,
        "engine": trace.score,
        "own_paragraph": max(probs, default=0.0),
        "own_paragraph_checked": max((p for p, e in zip(probs, ok, strict=True) if e), default=0.0),
        "answer_in_one_sentence": bool(answering),
        "answer_sentence": max((probs[n] for n in answering), default=0.0),
        "answer_sentence_passes": {
            name: any(check(part, asked, engine.evidence, own[n]) for n in answering)
            for name, check in CHECKS.items()
        },
        "found_own_paragraph": any(
            index.passages[p].source_id == q.source_id for p in trace.retrieved
        ),
        "top_grounds": top is not None and any(a in index.passages[top].text for a in q.answers),
        # The reader's probability, read here, for the sentence the engine would quote when it is
        # in the question's own paragraph: the same reading as the engine's, so the same number.
        "engine_top_reread": next((probs[n] for n, i in enumerate(own) if i == top), None),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    labels = [r["answerable"] for r in rows]
    fig = [r for r in rows if r["figure"]]
    answerable = [r for r in rows if r["answerable"]]
    with_answer = [r for r in answerable if r["answer_in_one_sentence"]]

    def share(xs: list[bool]) -> float | None:
        return round(float(np.mean(xs)), 4) if xs else None

    return {
        "questions": len(rows),
        "auroc_engine": round(auroc([r["engine"] for r in rows], labels), 4),
        "auroc_own_paragraph": round(auroc([r["own_paragraph"] for r in rows], labels), 4),
        "auroc_own_paragraph_checked": round(
            auroc([r["own_paragraph_checked"] for r in rows], labels), 4
        ),
        "figure_questions": len(fig),
        "figure_auroc_engine": round(
            auroc([r["engine"] for r in fig], [r["answerable"] for r in fig]), 4
        ),
        "figure_auroc_own_paragraph": round(
            auroc([r["own_paragraph"] for r in fig], [r["answerable"] for r in fig]), 4
        ),
        "answerable_own_paragraph_retrieved": share([r["found_own_paragraph"] for r in answerable]),
        "answerable_top_grounds": share([r["top_grounds"] for r in answerable]),
        "answer_sentence_passes": {
            name: share([r["answer_sentence_passes"][name] for r in with_answer]) for name in CHECKS
        },
        "unanswerable_own_paragraph_median": round(
            float(np.median([r["own_paragraph"] for r in rows if not r["answerable"]] or [0.0])), 4
        ),
        "answerable_answer_sentence_median": round(
            float(np.median([r["answer_sentence"] for r in with_answer] or [0.0])), 4
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--every", type=int, default=4)
    args = ap.parse_args()
    settings, questions = squad2.settings_for(get_settings(), "dev")
    engine = Engine(unthresholded(settings))
    rows = [analyse(engine, q) for q in questions[:: args.every]]
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "command": f"python -m evals.gap --every {args.every}",
        **summary(rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "squad2-dev-gap-latest.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
