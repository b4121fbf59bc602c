"""The Wagner suite: our own questions about the vetted corpus, with expected evidence or decline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.engine import Engine
from app.schemas import AskResponse, DeclineReason, HistoryMessage
from evals.metrics import Record, invariant_breaks

SUITE = Path(__file__).with_name("wagner") / "questions.jsonl"


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    split: Literal["dev", "test"]
    category: str
    question: str
    history: list[HistoryMessage] = Field(default_factory=list)
    expect: Literal["answered", "declined"]
    decline_reason: DeclineReason | None
    evidence: list[str]
    notes: str = ""


def load_cases(path: Path = SUITE) -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                cases.append(Case.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path.name} line {n}: {exc}") from None
    return cases


def correct(case: Case, response: AskResponse) -> bool:
    if case.expect == "declined":
        return response.status == "declined" and response.decline_reason == case.decline_reason
    cited = [c.quote for c in response.citations if not c.related_only]
    return response.status == "answered" and all(
        any(ev in quote for quote in cited) for ev in case.evidence
    )


def run(engine: Engine, split: str, limit: int | None) -> list[Record]:
    cases = [c for c in load_cases() if split == "all" or c.split == split][:limit]
    records = []
    for case in cases:
        history = [(m.role, m.content) for m in case.history]
        response, trace = engine.ask_traced(case.question, history)
        records.append(
            Record(
                id=case.id,
                question=case.question,
                answerable=case.expect == "answered",
                correct=correct(case, response),
                response=response,
                latency=trace.timings["total"],
                breaks=invariant_breaks(response, engine.index.sources),
                reference=" | ".join(case.evidence) or f"declined: {case.decline_reason}",
                contexts=[engine.index.passages[p].text for p in trace.retrieved[:5]],
                extra={"category": case.category, "split": case.split},
            )
        )
    return records


def summary(records: list[Record]) -> dict[str, object]:
    answerable = [r for r in records if r.answerable]
    decline = [r for r in records if not r.answerable]
    by_category: dict[str, list[int]] = {}
    for r in records:
        cat = str(r.extra["category"])
        by_category.setdefault(cat, [0, 0])
        by_category[cat][0] += int(r.correct)
        by_category[cat][1] += 1
    return {
        "questions": len(records),
        "answered_with_right_evidence": _share(sum(r.correct for r in answerable), len(answerable)),
        "correct_declines": _share(sum(r.correct for r in decline), len(decline)),
        "invariant_breaks": sum(len(r.breaks) for r in records),
        "by_category": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_category.items())},
        "failures": [r.id for r in records if not r.correct],
        # What a failure did instead: a decline with another reason is not a false answer.
        "false_answers": [r.id for r in decline if r.response.status == "answered"],
        "outcomes": {r.id: _outcome(r.response) for r in records if not r.correct},
    }


def _outcome(response: AskResponse) -> str:
    return f"declined: {response.decline_reason}" if response.decline_reason else response.status


def _share(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def dump(records: list[Record]) -> str:
    return "\n".join(json.dumps(r.row(), ensure_ascii=False) for r in records)
