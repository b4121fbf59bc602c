"""Choose the reader's answer threshold on development data, and ship it with the reader.

    python -m evals.threshold [--squad-every 4] [--write]

Asks every question once with no threshold and records the reader's best probability over the
eligible evidence and whether that sentence holds the expected evidence, on three development
sets: SQuAD 2.0's development split (every Nth question), the Wagner suite's development split,
and newsdesk-dev as a whole (its SOURCE.md allows choosing thresholds on it as a whole; nothing is
trained on it). The threshold maximises the mean over the three sets of (answerable questions
whose best sentence is right and passes, plus must-decline questions that do not pass) / 2.
Figure questions get their own threshold, never below that one, chosen on the figure questions
alone with a wrongly answered must-decline figure question weighing FIGURE_COST missed answers:
product policy, since a figure quoted for another place, time or group is the failure the product
exists to prevent. `--write` stores both (`threshold`, `figure_threshold`) in
app/reader/reader.json.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from app.config import Settings, get_settings
from app.engine import Engine
from app.reader import READER_DIR
from evals import newsdesk, squad2, wagner

# A must-decline figure question answered costs this many answerable ones declined.
FIGURE_COST = 3.0

Row = tuple[float, bool, bool, bool]  # score, answerable, best sentence right, asks a figure


def unthresholded(settings: Settings) -> Settings:
    """No threshold, and every candidate the engine may read is read at once: at any threshold
    the engine answers exactly when one of them passes (it reads `read_more` more only when the
    first `read_k` fail)."""
    return settings.model_copy(
        update={
            "answer_threshold": 0.0,
            "read_k": settings.read_k + settings.read_more,
            "read_more": 0,
        }
    )


def _rows_squad(base: Settings, every: int) -> list[Row]:
    settings, questions = squad2.settings_for(base, "dev")
    engine = Engine(unthresholded(settings))
    rows = []
    for q in questions[::every]:
        _, trace = engine.ask_traced(q.question)
        top = trace.best_eligible
        right = top is not None and any(a in engine.index.passages[top].text for a in q.answers)
        rows.append((trace.score, not q.impossible, right, _figure(trace)))
    return rows


def _rows_wagner(base: Settings) -> list[Row]:
    engine = Engine(unthresholded(base))
    rows = []
    for case in wagner.load_cases():
        if case.split != "dev":
            continue
        _, trace = engine.ask_traced(case.question, [(m.role, m.content) for m in case.history])
        top = trace.best_eligible
        text = engine.index.passages[top].text if top is not None else ""
        right = any(ev in text for ev in case.evidence)
        rows.append((trace.score, case.expect == "answered", right, _figure(trace)))
    return rows


def _rows_newsdesk(base: Settings) -> list[Row]:
    engine = Engine(unthresholded(newsdesk.settings_for(base)))
    rows = []
    for item in newsdesk.load_items():
        history = [(t["role"], t["content"]) for t in item.get("history", [])]
        _, trace = engine.ask_traced(item["question"], history)
        top = trace.best_eligible
        text = engine.index.passages[top].text if top is not None else ""
        wanted = item.get("must_quote_any", []) + item.get("must_quote_all", [])
        right = any(s in text for s in wanted)
        rows.append((trace.score, item["expect"] == "answer", right, _figure(trace)))
    return rows


def _figure(trace: Any) -> bool:
    return any(p.wants_figure for p in trace.question.parts)


def balanced(rows: list[Row], t: float, decline_weight: float = 1.0) -> float:
    ans = [s >= t and right for s, answerable, right, _ in rows if answerable]
    dec = [s < t for s, answerable, _, _ in rows if not answerable]
    return (float(np.mean(ans)) + decline_weight * float(np.mean(dec))) / (1 + decline_weight)


def choose(sets: dict[str, list[Row]]) -> dict[str, Any]:
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    scores = [float(np.mean([balanced(rows, t) for rows in sets.values()])) for t in grid]
    best = float(grid[int(np.argmax(scores))])
    # Figure questions: the sets holding both answerable and must-decline ones.
    asks = {k: [r for r in rows if r[3]] for k, rows in sets.items()}
    figures = {k: f for k, f in asks.items() if len({r[1] for r in f}) == 2}
    above = grid[grid >= best]
    weighted = [
        float(np.mean([balanced(rows, t, FIGURE_COST) for rows in figures.values()])) for t in above
    ]
    figure = float(above[int(np.argmax(weighted))]) if figures else best
    return {
        "threshold": best,
        "balanced_accuracy": {k: round(balanced(v, best), 4) for k, v in sets.items()},
        "questions": {k: len(v) for k, v in sets.items()},
        "figure_threshold": figure,
        "figure_weighted_accuracy": {
            k: round(balanced(v, figure, FIGURE_COST), 4) for k, v in figures.items()
        },
        "figure_questions": {k: len(v) for k, v in figures.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad-every", type=int, default=4)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    base = get_settings()
    sets = {
        "newsdesk-dev": _rows_newsdesk(base),
        "wagner-dev": _rows_wagner(base),
        "squad2-dev": _rows_squad(base, args.squad_every),
    }
    chosen = choose(sets)
    print(json.dumps(chosen, indent=1))
    if args.write:
        path = READER_DIR / "reader.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["threshold"] = chosen["threshold"]
        meta["figure_threshold"] = chosen["figure_threshold"]
        meta["threshold_chosen_on"] = chosen
        path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
