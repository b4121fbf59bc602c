"""Question analysis, once per question, on spaCy's parse (app/nlp.py): its parts, whether a part
asks for a figure, the names it is scoped to, and what a pronoun points back to.

Nothing here knows the corpus, and nothing decides whether evidence answers: the reader does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from app.nlp import SCOPE_LABELS, parse
from app.policy import is_speculation, is_task
from app.text import stem

# Nouns that make "what is the ___" a request for a figure. Product policy: the contract's
# figure questions ("a casualty, personnel or other figure").
FIGURE_NOUNS = frozenset(
    "number percentage percent proportion share amount total toll figure rate cost price sum "
    "count fraction budget salary".split()
)
# Nouns that make a question about the sources themselves: it is answered by each source's words
# side by side (contract invariant 5).
SOURCE_NOUNS = frozenset("source report article account outlet".split())
AGREEMENT_VERBS = frozenset("agree differ disagree conflict".split())
WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})


@dataclass(frozen=True)
class Part:
    """One question (a multi-part question has several)."""

    text: str
    wants_figure: bool
    # The names the answer must be about: each a tuple of stemmed words that must all be found
    # with the evidence (its sentence, paragraph or title). Places, dates, groups, people.
    scope: tuple[tuple[str, ...], ...]
    compares_sources: bool = False  # "do the sources agree", "what do the reports say"
    only_agreement: bool = False  # "... and do the sources agree?": answered by the framing
    refers_back: bool = False  # a pronoun that points to an earlier part or turn


@dataclass(frozen=True)
class Question:
    text: str
    search_text: str  # the question with the turn its pronouns point back to, for retrieval
    parts: tuple[Part, ...]
    speculation: bool
    task: bool = False  # "translate ...", "write code ...": a task no corpus answers
    # Names in the conversation's last question that a pronoun may stand for.
    referents: tuple[tuple[str, ...], ...] = field(default=())
    previous: str = ""  # the conversation's last question, when the question points back to it


def name_words(span: Any) -> tuple[str, ...]:
    """The words of an entity that must be found for it: its proper nouns and numbers (a
    people's adjective too), stemmed, without dots ("U.S." is "us")."""
    keep = [
        t
        for t in span
        if t.pos_ in ("PROPN", "NUM") or t.like_num or (span.label_ == "NORP" and t.is_alpha)
    ]
    return tuple(dict.fromkeys(stem(t.text.replace(".", "")) for t in keep if t.text.strip(".")))


def scope_of(doc: Any) -> tuple[tuple[str, ...], ...]:
    """A person is found by their surname ("Kirby" for "John Kirby")."""
    names = [
        name_words(e)[-1:] if e.label_ == "PERSON" else name_words(e)
        for e in doc.ents
        if e.label_ in SCOPE_LABELS
    ]
    return tuple(dict.fromkeys(n for n in names if n))


def wants_figure(doc: Any) -> bool:
    """A degree asked with "how" ("how many", "how long", "how old"); or a number, share,
    toll ... that is what a wh-question asks for (its subject or object, not "about the toll")."""
    for t in doc:
        if t.lower_ == "how" and t.i + 1 < len(doc) and doc[t.i + 1].pos_ in ("ADJ", "ADV"):
            return bool(doc[t.i + 1].lower_ != "come")
        if (
            t.lemma_.lower() in FIGURE_NOUNS
            and t.pos_ == "NOUN"
            and t.dep_ in ("nsubj", "nsubjpass", "attr", "dobj", "ROOT")
            and any(w.tag_ in WH_TAGS for w in doc[: t.i])
        ):
            return True
    return False


def compares_sources(doc: Any) -> bool:
    return any(
        (t.lemma_.lower() in SOURCE_NOUNS and t.tag_ == "NNS")
        or t.lemma_.lower() in AGREEMENT_VERBS
        for t in doc
    )


def asks_only_agreement(doc: Any) -> bool:
    """Does the part only ask whether the sources agree ("do the sources agree on its size?"),
    which the framing of the answer to the other parts says?"""
    return any(
        t.dep_ == "ROOT"
        and t.lemma_.lower() in AGREEMENT_VERBS
        and any(
            c.dep_ == "nsubj" and (c.lemma_.lower() in SOURCE_NOUNS or c.pos_ == "PRON")
            for c in t.children
        )
        for t in doc
    )


def split_parts(doc: Any) -> list[str]:
    """A question of several questions: split after a "?" that more text follows, and before an
    "and"/"but" that opens a new question ("..., and what were they?")."""
    cuts = [0]
    for t in doc:
        if t.text == "?" and t.i + 1 < len(doc):
            cuts.append(t.i + 1)
        elif (
            t.pos_ == "CCONJ"
            and t.i + 1 < len(doc)
            and (doc[t.i + 1].tag_ in WH_TAGS or (doc[t.i + 1].pos_ == "AUX" and t.i > 2))
            and t.i > 2
        ):
            cuts.append(t.i)
    cuts.append(len(doc))
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        span = doc[a:b]
        if span and span[0].pos_ == "CCONJ":
            span = span[1:]
        text = span.text.strip(" ,;?")
        if any(t.is_alpha and t.tag_ not in WH_TAGS for t in span):
            pieces.append(text)
    return pieces or [doc.text.strip()]


def refers_back(doc: Any) -> bool:
    return any(
        (t.pos_ == "PRON" and "Prs" in t.morph.get("PronType") and "3" in t.morph.get("Person"))
        or (t.lower_ in ("that", "this", "these", "those") and t.dep_ == "det")
        or (t.lower_ == "there" and t.dep_ == "advmod")
        for t in doc
    )


def _part(text: str) -> Part:
    doc = parse(text)
    return Part(
        text=text,
        wants_figure=wants_figure(doc),
        scope=scope_of(doc),
        compares_sources=compares_sources(doc),
        only_agreement=asks_only_agreement(doc),
        refers_back=refers_back(doc),
    )


def last_question(history: list[tuple[str, str]]) -> str:
    for role, content in reversed(history):
        if role == "user" and content.strip():
            return " ".join(content.split())[:500]
    return ""


def analyse(text: str, history: list[tuple[str, str]] | None = None) -> Question:
    text = " ".join(text.split())
    doc = parse(text)
    parts = [_part(p) for p in split_parts(doc)]
    if len(parts) == 1 and parts[0].only_agreement:
        # "Do the sources agree on the toll?" alone asks for the toll from each source.
        parts = [replace(parts[0], only_agreement=False)]
    previous = last_question(history or [])
    points_back = bool(previous) and refers_back(doc)
    return Question(
        text=text,
        search_text=f"{text} ({previous})" if points_back else text,
        parts=tuple(parts),
        speculation=is_speculation(text),
        task=is_task(text),
        referents=scope_of(parse(previous)) if points_back else (),
        previous=previous if points_back else "",
    )
