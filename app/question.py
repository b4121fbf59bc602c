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
    # Names the part coordinates ("in Haldor or Brennmark", "between Thursday and Saturday"):
    # each group is a comparison, and a sentence about any one of its names may answer.
    either: tuple[tuple[tuple[str, ...], ...], ...] = ()
    # The part as asked of each name of its first group alone ("Where is Haldor ...?"), in the
    # group's order: what the reader reads with a sentence about that name. Empty when the
    # names cannot be cut apart cleanly.
    each: tuple[str, ...] = ()
    # "the company that built the tanker": a thing the part names only by a relative clause,
    # as character offsets in `text`; the first step of a question whose answer takes two.
    described: tuple[int, int] | None = None


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
    required, either = scoped(doc)
    return tuple(dict.fromkeys([*required, *(n for group in either for n in group)]))


def _pieces(ent: Any) -> list[Any]:
    """An entity split at its coordinating words ("between Thursday and Saturday")."""
    cuts = [t.i for t in ent if t.dep_ == "cc"]
    bounds = [ent.start, *cuts, ent.end]
    doc = ent.doc
    return [doc[a + (a in cuts) : b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def coordination(token: Any) -> int | None:
    """The first conjunct of the coordination a name stands in, a few steps up the parse
    ("Vask" in "in Heldrin and in Vask" stands in the one "in Heldrin" starts); None when the
    name is not coordinated. Only names are coordinated: a coordination of verbs or clauses
    ("died in Tarvik on Monday and were injured ...") is not a comparison of its names."""
    t = token
    for _ in range(4):
        if t.pos_ in ("VERB", "AUX"):
            return None
        if t.dep_ == "conj" or any(c.dep_ == "conj" for c in t.children):
            while t.dep_ == "conj" and t.head is not t:
                t = t.head
            return int(t.i)
        if t.head is t:
            return None
        t = t.head
    return None


Names = tuple[tuple[str, ...], ...]


def asked_of_each(doc: Any, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """The text once per coordinated name, the others cut out with the "and" or "or" (and a
    comma) beside them: "Where are A and B based" -> "Where are A based", "Where are B
    based". Empty unless every other name has its coordinating word right beside it."""
    out = []
    for keep in range(len(spans)):
        cut: set[int] = set()
        for j, (a, b) in enumerate(spans):
            if j == keep:
                continue
            before = doc[a - 1] if a > 0 else None
            after = doc[b] if b < len(doc) else None
            if before is not None and before.dep_ == "cc":
                cut |= set(range(a - 1, b))
                if a > 1 and doc[a - 2].text == ",":
                    cut.add(a - 2)
            elif after is not None and after.dep_ == "cc":
                cut |= set(range(a, b + 1))
            else:
                return ()
        out.append("".join(t.text_with_ws for t in doc if t.i not in cut).strip())
    return tuple(out)


def _names(doc: Any) -> list[tuple[tuple[str, ...], int | None, tuple[int, int]]]:
    """Each name the text scopes itself to: its words, the coordination it stands in, its
    tokens."""
    found = []
    for ent in doc.ents:
        if ent.label_ not in SCOPE_LABELS:
            continue
        pieces = [p for p in _pieces(ent) if len(p)]
        for piece in pieces:
            words = name_words(piece) if ent.label_ != "PERSON" else name_words(piece)[-1:]
            # The pieces of one entity are coordinated with each other.
            anchor = ent.start if len(pieces) > 1 else coordination(piece.root)
            if words:
                found.append((words, anchor, (piece.start, piece.end)))
    return found


def scoped(doc: Any) -> tuple[Names, tuple[Names, ...]]:
    """The names every answering sentence must be found with, and the groups of coordinated
    names of which any one will do (a comparison is answered one sentence for each)."""
    found = _names(doc)
    groups: dict[int, list[tuple[str, ...]]] = {}
    for words, anchor, _ in found:
        if anchor is not None:
            groups.setdefault(anchor, []).append(words)
    either = tuple(tuple(dict.fromkeys(g)) for g in groups.values() if len(set(g)) > 1)
    grouped = {n for g in either for n in g}
    required = tuple(dict.fromkeys(w for w, _, _ in found if w not in grouped))
    return required, either


def each_name(doc: Any, either: tuple[Names, ...]) -> tuple[str, ...]:
    """The part asked of each name of its first coordinated group (`asked_of_each`)."""
    if not either:
        return ()
    spans = {w: span for w, _, span in _names(doc)}
    if any(name not in spans for name in either[0]):
        return ()
    return asked_of_each(doc, [spans[name] for name in either[0]])


# Entity labels that are the kind of thing an answer states, not a name a second search follows.
NOT_BRIDGES = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})


def names_added(sentence: str, question: str) -> dict[str, tuple[str, ...]]:
    """The names a sentence adds to a question (its entities none of whose words the question
    uses), in the sentence's order, each with the words that must be found for it: where a
    second search goes when the answer takes two sentences ("Lena Marr taught at Korvane
    University" for "In which city is the university where Lena Marr taught?" adds "Korvane
    University")."""
    asked = {stem(t.text.replace(".", "")) for t in parse(question) if t.is_alpha or t.like_num}
    added: dict[str, tuple[str, ...]] = {}
    for ent in parse(sentence).ents:
        words = name_words(ent) if ent.label_ not in NOT_BRIDGES else ()
        if words and not any(w in asked for w in words):
            added.setdefault(ent.text, words)
    return added


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


def described(doc: Any) -> tuple[int, int] | None:
    """The widest noun phrase that a relative clause describes ("the company that built the
    tanker" in "In which city is the company that built the tanker based?"), from the noun's
    first word to the clause's last; None when the question names things only directly."""
    spans = [
        (t.head.left_edge.idx, t.right_edge.idx + len(t.right_edge))
        for t in doc
        if t.dep_ == "relcl" and t.head.pos_ in ("NOUN", "PROPN") and t.head.i < t.i
    ]
    return max(spans, key=lambda s: s[1] - s[0], default=None)


def _part(text: str) -> Part:
    doc = parse(text)
    required, either = scoped(doc)
    return Part(
        text=text,
        wants_figure=wants_figure(doc),
        scope=required,
        either=either,
        each=each_name(doc, either),
        compares_sources=compares_sources(doc),
        only_agreement=asks_only_agreement(doc),
        refers_back=refers_back(doc),
        described=described(doc),
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
