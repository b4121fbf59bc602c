"""The checks that hold on any corpus, each with the decline it leads to.

- Off the subject (`out_of_scope`): nothing in the corpus is near the question in meaning, or
  the question's words are not found together in any passage that came up.
- A figure question is answered only by a sentence that states a figure (the verifier's own
  definition of a number, `app.text.figures`).
- A named place, time, group or person must be found with the evidence: in the sentence, its
  paragraph, its source's title, or the words its source is about ("a figure for another town
  is not an answer").

Whether an eligible sentence answers is the reader's decision, not these rules'.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from app.index import PassageIndex
from app.nlp import parse
from app.question import Part, Question
from app.retrieve import Candidate
from app.text import covers, figures, stem, words

# Out of scope: nothing in the corpus is close in meaning, or (below WEAK) the question's words
# are not found together in a passage that came up. Set on the development questions.
OFF_TOPIC_COSINE = 0.22
WEAK_TOPIC_COSINE = 0.38
WEAK_TOPIC_COVERAGE = 0.5
_DOTTED = re.compile(r"\b((?:[A-Za-z]\.){2,})")
# A word in this many paragraphs of a source is what the source is about: its subject is not
# repeated in every paragraph ("around half of the prisoners ..." in a report on Wagner).
TOPIC_PARAGRAPHS = 3


def vocabulary(text: str) -> frozenset[str]:
    """The text's words as the scope check compares them: stemmed, dotted initials joined
    ("U.S." is "us")."""
    joined = _DOTTED.sub(lambda m: m.group(1).replace(".", "") + " ", text)
    return frozenset(stem(w) for w in words(joined))


def name_found(name: tuple[str, ...], vocab: frozenset[str]) -> bool:
    """Every word of the name is found; a longer name may lack one word after its first ("the
    Wagner Group" is found as "Wagner"; "North Korea" is not found as "Korea"), unless that word
    is a number ("April 12" is not found as "April")."""
    missing = [i for i, w in enumerate(name) if not covers(w, vocab)]
    last = len(name) - 1
    return not missing or (last > 0 and missing == [last] and not name[last].isdigit())


class Evidence:
    """Per-passage word sets, computed once per passage and kept for the process."""

    def __init__(self, index: PassageIndex) -> None:
        self.index = index

    @lru_cache(maxsize=200_000)  # noqa: B019 - one Evidence per index, alive as long as it
    def sentence(self, position: int) -> frozenset[str]:
        return vocabulary(self.index.passages[position].text)

    @lru_cache(maxsize=200_000)  # noqa: B019
    def context(self, position: int) -> frozenset[str]:
        """The sentence, its paragraph, its source's title and what its source is about."""
        p = self.index.passages[position]
        title = self.index.sources[p.source_id].title
        return (
            vocabulary(p.paragraph + " " + title)
            | self.sentence(position)
            | self.topic(p.source_id)
        )

    @lru_cache(maxsize=100_000)  # noqa: B019
    def topic(self, source_id: str) -> frozenset[str]:
        """The words in several paragraphs of a source: what it is about."""
        seen: dict[str, int] = {}
        paragraphs = {p.para_start: p.paragraph for p in self.index.passages_of(source_id)}
        for paragraph in paragraphs.values():
            for w in vocabulary(paragraph):
                seen[w] = seen.get(w, 0) + 1
        return frozenset(w for w, n in seen.items() if n >= TOPIC_PARAGRAPHS)

    @lru_cache(maxsize=200_000)  # noqa: B019
    def states_figure(self, position: int) -> bool:
        return bool(figures(self.index.passages[position].text))


def not_a_heading(part: Part, q: Question, evidence: Evidence, position: int) -> bool:
    """A headline or a label is never the answer: the body sentence that carries its figure also
    carries the attribution."""
    return not evidence.index.passages[position].heading


def figure_stated(part: Part, q: Question, evidence: Evidence, position: int) -> bool:
    """A figure question is answered only by a sentence that states a figure."""
    return not part.wants_figure or evidence.states_figure(position)


def scope_in(part: Part, vocab: frozenset[str]) -> bool:
    """Every name the part is scoped to is found in the words, and one of each group of names it
    coordinates."""
    return all(name_found(n, vocab) for n in part.scope) and all(
        any(name_found(n, vocab) for n in group) for group in part.either
    )


def scope_found(part: Part, q: Question, evidence: Evidence, position: int) -> bool:
    """Every place, date, group or person the part names is found with the sentence (in it, its
    paragraph, its title, or what its source is about); of names it coordinates ("Haldor or
    Brennmark", "between Thursday and Saturday"), one: a comparison is answered one sentence for
    each."""
    return scope_in(part, evidence.context(position))


Check = Callable[[Part, Question, Evidence, int], bool]
CHECKS: dict[str, Check] = {
    "headline": not_a_heading,
    "figure": figure_stated,
    "named scope": scope_found,
}


def eligible(part: Part, q: Question, evidence: Evidence, position: int) -> bool:
    """May the reader's verdict on this sentence answer the part? Every check passes."""
    return all(check(part, q, evidence, position) for check in CHECKS.values())


def names_scope(part: Part, evidence: Evidence, position: int) -> bool:
    """Does the sentence itself name everything the part is scoped to? Such a sentence is the
    most useful related evidence when the answer is declined."""
    sent = evidence.sentence(position)
    return bool(part.scope or part.either) and scope_in(part, sent)


def _content(text: str) -> list[str]:
    doc = parse(text)
    return [stem(t.text) for t in doc if t.is_alpha and not t.is_stop and t.pos_ != "AUX"]


def off_topic(q: Question, whole: list[Candidate], evidence: Evidence) -> bool:
    """Is the question about something the corpus does not cover? A follow-up in a conversation
    the corpus already answered is on the subject."""
    if q.previous:
        return False
    best = max((c.cosine for c in whole), default=0.0)
    if best < OFF_TOPIC_COSINE:
        return True
    terms = list(dict.fromkeys(_content(q.text)))
    if not terms:
        return False
    bm25 = evidence.index.bm25
    # Another language than the corpus's: no English stop word, and most of its words are used
    # nowhere in the corpus.
    if not any(t.is_stop for t in parse(q.text)) and 2 * sum(
        not bm25.knows(t) for t in terms
    ) > len(terms):
        return True
    # On the subject: the question's words, weighted by rarity, found together in one passage
    # that came up (its sentence, paragraph or title).
    weight = {t: bm25.term_idf(t) for t in terms}
    total = sum(weight.values()) or 1.0
    covered = max(
        (
            sum(w for t, w in weight.items() if covers(t, evidence.context(c.position)))
            for c in whole
        ),
        default=0.0,
    )
    if covered / total >= WEAK_TOPIC_COVERAGE:
        return False
    # Nearness counts only in a sentence that shares a word with the question: in a large corpus
    # some sentence always lies near any question in embedding space.
    anchored = max(
        (c.cosine for c in whole if any(covers(t, evidence.sentence(c.position)) for t in terms)),
        default=0.0,
    )
    return anchored < WEAK_TOPIC_COSINE
