"""Question analysis: what kind of answer is asked for, its scope, its parts, and its referents.

Nothing here knows the corpus: the rules are about English questions, not about any subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from app.text import STOPWORDS, capitalised_terms, content_tokens, stem

AnswerType = Literal[
    "count", "money", "percent", "duration", "year", "date", "person", "place", "other"
]
FIGURE_TYPES = ("count", "money", "percent", "duration")

_SPECULATION = [
    re.compile(p, re.I)
    for p in (
        r"\b(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:try\s+to\s+|just\s+)?"
        r"(?:estimate|guess|predict|speculate|extrapolate|project|approximate|infer|work\s+out"
        r"|figure\s+out|calculate|make\s+up|invent|imagine|assume)\b",
        r"^\s*(?:please\s+|now\s+|ok,?\s+|okay,?\s+|so,?\s+)?(?:estimate|guess|predict|speculate"
        r"|extrapolate|approximate|make\s+up|invent|imagine|assume|hypothesi[sz]e|forecast|project)\b",
        r"\byour\s+(?:best\s+|own\s+|rough\s+)?(?:guess|estimate|prediction|projection|opinion"
        r"|speculation|extrapolation)\b",
        r"\b(?:best|rough|educated|wild|informed)\s+guess\b",
        r"\bballpark\b",
        r"\b(?:make|making)\s+(?:one\s+)?up\b",
        r"\bwhat\s+do\s+you\s+(?:think|reckon|expect|believe)\b",
        r"\b(?:how\s+many|how\s+much|what)\b.*\bdo\s+you\s+(?:think|reckon|expect|believe)\b",
        r"\b(?:even\s+if|though)\s+(?:it'?s\s+|the\s+\w+\s+(?:don'?t|doesn'?t)\s+|you'?re\s+"
        r"|you\s+are\s+)(?:not\s+)?(?:sure|certain|stated|say|known|in\s+the)\b",
        r"\b(?:just\s+)?(?:give|tell)\s+me\s+(?:a|any|some)\s+(?:number|figure|estimate)\b",
        r"\bround(?:ed)?\s+(?:it\s+|that\s+|the\s+\w+\s+)?(?:up|down|off)\b",
        r"\bhypothetically\b",
        r"\bwould\s+(?:probably|likely)\s+be\b",
        r"\bfill\s+in\s+(?:the|a)\s+(?:number|figure|gap)\b",
    )
]
_MONEY_Q = re.compile(
    r"\b(?:money|cost|costs|spend|spends|spent|spending|pay|pays|paid|budget|fund|funding|"
    r"dollars?|euros?|rubles?|roubles?|worth|price|salary|salaries|wage|wages|revenue|income)\b",
    re.I,
)
_PERCENT_Q = re.compile(
    r"\b(?:percentage|percent|per\s+cent|proportion|share|fraction|portion|ratio|rate)\b", re.I
)
_FIGURE_Q = re.compile(
    r"\bhow\s+(?:many|much|large|big|long|old|far)\b(?!\s+ago)|\bwhat\s+(?:is|was|are|were)?\s*(?:the\s+)?"
    r"(?:percentage|percent|proportion|share|fraction|number|amount|total|count|size|toll|"
    r"figure|cost|budget|sum|strength|headcount)\b|\bwhat\s+portion\b|\bnumber\s+of\b",
    re.I,
)
_DATE_Q = re.compile(
    r"\bwhen\b|\bwhat\s+(?:year|date|day|month|time|decade|century)\b|\bin\s+which\s+year\b|"
    r"\bhow\s+long\s+ago\b|\bsince\s+when\b",
    re.I,
)
_PERSON_Q = re.compile(
    r"^\s*(?:who|whom|whose)\b|\b(?:who|whom|whose)\s+(?:is|was|are|were|said|says|did|does|"
    r"has|had|stated|claimed|leads|led|founded)\b|\bwhich\s+(?:person|official|leader|man|"
    r"woman|officer|spokesman|spokesperson|minister|president)\b",
    re.I,
)
_PLACE_Q = re.compile(
    r"^\s*where\b|\bwhere\s+(?:is|was|are|were|did|does|do|has|have)\b|\bin\s+which\s+"
    r"(?:country|countries|city|cities|place|region|town)\b|\bwhich\s+(?:country|countries|city"
    r"|cities|place|region|town)\b",
    re.I,
)
_ANAPHOR = re.compile(
    r"\b(?:he|she|they|them|it|its|his|her|hers|him|their|theirs|this|that|these|those|there|"
    r"the\s+group|the\s+organi[sz]ation|the\s+same)\b",
    re.I,
)
_PART_SPLIT = re.compile(
    r"\?\s+(?=\S)|[,;]?\s+(?:and|but|also)\s+(?=(?:how|what|who|when|where|why|which|whom|"
    r"whose|did|does|do|is|are|was|were)\b)",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|no|never|n't|without|none|neither|nor)\b|n't\b", re.I)


@dataclass(frozen=True)
class Part:
    """One question (a multi-part question has several)."""

    text: str
    answer_type: AnswerType
    scope: tuple[str, ...]  # stemmed names, places and figures the answer must be about
    content: tuple[str, ...]  # stemmed content words
    negated: bool
    units: tuple[str, ...] = ()  # what a count is of: "how many *prisons*" -> ("prison",)
    presupposes: bool = False  # "why did X do Y" takes it as given that X did Y
    compares_sources: bool = False  # "do the sources agree", "how do the reports describe"

    @property
    def wants_figure(self) -> bool:
        return self.answer_type in FIGURE_TYPES


@dataclass(frozen=True)
class Question:
    text: str
    search_text: str  # the question with what its pronouns refer to, for retrieval
    parts: tuple[Part, ...]
    speculation: bool
    context_terms: tuple[str, ...] = field(default=())  # names carried over from the history


_DURATION_Q = re.compile(
    r"\bhow\s+long\b(?!\s+ago)|\bfor\s+how\s+many\s+(?:years|months|weeks|days)\b", re.I
)
_YEAR_Q = re.compile(r"\b(?:what|which)\s+year\b|\bin\s+what\s+year\b", re.I)
_SOURCES_Q = re.compile(
    r"\b(?:the|both|all|each|different|these)\s+(?:sources|reports|articles|accounts|outlets)\b"
    r"|\b(?:sources|reports)\s+(?:say|agree|differ|describe|disagree)\b|\bdo\s+they\s+agree\b",
    re.I,
)
_WHY_Q = re.compile(r"^\s*(?:why|how\s+come)\b|\bwhat\s+(?:made|caused|led)\b", re.I)


def answer_type(text: str) -> AnswerType:
    if _DURATION_Q.search(text):
        return "duration"
    if _FIGURE_Q.search(text):
        if _PERCENT_Q.search(text):
            return "percent"
        if _MONEY_Q.search(text) and re.search(r"\bhow\s+much\b|\bcost\b|\bamount\b", text, re.I):
            return "money"
        return "count"
    if _YEAR_Q.search(text):
        return "year"
    if _DATE_Q.search(text):
        return "date"
    if _PERSON_Q.search(text):
        return "person"
    if _PLACE_Q.search(text):
        return "place"
    return "other"


def is_speculation(text: str) -> bool:
    return any(p.search(text) for p in _SPECULATION)


_UNIT = re.compile(r"\b(?:how\s+many|number\s+of)\s+((?:[^\W\d_]+['’]?s?\s*){1,3})", re.I)


def _part(text: str) -> Part:
    # What is counted: the words after "how many" ("additional men", "Wagner personnel",
    # "fighters or personnel"), any of which a figure in the answer must count.
    found = _UNIT.search(text)
    units = tuple(
        stem(w)
        for w in (found.group(1).split() if found else ())
        if w.lower() not in STOPWORDS | {"and/or"}
    )
    return Part(
        text=text,
        answer_type=answer_type(text),
        scope=tuple(dict.fromkeys(stem(t) for t in capitalised_terms(text))),
        content=tuple(dict.fromkeys(content_tokens(text))),
        negated=bool(_NEGATION.search(text)),
        units=units,
        presupposes=bool(_WHY_Q.search(text)),
        compares_sources=bool(_SOURCES_Q.search(text)),
    )


def split_parts(text: str) -> list[str]:
    pieces = [p.strip(" ,;?") for p in _PART_SPLIT.split(text)]
    pieces = [p for p in pieces if len(content_tokens(p)) >= 1]
    return pieces or [text.strip()]


def _history_context(history: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The latest user turn (what the pronouns most likely point back to) and its names."""
    for role, content in reversed(history):
        if role == "user" and content.strip():
            return " ".join(content.split())[:500], capitalised_terms(content)[:8]
    return "", []


def analyse(text: str, history: list[tuple[str, str]] | None = None) -> Question:
    text = " ".join(text.split())
    context: list[str] = []
    search_text = text
    if history and _ANAPHOR.search(text):
        previous, names = _history_context(history)
        own = {t.lower() for t in capitalised_terms(text)}
        context = [t for t in names if t.lower() not in own]
        if previous:
            search_text = f"{text} ({previous})"
    parts = [_part(p) for p in split_parts(text)]
    return Question(
        text=text,
        search_text=search_text,
        parts=tuple(parts),
        speculation=is_speculation(text),
        context_terms=tuple(dict.fromkeys(stem(t) for t in context)),
    )
