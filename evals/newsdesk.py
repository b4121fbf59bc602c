"""newsdesk-dev (../shared/data/newsdesk-dev): a fictional corpus and 110 questions written apart
from the system. A measurement set: scored here, never trained on, no rule written for an item.

Scored as its SOURCE.md says: an answer item passes when it is answered and its non-related
quotes contain any `must_quote_any` string (or every `must_quote_all` string); a decline item
passes when it is declined with one of its `reasons`. Reported per category: answered right,
declined right, declined with another reason, and must-decline items answered with a figure
(a number in a quote the answer relies on: a figure the corpus does not give for that scope).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.config import ROOT, Settings
from app.engine import Engine
from app.schemas import AskResponse
from app.text import figures
from evals.metrics import Record, invariant_breaks

DATA = ROOT.parent / "shared" / "data" / "newsdesk-dev"
CACHE = ROOT / "evals" / "cache"


def load_items() -> list[dict[str, Any]]:
    lines = (DATA / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def settings_for(base: Settings) -> Settings:
    return base.model_copy(
        update={"corpus_dir": DATA / "corpus", "data_dir": CACHE / "newsdesk" / "data"}
    )


def correct(item: dict[str, Any], response: AskResponse) -> bool:
    if item["expect"] == "decline":
        return response.status == "declined" and response.decline_reason in item["reasons"]
    cited = [c.quote for c in response.citations if not c.related_only]
    if response.status != "answered":
        return False
    if "must_quote_all" in item:
        return all(any(s in q for q in cited) for s in item["must_quote_all"])
    return any(s in q for s in item["must_quote_any"] for q in cited)


def figure_answered(item: dict[str, Any], response: AskResponse) -> bool:
    """A must-decline item answered with a quote that states a figure."""
    return (
        item["expect"] == "decline"
        and response.status == "answered"
        and any(figures(c.quote) for c in response.citations if not c.related_only)
    )


def run(
    engine: Engine, limit: int | None = None, items: list[dict[str, Any]] | None = None
) -> list[Record]:
    """Ask each item (newsdesk-dev's, or others in its shape) and score it."""
    records = []
    for item in (load_items() if items is None else items)[:limit]:
        history = [(t["role"], t["content"]) for t in item.get("history", [])]
        response, trace = engine.ask_traced(item["question"], history)
        records.append(
            Record(
                id=item["id"],
                question=item["question"],
                answerable=item["expect"] == "answer",
                correct=correct(item, response),
                response=response,
                latency=trace.timings["total"],
                breaks=invariant_breaks(response, engine.index.sources),
                reference=" | ".join(
                    item.get("must_quote_any", []) + item.get("must_quote_all", [])
                )
                or "declined: " + "/".join(item["reasons"]),
                contexts=[engine.index.passages[p].text for p in trace.retrieved[:5]],
                extra={
                    "category": item["cat"],
                    "score": round(trace.score, 5),
                    "figure_answered": figure_answered(item, response),
                },
            )
        )
    return records


def _share(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def summary(records: list[Record]) -> dict[str, Any]:
    answerable = [r for r in records if r.answerable]
    decline = [r for r in records if not r.answerable]
    cats: dict[str, dict[str, int]] = {}
    for r in records:
        c = cats.setdefault(
            str(r.extra["category"]),
            {"n": 0, "right": 0, "declined": 0, "wrong_reason": 0, "answered": 0, "figure": 0},
        )
        c["n"] += 1
        c["right"] += int(r.correct)
        declined = r.response.status == "declined"
        c["declined"] += int(declined)
        c["answered"] += int(not declined)
        c["wrong_reason"] += int(declined and not r.answerable and not r.correct)
        c["figure"] += int(bool(r.extra["figure_answered"]))
    return {
        "questions": len(records),
        "answered_with_right_evidence": _share(sum(r.correct for r in answerable), len(answerable)),
        "false_declines": _share(
            sum(r.response.status == "declined" for r in answerable), len(answerable)
        ),
        "correct_declines": _share(sum(r.correct for r in decline), len(decline)),
        "wrong_reason_declines": _share(
            sum(r.response.status == "declined" and not r.correct for r in decline), len(decline)
        ),
        "must_decline_answered": sum(r.response.status == "answered" for r in decline),
        "must_decline_answered_with_a_figure": sum(
            bool(r.extra["figure_answered"]) for r in decline
        ),
        "invariant_breaks": sum(len(r.breaks) for r in records),
        "by_category": dict(sorted(cats.items())),
        "failures": {
            r.id: (
                f"declined: {r.response.decline_reason}"
                if r.response.status == "declined"
                else "answered"
            )
            for r in records
            if not r.correct
        },
    }


def check_paths() -> Path:
    if not (DATA / "questions.jsonl").is_file():
        raise FileNotFoundError(f"{DATA} is missing: newsdesk-dev lives in ../shared/data")
    return DATA
