"""The last gate: check an answer against the contract's invariants before it leaves the service.

Whatever composed it (this project's composer, or a generative model a user plugs in), an answer
is sent only if every quote is verbatim, its offsets reproduce it, every number in the answer
stands inside a cited quote, and every marker has its citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.schemas import DECLINE_REASONS, AskResponse
from app.sources import Source
from app.text import figures

_MARKER = re.compile(r"\[(\d+)\]")
# The framing may count sources or quotes, in words; that is the only number it may state.
_SOURCE_COUNT = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:vetted\s+)?"
    r"(?:sources?|quotes?|passages?|reports?)\b",
    re.I,
)


@dataclass(frozen=True)
class Problem:
    citation: int | None  # the citation at fault, when one is; None for the answer as a whole
    message: str


def verify(response: AskResponse, sources: dict[str, Source]) -> list[Problem]:
    problems: list[Problem] = []
    answer = response.answer
    numbers = [c.n for c in response.citations]
    if len(set(numbers)) != len(numbers):
        problems.append(Problem(None, "citation numbers repeat"))
    for c in response.citations:
        source = sources.get(c.source_id)
        if source is None:
            problems.append(Problem(c.n, f"[{c.n}] cites unknown source {c.source_id!r}"))
            continue
        if not c.quote.strip():
            problems.append(Problem(c.n, f"[{c.n}] has an empty quote"))
        elif (
            not (0 <= c.start < c.end <= len(source.text))
            or source.text[c.start : c.end] != c.quote
        ):
            problems.append(Problem(c.n, f"[{c.n}] offsets do not reproduce the quote"))
        if f"“{c.quote}” [{c.n}]" not in answer:
            problems.append(Problem(c.n, f"[{c.n}] quote is not in the answer as “quote” [n]"))
    for marker in {int(m) for m in _MARKER.findall(answer)} - set(numbers):
        problems.append(Problem(None, f"marker [{marker}] has no citation"))
    framing = answer
    for c in response.citations:
        framing = framing.replace(f"“{c.quote}” [{c.n}]", " ")
    framing = _SOURCE_COUNT.sub(" ", _MARKER.sub(" ", framing))
    stray = figures(framing)
    if stray:
        problems.append(Problem(None, f"numbers outside cited quotes: {sorted(set(stray))}"))
    if response.status == "answered":
        if response.decline_reason is not None:
            problems.append(Problem(None, "an answer carries a decline reason"))
        if not any(not c.related_only for c in response.citations):
            problems.append(Problem(None, "an answer cites no supporting quote"))
    else:
        if response.decline_reason not in DECLINE_REASONS:
            problems.append(Problem(None, "a decline without a valid reason"))
        for c in response.citations:
            if not c.related_only:
                problems.append(Problem(c.n, f"[{c.n}] in a decline must be related_only"))
    return problems
