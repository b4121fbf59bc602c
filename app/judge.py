"""Judge the evidence: does a retrieved sentence answer the question, or only relate to it?

Two layers. Hard rules that hold for any corpus: a figure question is answered only by a
sentence that states a figure of the asked kind, for the scope the question names (its names,
places and years must appear in the sentence, its paragraph or its source's title); a date,
person or place question needs a date, or a name the question does not already give. Then a
logistic ranker over cheap features (dense similarity, BM25, coverage of the question's words,
answer-type match, negation) rates each eligible sentence; the reader (app/reader.py) reads the
best one with the question; and a logistic gate over all of it says whether to answer. Both
models are trained on the development split of an outside benchmark by `evals/train_judge.py`
and ship as `app/judge_model.json`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.index import PassageIndex
from app.lexical import TermStats
from app.passages import Passage
from app.question import Part, initialisms
from app.retrieve import Candidate
from app.text import (
    DURATION_FIGURE,
    FUNCTION_WORDS,
    MEASURE_UNITS,
    MONEY,
    NUMBER_WORDS,
    PERCENT,
    SAME_EVENT,
    SUPERLATIVE,
    YEAR_DIGITS,
    content_tokens,
    covers,
    equivalent_terms,
    has_count,
    opposite_swapped,
    owned_elsewhere,
    stem,
    verb_stem,
    words,
)

MODEL_PATH = Path(__file__).with_name("judge_model.json")
TOPIC_PARAGRAPHS = 3  # a word in this many paragraphs of a source is what the source is about
FEATURES = (
    "cosine",
    "cosine_gap",
    "bm25",
    "fused_rank",
    "coverage_sentence",
    "coverage_paragraph",
    "scope_share",
    "type_match",
    "novelty",
    "heading",
    "negation_mismatch",
    "log_length",
    "figure_question",
    "typed_question",
    "missing_rare",
    "bigram_coverage",
    "missing_rare_sentence",
    "missing_share_sentence",
    "unit_covered",
    "event_said",
    "speaker_attributed",
)
# The answerability gate sees a sentence's features, how the ranker rated it, and what the reader
# (app/reader.py) made of the ranker's best eligible sentence.
GATE_FEATURES = (*FEATURES, "rank_probability", "rank_margin", "reader")
ReadFn = Callable[[list[Passage]], np.ndarray]
_DATEISH = re.compile(
    r"(?-i:\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b)|"  # written with its capital: "may" and "march" are verbs
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|ago|earlier|"
    r"last\s+(?:week|month|year)|spring|summer|fall|autumn|winter|century|centuries|decades?|"
    r"morning|afternoon|evening|night|midnight|noon|dawn|dusk|daily|weekly|monthly|yearly|"
    r"annually|(?:every|each)\s+(?:\w+\s+)?(?:years?|months?|weeks?|days?))\b",
    re.I,
)
_MONTH = r"(?-i:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*)"
# A figure that can say when: a year or decade ("1820", "the 1960s", "the 60s", "in 911"), a day
# of a month ("12 May", "May 12"), a clock time ("10:30", "3 pm"), a span from then ("3 years
# after"), an era ("AD 79"); not a count ("5,000 people").
_DATE_FIGURE = re.compile(
    r"(?<![\d,.])\b" + YEAR_DIGITS + r"s?\b(?![,.]\d)|\b[1-9]0[’']?s\b"
    r"|\b(?:in|by|since|until|from|after|before|c\.)\s+\d{3}s?\b(?![,.]\d)"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b|\b" + _MONTH + r"\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)"
    r"|\b\d+(?:st|nd|rd|th)?\s+(?:years?|months?|weeks?|days?|hours?|centur(?:y|ies)|decades?)\b"
    r"|\b(?:ad|bc|bce|ce)\s*\d|\d\s*(?:ad|bc|bce|ce)\b",
    re.I,
)
_NEG = re.compile(r"\b(?:not|no|never|without|none|neither|nor)\b|n[’']t\b", re.I)
# Words that deny or contradict what a "why" question takes as given.
_CONTRADICTS = re.compile(
    r"\b(?:not|no|never|neither|nor|denied|denies|deny|denying|rejected|dismissed|refused)\b"
    r"|n[’']t\b",
    re.I,
)


_WHERE = re.compile(r"\bwhere\b", re.I)
_LOCATED = re.compile(
    r"\b(?:in|at|from|to|into|across|throughout|near|within|outside|inside|toward|towards|"
    r"between|through|around|of)\s+(?:the\s+|northern\s+|southern\s+|eastern\s+|western\s+|"
    r"central\s+)?([A-Z][^\W\d_]+)"
)


@dataclass(frozen=True)
class Judged:
    candidate: Candidate
    passage: Passage
    eligible: bool  # passes the hard rules for the question's answer type and scope
    rank_probability: float  # the ranker's belief that this sentence holds the answer
    probability: float  # the gate's belief that quoting it answers the question


@dataclass(frozen=True)
class Linear:
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Linear:
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),  # type: ignore[arg-type]
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
        )

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True)
class JudgeModel:
    ranker: Linear  # which sentence holds the answer
    gate: Linear  # does the best sentence answer the question at all
    threshold: float

    @classmethod
    def untrained(cls) -> JudgeModel:
        """Zero weights over the current features: for computing features before any training."""
        zero = Linear(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)))
        n = len(GATE_FEATURES)
        return cls(zero, Linear(np.zeros(n), 0.0, np.zeros(n), np.ones(n)), 0.5)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> JudgeModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES or tuple(data["gate_features"]) != GATE_FEATURES:
            raise ValueError(f"{path}: trained on other features; rerun evals/train_judge.py")
        return cls(
            Linear.from_json(data["ranker"]),
            Linear.from_json(data["gate"]),
            float(data["threshold"]),
        )


def best_eligible(rank_probs: np.ndarray, eligible: list[bool]) -> int | None:
    """The ranker's best eligible candidate: the one the reader reads."""
    ok = [i for i, e in enumerate(eligible) if e]
    return max(ok, key=lambda i: (rank_probs[i], -i)) if ok else None


def gate_rows(
    x: np.ndarray, rank_probs: np.ndarray, eligible: list[bool], reader: float
) -> np.ndarray:
    """Each candidate's features, its ranker probability and margin over the best other, and
    the reader's logit for the ranker's best eligible sentence (whether the question is answered
    at all is the same question for every candidate)."""
    if not len(x):
        return np.zeros((0, len(GATE_FEATURES)))
    ok = np.asarray(eligible, dtype=bool)
    margins = np.zeros(len(rank_probs))
    for i in range(len(rank_probs)):
        others = ok & (np.arange(len(rank_probs)) != i)
        margins[i] = rank_probs[i] - (rank_probs[others].max() if others.any() else 0.0)
    return np.column_stack([x, rank_probs, margins, np.full(len(x), reader)])


class Evidence:
    """Per-passage word sets, computed once per passage and kept for the process."""

    def __init__(self, index: PassageIndex) -> None:
        self.index = index

    @lru_cache(maxsize=200_000)  # noqa: B019 - one Evidence per index, alive as long as it
    def sentence_terms(self, position: int) -> frozenset[str]:
        text = self.index.passages[position].text
        return frozenset(stem(w) for w in words(text)) | equivalent_terms(text)

    @lru_cache(maxsize=200_000)  # noqa: B019
    def context_terms(self, position: int) -> frozenset[str]:
        p = self.index.passages[position]
        title = self.index.sources[p.source_id].title
        text = p.paragraph + " " + title
        return frozenset(stem(w) for w in words(text)) | equivalent_terms(text)

    @lru_cache(maxsize=200_000)  # noqa: B019
    def leading_terms(self, position: int) -> frozenset[str]:
        """The paragraph up to the end of the sentence, and the title: what the sentence can be
        about (a pronoun points back; a name only later in the paragraph is another topic)."""
        p = self.index.passages[position]
        title = self.index.sources[p.source_id].title
        lead = p.paragraph[: max(0, p.end - p.para_start)]
        text = lead + " " + title
        return frozenset(stem(w) for w in words(text)) | equivalent_terms(text)

    @lru_cache(maxsize=100_000)  # noqa: B019
    def topic_terms(self, source_id: str) -> frozenset[str]:
        """What a whole source is about: its title's words and words in several paragraphs."""
        paragraphs = {p.para_start: p.paragraph for p in self.index.passages_of(source_id)}
        seen: dict[str, set[int]] = {}
        for start, paragraph in paragraphs.items():  # each paragraph once, not once per sentence
            for w in words(paragraph):
                seen.setdefault(stem(w), set()).add(start)
        title = {stem(w) for w in words(self.index.sources[source_id].title)}
        return frozenset(title | {t for t, paras in seen.items() if len(paras) >= TOPIC_PARAGRAPHS})

    def says(self, position: int, term: str) -> bool:
        """Is the word in the passage's sentence, paragraph, title or what its source is about?
        (Looked up in each: a large source's topic is thousands of words, too many to join per
        candidate.)"""
        return (
            term in self.sentence_terms(position)
            or term in self.context_terms(position)
            or term in self.topic_terms(self.index.passages[position].source_id)
        )

    @lru_cache(maxsize=200_000)  # noqa: B019
    def sentence_verbs(self, position: int) -> frozenset[str]:
        return frozenset(verb_stem(w) for w in words(self.index.passages[position].text))

    @lru_cache(maxsize=200_000)  # noqa: B019
    def context_verbs(self, position: int) -> frozenset[str]:
        p = self.index.passages[position]
        return frozenset(verb_stem(w) for w in words(p.paragraph)) | self.sentence_verbs(position)

    @lru_cache(maxsize=200_000)  # noqa: B019
    def initials(self, position: int) -> frozenset[str]:
        """Initials of the multi-word names in the paragraph and title ("Ministry of Defence"
        -> "mod"), so a question that writes the short form finds the long one."""
        p = self.index.passages[position]
        title = self.index.sources[p.source_id].title
        return frozenset(k for k, _ in initialisms(p.paragraph + ". " + title))

    @lru_cache(maxsize=200_000)  # noqa: B019
    def names(self, position: int) -> frozenset[str]:
        return frozenset(
            stem(w)
            for w in words(self.index.passages[position].text)
            if w[0].isupper() and w.lower() not in FUNCTION_WORDS
        )


UNIT_WINDOW = 5  # "40,000 of whom may be convicts": the counted noun follows within five words


# What happened to the counted: "1,000 fighters *have been killed*", "40 firefighters of the
# brigade were *injured*".
EVENT_WINDOW = 6
_EVENTS = frozenset().union(*SAME_EVENT)
_EVENT_NOUNS = _EVENTS | {"casualti", "victim"}  # a count of these is a count of an event


def counts_unit(text: str, units: tuple[str, ...], asks_event: bool = True) -> bool:
    """Is one of the units what a figure in the sentence counts ("about 50,000 *personnel*")?
    When the question names nothing that happened to them ("how many fighters does it have"),
    a count of them that something happened to ("1,000 fighters have been *killed*") is not
    the count asked for."""
    raw = words(text)
    toks = [stem(w) for w in raw]
    figure = [t[:1].isdigit() or t in NUMBER_WORDS for t in toks]
    check_event = not asks_event and not any(covers(u, _EVENT_NOUNS) for u in units)
    for i in range(len(toks)):
        if not figure[i]:
            continue
        if check_event and i and toks[i - 1] in ("these", "those"):
            continue  # "these 1,000 fighters": the count already given, with what happened
        for j in range(i + 1, min(i + 1 + UNIT_WINDOW, len(toks))):
            if check_event and figure[j]:
                break  # "90% of these 1,000 fighters": the next figure is what counts them
            if any(covers(u, (toks[j],)) for u in units):
                after = frozenset(verb_stem(w) for w in raw[j + 1 : j + 1 + EVENT_WINDOW])
                if not check_event or not any(covers(e, after) for e in _EVENTS):
                    return True
                break
    return False


def _event_words(predicate: tuple[str, ...]) -> frozenset[str]:
    """The predicate's words and the words for the same kind of event ("died", "killed")."""
    out = set(predicate)
    for group in SAME_EVENT:
        if out & group:
            out |= group
    return frozenset(out)


def says_what_happened(part: Part, evidence: Evidence, position: int) -> bool:
    """Does the sentence say what the question says happened? A count of fighters killed does
    not answer "how many were wounded"; "X recruits on billboards" does not answer "why did X
    stop advertising on billboards"."""
    if not part.predicate:
        return True
    if part.answer_type in ("count", "money"):
        said = evidence.sentence_verbs(position)
        return any(covers(w, said) for w in _event_words(part.predicate))
    if part.presupposes:
        said = evidence.context_verbs(position)
        return all(covers(w, said) for w in part.predicate)
    return True


_REPORTED = re.compile(
    r"\b(?:said|says|say|told|tells|stated|states|claimed|claims|added|noted|wrote|warned|"
    r"argued|estimated|estimates|believes|predicted|predicts|forecast|forecasted|announced|"
    r"insisted|denied)\b|\baccording\s+to\b",
    re.I,
)


def attributed_to(text: str, speaker: frozenset[str]) -> bool:
    """Is the sentence in the speaker's words: "Kirby said", "said John Kirby", "according to
    Kirby", or the speaker as the subject of a sentence that reports ("The Institute for the
    Study of War (ISW), a policy research organization, predicted")? A sentence where someone
    else answers the speaker is not."""
    if not speaker:
        return False
    spans = [(m.start(), m.group(0)) for m in re.finditer(r"[^\W\d_]+(?:['’][^\W\d_]+)*", text)]
    verbs = list(_REPORTED.finditer(text))
    for verb in verbs:
        before = [w for at, w in spans if at < verb.start()][-2:]
        after = [w for at, w in spans if at >= verb.end()][:3]
        near = [w for w in before + after if w[0].isupper()]
        if any(stem(w) in speaker for w in near):
            return True
    # The sentence's subject: its first run of names (linking words allowed inside).
    subject: list[str] = []
    for _, w in spans:
        if w[0].isupper() or (subject and w.lower() in ("of", "for", "the", "and")):
            subject.append(w)
        elif subject or w.lower() not in ("the", "a", "an"):
            break
    return bool(verbs) and any(stem(w) in speaker for w in subject)


def asked_speaker(part: Part, context_terms: tuple[str, ...]) -> frozenset[str]:
    """Whose words the question asks for, by name or by the short form of their name ("the MPH
    said" for the Ministry of Public Health); "he" is the name the history gives."""
    speaker = frozenset(part.speaker or (context_terms if part.speaker_pronoun else ()))
    return speaker | {letters for letters, named in part.initialisms if speaker.issuperset(named)}


def scope_in_context(part: Part, evidence: Evidence, position: int) -> bool:
    """Do the sentence and its paragraph name everything the question is scoped to?"""
    ctx = evidence.context_terms(position) | evidence.sentence_terms(position)
    return bool(part.scope) and all(covers(t, ctx) for t in part.scope)


def names_scope(part: Part, evidence: Evidence, position: int) -> bool:
    """Does the sentence itself name everything the question is scoped to (its place, year,
    group)? Such a sentence is the most useful related evidence when the answer is declined."""
    sent = evidence.sentence_terms(position)
    return bool(part.scope) and all(covers(t, sent) for t in part.scope)


def contradicts(part: Part, passage: Passage) -> bool:
    """Does the sentence deny what the question takes as given?"""
    return part.presupposes and not part.negated and bool(_CONTRADICTS.search(passage.text))


def premise_denied(part: Part, judged: list[Judged]) -> bool:
    """The sentence most likely about the question's premise denies it: "Why did the government
    pay?" against "Wagner, not the Russian government, paid"."""
    if not part.presupposes or not judged:
        return False
    top = max(judged, key=lambda j: j.rank_probability)
    return contradicts(part, top.passage)


def type_match(part: Part, passage: Passage, names: frozenset[str]) -> bool:
    text = passage.text
    kind = part.answer_type
    if kind == "count":
        if part.measure is not None:  # "at what temperature": a figure with its unit
            return bool(MEASURE_UNITS[part.measure].search(text))
        return has_count(text)
    if kind == "money":
        return bool(MONEY.search(text))
    if kind == "percent":
        return bool(PERCENT.search(text))
    if kind == "duration":
        return bool(DURATION_FIGURE.search(text))
    if kind == "year":
        return bool(re.search(r"\b\d{3,4}s?\b", text))
    if kind == "date":
        return bool(_DATE_FIGURE.search(text) or _DATEISH.search(text))
    if kind == "place" and _WHERE.search(part.text):
        # "Where": a place is named after a word that locates, "in Africa", "from Africa to the
        # Middle East"; a name alone may be a person or a day. "Which country" is answered by
        # the country's name wherever it stands ("Sweden rationed gasoline").
        names = frozenset(stem(m.group(1)) for m in _LOCATED.finditer(text)) & names
    if kind in ("person", "place"):
        asked = set(part.scope)
        return any(not covers(n, frozenset(asked)) for n in names) if asked else bool(names)
    return True


def _weighted_share(terms: tuple[str, ...], vocabulary: frozenset[str], stats: TermStats) -> float:
    if not terms:
        return 1.0
    total = sum(stats.idf_of(t, 1.0) for t in terms)
    hit = sum(stats.idf_of(t, 1.0) for t in terms if covers(t, vocabulary))
    return hit / total if total else 0.0


def featurise(
    part: Part,
    candidates: list[Candidate],
    evidence: Evidence,
    context_terms: tuple[str, ...] = (),
    stats: TermStats | None = None,
) -> tuple[np.ndarray, list[bool]]:
    """One feature row per candidate, and whether it passes the hard rules. Word rarity comes
    from `stats` when the part was searched within the sources that name its scope (rarity
    there, as if they were the corpus), else from the whole corpus."""
    index = evidence.index
    rarity: TermStats = stats or index.bm25
    best_cos = max((c.cosine for c in candidates), default=0.0)
    max_idf = rarity.term_idf("\x00unseen")
    rows: list[list[float]] = []
    eligible: list[bool] = []
    q_terms = set(part.content)
    speaker = asked_speaker(part, context_terms)
    # What the question's pronouns stand for (from the conversation, or from an earlier part):
    # the evidence must be about it, not about something else that fits the words. One of its
    # names, as written ("northern" is not "North Korea").
    referents = tuple(dict.fromkeys(context_terms + part.follows))
    for rank, cand in enumerate(candidates):
        passage = index.passages[cand.position]
        sent = evidence.sentence_terms(cand.position)
        ctx = evidence.context_terms(cand.position) | sent | frozenset(context_terms)
        lead = evidence.leading_terms(cand.position) | sent | frozenset(context_terms)
        # A short form in the text stands for the long one the question writes: "MOD" for
        # "Ministry of Defence".
        for letters, named in part.initialisms:
            if letters in sent:
                sent |= frozenset(named)
            if letters in ctx:
                ctx |= frozenset(named)
            if letters in lead:
                lead |= frozenset(named)
        names = evidence.names(cand.position)
        # The scope may be covered by the sentence, its paragraph up to it, its title, or what
        # the whole source is about (its subject is not repeated in every paragraph). A place or
        # year mentioned once elsewhere in the source, or only later in the paragraph, does not
        # count: that is another scope.
        scope_terms = lead | evidence.topic_terms(passage.source_id)
        # ... and back: the question's "MOD" is the text's "Ministry of Defence".
        scope_terms |= frozenset(t for t in part.scope if t in evidence.initials(cand.position))
        scope_share = _weighted_share(part.scope, scope_terms, rarity)
        about_referent = not referents or any(evidence.says(cand.position, t) for t in referents)
        matched = type_match(part, passage, names)
        sent_content = content_tokens(passage.text)
        novelty = (
            sum(1 for t in sent_content if t not in q_terms) / len(sent_content)
            if sent_content
            else 0.0
        )
        neg_mismatch = float(part.negated != bool(_NEG.search(passage.text)))
        # The rarest question word that neither the sentence nor its context mentions: an
        # unanswerable question often names one thing the passage never does.
        missing = [rarity.idf_of(t, max_idf) for t in part.content if not covers(t, ctx)]
        missing_sent = [rarity.idf_of(t, max_idf) for t in part.content if not covers(t, sent)]
        bigrams = list(zip(part.content, part.content[1:], strict=False))
        sent_bigrams = set(zip(sent_content, sent_content[1:], strict=False))
        # A count of something else is not the count asked for ("how many prisons" is not
        # answered by a number of fighters).
        unit_ok = (
            part.answer_type != "count"
            or not part.units
            or counts_unit(passage.text, part.units, asks_event=bool(part.predicate))
        )
        event_said = says_what_happened(part, evidence, cand.position)
        rows.append(
            [
                cand.cosine,
                cand.cosine - best_cos,
                cand.bm25,
                1.0 / (1.0 + rank),
                _weighted_share(part.content, sent, rarity),
                _weighted_share(part.content, ctx, rarity),
                scope_share,
                float(matched),
                novelty,
                float(passage.heading),
                neg_mismatch,
                math.log1p(len(passage.text)),
                float(part.wants_figure),
                float(part.answer_type != "other"),
                max(missing, default=0.0) / max_idf,
                sum(1 for b in bigrams if b in sent_bigrams) / len(bigrams) if bigrams else 0.0,
                max(missing_sent, default=0.0) / max_idf,
                len(missing_sent) / len(part.content) if part.content else 0.0,
                float(unit_ok),
                float(event_said),
                float(attributed_to(passage.text, speaker)),
            ]
        )
        # Scope is a hard rule: a sentence about another place, year or group is not an answer
        # (a count for Syria does not answer a question about Mali), however similar it reads.
        scoped = scope_share >= 0.999
        # A headline is never the answer: the body sentence that carries its figure also carries
        # the attribution.
        # "Why did X do Y?" is not answered by a sentence that says X did not do Y: the premise
        # is contradicted, so the question is declined with that sentence as related evidence.
        premise_ok = not contradicts(part, passage)
        # Who/where/when questions: a name or a date alone does not answer; the sentence must
        # also say something the question asks about beyond its scope ("who *commands* ...").
        if part.answer_type in ("person", "place", "date", "year"):
            asked = [t for t in part.content if t not in part.scope]
            said = sent | evidence.sentence_verbs(cand.position)  # "fight": "fought"
            premise_ok = premise_ok and (not asked or any(covers(t, said) for t in asked))
        premise_ok = premise_ok and event_said and not opposite_swapped(part.text, passage.text)
        # "The capital of France" is not answered by "New France's capital".
        premise_ok = premise_ok and not owned_elsewhere(part.owned, passage.text)
        # "The tallest mountain": a sentence that ranks nothing does not say which is tallest.
        premise_ok = premise_ok and (not part.superlative or bool(SUPERLATIVE.search(passage.text)))
        eligible.append(
            matched and scoped and unit_ok and premise_ok and about_referent and not passage.heading
        )
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES)), eligible


def judge_part(
    part: Part,
    candidates: list[Candidate],
    evidence: Evidence,
    model: JudgeModel,
    read: ReadFn,
    context_terms: tuple[str, ...] = (),
    stats: TermStats | None = None,
) -> list[Judged]:
    """Every candidate with its verdict, best first. The ranker's best eligible sentence is read
    by the reader (`read` scores sentences against this part's question), and the gate weighs
    all of it. When the question asks what someone said and their own words are among the
    candidates, only those answer."""
    if not candidates:
        return []
    x, eligible = featurise(part, candidates, evidence, context_terms, stats)
    rank_probs = model.ranker.probability(x)
    top = best_eligible(rank_probs, eligible)
    reader = (
        float(read([evidence.index.passages[candidates[top].position]])[0])
        if top is not None
        else 0.0
    )
    probs = model.gate.probability(gate_rows(x, rank_probs, eligible, reader))
    judged = [
        Judged(c, evidence.index.passages[c.position], ok, float(r), float(p))
        for c, ok, r, p in zip(candidates, eligible, rank_probs, probs, strict=True)
    ]
    speaker = asked_speaker(part, context_terms)
    own = [j for j in judged if j.eligible and attributed_to(j.passage.text, speaker)]
    if own:
        # The speaker's own words answer; what others said about them does not. How likely the
        # question is answered at all is the gate's best belief over the eligible evidence.
        best = max(j.probability for j in judged if j.eligible)
        judged = [replace(j, probability=max(j.probability, best)) for j in own] + [
            replace(j, eligible=False) for j in judged if j not in own
        ]
    # "What did he say about North Korea?": of their own words, those that name it come first.
    judged.sort(
        key=lambda j: (
            j.eligible,
            bool(own) and names_scope(part, evidence, j.candidate.position),
            j.rank_probability,
        ),
        reverse=True,
    )
    return judged
