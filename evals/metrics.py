"""What every suite records per question, the independent invariant check, and summary maths."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.schemas import AskResponse
from app.sources import Source
from app.text import figures

_MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Record:
    id: str
    question: str
    answerable: bool
    correct: bool
    response: AskResponse
    latency: float
    breaks: list[str]
    reference: str
    contexts: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answerable": self.answerable,
            "correct": self.correct,
            "status": self.response.status,
            "decline_reason": self.response.decline_reason,
            "latency_ms": round(self.latency * 1000, 2),
            "breaks": self.breaks,
            **self.extra,
        }

    def ragas(self) -> dict[str, Any]:
        """The RAGAS dataset shape: question, answer, retrieved contexts, reference."""
        return {
            "user_input": self.question,
            "response": self.response.answer,
            "retrieved_contexts": self.contexts,
            "reference": self.reference,
            "question": self.question,
            "answer": self.response.answer,
            "contexts": self.contexts,
            "ground_truth": self.reference,
        }


def outside_quotes(answer: str, quotes: Iterable[str]) -> str:
    """The answer with its quotes taken out, longest first: a quote that holds another is
    removed whole, whatever order the quotes come in."""
    for q in sorted(quotes, key=len, reverse=True):
        answer = answer.replace(q, " ")
    return answer


def invariant_breaks(response: AskResponse, sources: dict[str, Source]) -> list[str]:
    """The contract's invariants, checked from the outside (not with the service's verifier)."""
    breaks = []
    answer = response.answer
    quoted: set[str] = set()
    for c in response.citations:
        body = sources.get(c.source_id)
        if body is None or body.text[c.start : c.end] != c.quote or not c.quote:
            breaks.append(f"[{c.n}] offsets do not reproduce the quote")
        if f"“{c.quote}” [{c.n}]" not in answer:
            breaks.append(f"[{c.n}] quote missing from the answer")
        quoted.add(c.quote)
    rest = re.sub(
        r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:sources?|quotes?|passages?)\b",
        " ",
        _MARKER.sub(" ", outside_quotes(answer, quoted)),
        flags=re.I,
    )
    if figures(rest):
        breaks.append(f"numbers outside quotes: {sorted(set(figures(rest)))}")
    if {int(m) for m in _MARKER.findall(answer)} - {c.n for c in response.citations}:
        breaks.append("a marker without a citation")
    if response.status == "declined" and any(not c.related_only for c in response.citations):
        breaks.append("a decline cites a supporting quote")
    return breaks


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def auroc(scores: list[float], labels: list[bool]) -> float:
    """Probability that an answerable question outscores an unanswerable one (ties count half)."""
    pos = np.array([s for s, y in zip(scores, labels, strict=True) if y])
    neg = np.array([s for s, y in zip(scores, labels, strict=True) if not y])
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(allv):  # average ranks over ties
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))
