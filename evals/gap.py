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
    """One question: the engine's score, what its reader read, and what the reader makes of every
    sentence of the question's own paragraph for each part of the question."""
    response, trace = engine.ask_traced(q.question)
    asked = trace.question
    index = engine.index
    own = index.positions_of(q.source_id)
    passages = [index.passages[i] for i in own]
    titles = [index.sources[q.source_id].title] * len(own)
    answering = [n for n, p in enumerate(passages) if any(a in p.text for a in q.answers)]
    probs, checked = [0.0] * len(own), [0.0] * len(own)
    ok = [False] * len(own)
    passes = {name: [False] * len(own) for name in CHECKS}
    for i, part in enumerate(asked.parts):
        if part.only_agreement:
            continue
        logits = engine.reader.score(engine.reader_query(asked, i), passages, titles)
        for n, (x, position) in enumerate(zip(logits, own, strict=True)):
            prob = sigmoid(float(x))
            probs[n] = max(probs[n], prob)
            if eligible(part, asked, engine.evidence, position):
                ok[n] = True
                checked[n] = max(checked[n], prob)
            for name, check in CHECKS.items():
                passes[name][n] |= check(part, asked, engine.evidence, position)
    top = trace.best_eligible
    return {
        "id": q.id,
        "answerable": not q.impossible,
        "figure": q.figure,
        "parts": len(asked.parts),
        "engine": trace.score,
        "declined_before_reading": response.decline_reason
        in ("out_of_scope", "speculation_requested"),
        "own_paragraph": max(probs, default=0.0),
        "own_paragraph_checked": max(checked, default=0.0),
        "answer_in_one_sentence": bool(answering),
        "answer_sentence": max((probs[n] for n in answering), default=0.0),
        "answer_sentence_eligible": any(ok[n] for n in answering),
        "answer_sentence_passes": {
            name: any(v[n] for n in answering) for name, v in passes.items()
        },
        # What the engine read: retrieval, the checks and the read budget chose these.
        "answer_sentence_read": any(
            a in index.passages[p].text for p in trace.read for a in q.answers
        ),
        "top_grounds": top is not None and any(a in index.passages[top].text for a in q.answers),
        # The reader's probability, read here, for the sentence the engine would quote when it is
        # in the question's own paragraph: the same reading as the engine's, so the same number.
        "engine_top_reread": next((checked[n] for n, i in enumerate(own) if i == top), None),
    }


def _auroc(rows: list[dict[str, Any]], key: str) -> float | None:
    value = auroc([r[key] for r in rows], [r["answerable"] for r in rows])
    return None if np.isnan(value) else round(value, 4)


def _share(xs: list[bool]) -> float | None:
    return round(float(np.mean(xs)), 4) if xs else None


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    fig = [r for r in rows if r["figure"]]
    answerable = [r for r in rows if r["answerable"]]
    in_one = [r for r in answerable if r["answer_in_one_sentence"]]
    return {
        "questions": len(rows),
        "auroc_engine": _auroc(rows, "engine"),
        "auroc_own_paragraph": _auroc(rows, "own_paragraph"),
        "auroc_own_paragraph_checked": _auroc(rows, "own_paragraph_checked"),
        "figure_questions": len(fig),
        "figure_auroc_engine": _auroc(fig, "engine"),
        "figure_auroc_own_paragraph": _auroc(fig, "own_paragraph"),
        # Of the answerable questions whose answer lies within one sentence:
        "answer_in_one_sentence": _share([r["answer_in_one_sentence"] for r in answerable]),
        "answer_sentence_read": _share([r["answer_sentence_read"] for r in in_one]),
        "answer_sentence_eligible": _share([r["answer_sentence_eligible"] for r in in_one]),
        "answer_sentence_passes": {
            name: _share([r["answer_sentence_passes"][name] for r in in_one]) for name in CHECKS
        },
        "answer_sentence_median_probability": round(
            float(np.median([r["answer_sentence"] for r in in_one] or [0.0])), 4
        ),
        "answerable_declined_before_reading": _share(
            [r["declined_before_reading"] for r in answerable]
        ),
        "answerable_top_grounds": _share([r["top_grounds"] for r in answerable]),
        "unanswerable_own_paragraph_median_probability": round(
            float(np.median([r["own_paragraph"] for r in rows if not r["answerable"]] or [0.0])), 4
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
