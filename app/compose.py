"""Compose the answer extractively: a short framing, then verbatim quotes, each with its citation.

The framing comes from `prompts/messages.yaml` and never states a number except a count of
sources; every fact is a quote. A quote whose attribution is a pronoun ("..., he said") takes in
the sentence before it that names the speaker, so attribution travels with the figure. News copy
often gives such a sentence a paragraph of its own ("This, it said, ..."): a paragraph that opens
by pointing back is read as the continuation of the one before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.index import PassageIndex
from app.prompts import Messages
from app.schemas import AskResponse, Citation, DeclineReason
from app.text import figures

_PRONOUN_ATTRIBUTION = re.compile(
    r"\b(?:he|she|they|it|we)\s+(?:said|says|added|noted|told|stated|claimed|wrote|argued)\b"
    r"|^(?:it|he|she|they)\s+(?:also\s+)?(?:noted|said|described|added)\b|^this,\s+it\s+said",
    re.I,
)
_NAMED_ATTRIBUTION = re.compile(
    r"\b(?:said|says|stated|told|noted|added|claimed|estimates?|estimated|according\s+to|"
    r"reported|reportedly|believes?|suggests?|predicted|forecast(?:ed)?|described|announced)\b",
    re.I,
)
_OPENS_QUOTE = re.compile(r"^[“\"]")
_POINTS_BACK = re.compile(r"^(?:this|that|these|those|it|he|she|they)\b", re.I)


@dataclass(frozen=True)
class Quote:
    source_id: str
    start: int
    end: int
    related_only: bool = False


def quote_for(index: PassageIndex, position: int, related_only: bool = False) -> Quote:
    """The passage, widened backwards within its paragraph to the sentence naming its speaker."""
    p = index.passages[position]
    start = p.start
    needs_speaker = bool(_PRONOUN_ATTRIBUTION.search(p.text)) or (
        bool(_OPENS_QUOTE.match(p.text)) and not _NAMED_ATTRIBUTION.search(p.text)
    )
    back = position
    while needs_speaker and back > 0 and position - back < 2:
        prev, cur = index.passages[back - 1], index.passages[back]
        if prev.source_id != p.source_id:
            break
        if prev.para_start != cur.para_start and not (
            cur.start == cur.para_start and _POINTS_BACK.match(cur.text)
        ):
            break
        back -= 1
        start = prev.start
        needs_speaker = not (
            _NAMED_ATTRIBUTION.search(prev.text) and not _PRONOUN_ATTRIBUTION.search(prev.text)
        )
    return Quote(p.source_id, start, p.end, related_only)


def _normalise_figure(raw: str) -> str:
    return re.sub(r"[\s,-]", "", raw.lower()).replace("percent", "%")


def figures_agree(texts: list[str]) -> bool:
    """Do the quotes state a common figure, digits or words ("six months" in both)? (Every pair
    shares one.)"""
    sets = [{_normalise_figure(f) for f in figures(t)} for t in texts]
    return all(a & b for i, a in enumerate(sets) for b in sets[i + 1 :])


def citation(index: PassageIndex, quote: Quote, n: int) -> Citation:
    source = index.sources[quote.source_id]
    return Citation(
        n=n,
        source_id=source.id,
        title=source.title,
        outlet=source.outlet,
        published=source.published,
        url=source.url,
        quote=source.text[quote.start : quote.end],
        start=quote.start,
        end=quote.end,
        related_only=quote.related_only,
    )


def _quote_block(citations: list[Citation]) -> str:
    return "\n\n".join(f"“{c.quote}” [{c.n}]" for c in citations)


def _dedupe(index: PassageIndex, quotes: list[Quote]) -> list[Quote]:
    """Each stretch of text once: a quote inside another is dropped, and a quote that takes in
    an earlier one (widened to its speaker) stands in the earlier one's place."""
    seen: set[str] = set()
    out: list[Quote] = []
    for q in quotes:
        text = index.sources[q.source_id].text[q.start : q.end]
        if text in seen or any(
            o.source_id == q.source_id and o.start <= q.start and q.end <= o.end for o in out
        ):
            continue
        seen.add(text)
        inside = [
            i
            for i, o in enumerate(out)
            if o.source_id == q.source_id and q.start <= o.start and o.end <= q.end
        ]
        if inside:
            out[inside[0]] = q
            out = [o for i, o in enumerate(out) if i not in inside[1:]]
        else:
            out.append(q)
    return out


def compose_answer(
    index: PassageIndex,
    messages: Messages,
    quotes: list[Quote],
    figure_question: bool,
    unanswered_parts: list[str],
    corpus_version: str,
) -> AskResponse:
    quotes = _dedupe(index, quotes)
    citations = [citation(index, q, n) for n, q in enumerate(quotes, start=1)]
    n_sources = len({c.source_id for c in citations})
    if n_sources == 1:
        framing = messages.render("answered_one_source")
    elif figure_question:
        # The framing says whether the figures agree: that answers "... do the sources agree?".
        agree = figures_agree([c.quote for c in citations])
        framing = messages.render(
            "figures_agree" if agree else "figures_differ", sources=messages.count(n_sources)
        )
    else:
        framing = messages.render("answered_sources", sources=messages.count(n_sources))
    lines = [framing, _quote_block(citations)]
    for part in unanswered_parts:
        # A part is repeated only when it holds no number: a decline never repeats a figure.
        if figures(part):
            lines.append(messages.render("rest_not_stated"))
        else:
            lines.append(messages.render("part_not_stated", part=part.rstrip("?. ")))
    return AskResponse(
        status="answered",
        answer="\n\n".join(lines),
        citations=citations,
        decline_reason=None,
        corpus_version=corpus_version,
    )


def compose_decline(
    index: PassageIndex,
    messages: Messages,
    reason: DeclineReason,
    related: list[Quote],
    corpus_version: str,
) -> AskResponse:
    related = _dedupe(index, [Quote(q.source_id, q.start, q.end, True) for q in related])
    citations = [citation(index, q, n) for n, q in enumerate(related, start=1)]
    answer = messages.render(f"decline_{reason}")
    if citations:
        answer += "\n\n" + messages.render("related_intro") + "\n\n" + _quote_block(citations)
    return AskResponse(
        status="declined",
        answer=answer,
        citations=citations,
        decline_reason=reason,
        corpus_version=corpus_version,
    )
