"""The cited-answer loop: analyse -> retrieve -> judge -> compose -> verify. Built once per process."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from app.compose import Quote, compose_answer, compose_decline, quote_for
from app.config import Settings
from app.embeddings import load_embedder
from app.index import Progress, open_index
from app.judge import (
    Evidence,
    Judged,
    JudgeModel,
    judge_part,
    names_scope,
    premise_denied,
    scope_in_context,
)
from app.lexical import Within
from app.observability import Metrics
from app.passages import Passage
from app.prompts import load_messages
from app.question import Part, Question, analyse, qualifiers
from app.reader import Reader, Reads, reader_query
from app.retrieve import Candidate, best_in_each_source, hybrid_search, search_within
from app.schemas import AskResponse, DeclineReason
from app.text import FUNCTION_WORDS, content_tokens, is_span, words
from app.verify import verify

log = logging.getLogger(__name__)

# Out of scope: nothing in the corpus is close in meaning, and few of the question's words occur
# in it at all. Set on the development questions; the corpus decides what is "on the subject".
OFF_TOPIC_COSINE = 0.22
WEAK_TOPIC_COSINE = 0.38
WEAK_TOPIC_COVERAGE = 0.5
RELATED_COSINE = 0.3
# A second quote from a source must be rated at least this share of that source's best one (and
# at least COMPARE_RATIO of the best overall).
SAME_SOURCE_RATIO = 0.6
# When the question compares sources, another source's best sentence is shown down to this share.
COMPARE_RATIO = 0.2
# ... searched within each of the first sources the question's candidates come from.
COMPARE_SOURCES = 8
COMPARE_PER_SOURCE = 5
# A part whose named scope only sources holding this share of the passages mention is searched
# among those sources alone.
SCOPED_SEARCH_SHARE = 0.2


class UnknownSource(ValueError):
    pass


@dataclass
class Trace:
    """What the engine saw, for evaluation and benchmarks."""

    question: Question
    score: float = 0.0  # best answerability probability over eligible evidence
    retrieved: list[int] = field(default_factory=list)  # hybrid search order, whole question
    best_eligible: int | None = None  # the passage the answer would quote at any threshold
    dense_top: tuple[int, float] | None = None  # nearest sentence by embedding, and its cosine
    timings: dict[str, float] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        settings: Settings,
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
        metrics: Metrics | None = None,
        judge_model: JudgeModel | None = None,
        reader: Reads | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.messages = load_messages(settings.prompts_dir)
        self.embedder, self.model_fp = load_embedder(settings.embedding_model, settings.device)
        self.index = open_index(
            settings, self.embedder, self.model_fp, rebuild=rebuild, progress=progress
        )
        self.evidence = Evidence(self.index)
        self.model = judge_model or JudgeModel.load()
        self.reader: Reads = reader or Reader(device=settings.device)
        self.threshold = (
            settings.answer_threshold
            if settings.answer_threshold is not None
            else self.model.threshold
        )
        self.warm_up()

    @property
    def corpus_version(self) -> str:
        return self.index.corpus_version

    def reindexed(self) -> Engine:
        """A new engine over the corpus as it is now, sharing this one's model and templates.

        The new index is built beside the serving one (a new collection, under a temporary name
        until complete); this engine keeps answering, from its own index, until the caller
        swaps. Old collections are left for the caller to drop once nothing reads them.
        """
        fresh = copy.copy(self)
        fresh.index = open_index(self.settings, self.embedder, self.model_fp, drop_stale=False)
        fresh.evidence = Evidence(fresh.index)
        return fresh

    def warm_up(self) -> None:
        self.embedder.encode(["warm up"])
        if self.index.passages:
            self.reader.score("warm up", self.index.passages[:1])

    def ask(
        self,
        question: str,
        history: Iterable[tuple[str, str]] = (),
        source_ids: list[str] | None = None,
    ) -> AskResponse:
        return self.ask_traced(question, history, source_ids)[0]

    def ask_traced(
        self,
        question: str,
        history: Iterable[tuple[str, str]] = (),
        source_ids: list[str] | None = None,
    ) -> tuple[AskResponse, Trace]:
        clock = time.perf_counter
        t0 = clock()
        allowed = self._allowed(source_ids)
        if self.settings.log_questions:
            log.info("question", extra={"question": question})
        q = analyse(question, list(history))
        trace = Trace(q)
        t1 = clock()
        whole, per_part, t2 = self.retrieve(q, allowed)
        t3 = clock()
        trace.retrieved = [c.position for c in whole]
        trace.dense_top = next(((c.position, c.cosine) for c in whole if c.dense_rank == 0), None)
        reading: list[float] = []
        verdicts = [
            judge_part(
                part,
                cands,
                self.evidence,
                self.model,
                self._reading(q, part, reading),
                q.context_terms,
                self.scope_stats(q, part, allowed),
            )
            for part, cands in zip(q.parts, per_part, strict=True)
        ]
        t4 = clock()
        response = self._decide(q, whole, verdicts, trace)
        t5 = clock()
        response = self._verified(response)
        t6 = clock()
        if response.status == "answered":
            self.metrics.inc("verbatim_answers_total")
        else:
            self.metrics.inc("verbatim_declines_total", reason=str(response.decline_reason))
        self.metrics.observe_latency(t6 - t0)
        trace.timings = {
            "analyse": t1 - t0,
            "embed": t2 - t1,
            "search": t3 - t2,
            "judge": t4 - t3,
            "read": sum(reading),  # the reader's share of judging
            "compose": t5 - t4,
            "verify": t6 - t5,
            "total": t6 - t0,
        }
        return response, trace

    def _reading(
        self, q: Question, part: Part, spent: list[float]
    ) -> Callable[[list[Passage]], np.ndarray]:
        """The reader, bound to this part's question; the time it takes is added to `spent`."""
        query = reader_query(q, part)

        def read(passages: list[Passage]) -> np.ndarray:
            start = time.perf_counter()
            try:
                return self.reader.score(query, passages)
            finally:
                spent.append(time.perf_counter() - start)

        return read

    def retrieve(
        self, q: Question, allowed: frozenset[str] | None = None
    ) -> tuple[list[Candidate], list[list[Candidate]], float]:
        """Candidates for the whole question, and the evidence for each of its parts to judge
        (one embedding batch). A question that asks what the sources say also gets the best
        sentences of each source that came up, searched within that source."""
        texts = [q.search_text] + [
            f"{part.text} ({q.search_text})" if q.context_terms else part.text for part in q.parts
        ]
        vectors = self.embedder.encode(texts)
        embedded = time.perf_counter()
        k_dense, k_lex = self.settings.dense_k, self.settings.lexical_k
        whole = hybrid_search(self.index, vectors[0], texts[0], k_dense, k_lex, allowed)
        per_part: list[list[Candidate]] = []
        scopes: list[frozenset[str] | None] = []
        for part, v, t in zip(q.parts, vectors[1:], texts[1:], strict=True):
            scoped = self._scoped_sources(part, allowed, q.context_terms)
            scopes.append(scoped)
            if scoped is not None:
                per_part.append(search_within(self.index, v, t, scoped, k_dense, k_lex))
            elif len(q.parts) == 1:
                per_part.append(whole)
            else:
                per_part.append(hybrid_search(self.index, v, t, k_dense, k_lex, allowed))
        per_part = [cands[: self.settings.evidence_k] for cands in per_part]
        if any(p.compares_sources for p in q.parts):
            found = list(dict.fromkeys(self.index.passages[c.position].source_id for c in whole))
            for i, (v, t) in enumerate(zip(vectors[1:], texts[1:], strict=True)):
                seen = {c.position for c in per_part[i]}
                scoped = scopes[i]
                sources = found
                if scoped is not None:  # the sources that came up first, then the others
                    ranked = [self.index.passages[c.position].source_id for c in per_part[i]]
                    sources = list(dict.fromkeys([*ranked, *sorted(scoped)]))
                extra = best_in_each_source(
                    self.index, v, t, sources[:COMPARE_SOURCES], COMPARE_PER_SOURCE
                )
                per_part[i] += [c for c in extra if c.position not in seen]
        return whole, per_part, embedded

    def scope_stats(
        self, q: Question, part: Part, allowed: frozenset[str] | None = None
    ) -> Within | None:
        """Word rarity among the sources a part was searched in, when its scope narrowed the
        search (judged as if those sources were the corpus); None: the whole corpus."""
        sources = self._scoped_sources(part, allowed, q.context_terms)
        return None if sources is None else self.index.within(sources)

    def _scoped_sources(
        self, part: Part, allowed: frozenset[str] | None, context: tuple[str, ...]
    ) -> frozenset[str] | None:
        """Where evidence for a part can come from when it names its scope ("Wagner",
        "Bakhmut"): only sources that mention every name can pass the judge's scope rule, so
        when those are a small share of a large corpus, the search looks only there and is not
        crowded out by sentences that could never answer. None: search everything.

        Short names ("UK", "MOD") do not narrow the search: the judge also accepts them written
        out. Nor do names the conversation supplies: the judge accepts those anywhere, nor spans
        of time ("the 1700s"), which the text writes as years."""
        names = [t for t in part.scope if len(t) >= 4 and t not in context and not is_span(t)]
        referents = [t for t in (*context, *part.follows) if len(t) >= 4]
        if not names and referents:
            # "Where was he born?": the rarest name he stands for.
            names = [max(referents, key=self.index.bm25.term_idf)]
        if not names:
            return None
        sources: frozenset[str] | None = allowed
        for term in names:
            naming = self.index.sources_naming(term)
            sources = naming if sources is None else sources & naming
        if not sources:
            return None
        share = sum(len(self.index.passages_of(s)) for s in sources) / len(self.index.passages)
        return sources if share <= SCOPED_SEARCH_SHARE else None

    def _allowed(self, source_ids: list[str] | None) -> frozenset[str] | None:
        if source_ids is None:
            return None
        unknown = sorted(set(source_ids) - set(self.index.sources))
        if unknown:
            raise UnknownSource(f"unknown source_ids: {', '.join(unknown[:5])}")
        return frozenset(source_ids)

    def _foreign(self, text: str, terms: list[str]) -> bool:
        """A question in another language than the corpus's: not one English function word
        ("what", "the", "how", ...), and most of its words used nowhere in the corpus
        ("¿Cuántos combatientes de Wagner murieron?"). The rules read English; a name it shares
        with the corpus would otherwise pass for the subject."""
        if len(terms) < 3 or any(w.lower() in FUNCTION_WORDS for w in words(text)):
            return False
        unknown = sum(not self.index.bm25.knows(t) for t in terms)
        return 2 * unknown > len(terms)

    def _off_topic(self, q: Question, whole: list[Candidate]) -> bool:
        if q.context_terms:
            return False  # a follow-up in a conversation the corpus already answered
        best = max((c.cosine for c in whole), default=0.0)
        if best < OFF_TOPIC_COSINE:
            return True
        terms = content_tokens(q.text)
        if not terms:
            return False
        if self._foreign(q.text, terms):
            return True
        # On the subject: the question's words are found together, in one of the passages that
        # came up (its paragraph, its title, what its source is about), and when the question
        # names what it is about (a person, a coin), that passage names one of them. A place or
        # time that only qualifies it ("killed *in Mali*") does not decide the subject: a figure
        # for a place the corpus never names is not in it, about a subject that is. Counting
        # words anywhere in the corpus would not do: a large corpus holds every common word
        # somewhere, and "the current price of" something in many places.
        names = {t for part in q.parts for t in part.scope if not t[0].isdigit()} - qualifiers(
            q.text
        )
        weight = {t: self.index.bm25.term_idf(t) for t in terms}
        total = sum(weight.values())
        covered = 0.0
        for c in whole:
            found = {t for t in (*weight, *names) if self.evidence.says(c.position, t)}
            if not names or not names.isdisjoint(found):
                covered = max(covered, sum(w for t, w in weight.items() if t in found))
        if covered / total >= WEAK_TOPIC_COVERAGE:
            return False
        # Nearness counts as topic only in a sentence that shares a word with the question (one
        # of the names it asks about, when it names any): in a large, broad corpus some sentence
        # always lies near any question in embedding space (the same genre, the same shape of
        # sentence) without being about its subject.
        asked = names or set(terms)
        anchored = max(
            (
                c.cosine
                for c in whole
                if not asked.isdisjoint(self.evidence.sentence_terms(c.position))
            ),
            default=0.0,
        )
        return anchored < WEAK_TOPIC_COSINE

    def _decide(
        self, q: Question, whole: list[Candidate], verdicts: list[list[Judged]], trace: Trace
    ) -> AskResponse:
        related = [
            quote_for(self.index, c.position, related_only=True)
            for c in whole[:2]
            if c.cosine >= RELATED_COSINE
        ]
        if q.task or self._off_topic(q, whole):
            return self._decline("out_of_scope", [])
        if q.speculation:
            return self._decline("speculation_requested", related)
        # Whether a part is answered at all is the gate's verdict on the sentence the reader
        # read (the ranker's best eligible one); only then may other sentences join it.
        accepted = [
            []
            if premise_denied(part, judged) or not self._read_and_passed(judged)
            else [j for j in judged if j.eligible and j.probability >= self.threshold]
            for part, judged in zip(q.parts, verdicts, strict=True)
        ]
        tops = [judged[0] for judged in verdicts if judged and judged[0].eligible]
        if tops:
            top = max(tops, key=lambda j: j.probability)
            trace.score, trace.best_eligible = top.probability, top.candidate.position
        if not any(accepted):
            reason: DeclineReason = (
                "figure_not_in_corpus" if any(p.wants_figure for p in q.parts) else "no_evidence"
            )
            # What the corpus does say: the sentence that names the question's scope (the place
            # asked about), and the closest sentence overall.
            scoped = [
                next(
                    (j for j in judged if names_scope(p, self.evidence, j.candidate.position)), None
                )
                for p, judged in zip(q.parts, verdicts, strict=True)
            ]
            best = [j for j in scoped if j] + [j for judged in verdicts for j in judged[:1]]
            near = [quote_for(self.index, j.candidate.position, True) for j in best]
            return self._decline(reason, (near + related)[:2])
        quotes: list[Quote] = []
        # "How big is it, and do the sources agree?": the comparison asked in one part is
        # about the whole question.
        compare = any(p.compares_sources for p in q.parts)
        for part, judged, ok in zip(q.parts, verdicts, accepted, strict=True):
            if ok:
                firsts, seconds = self._pick(ok)
                if compare:
                    firsts += self._each_source(part, judged, firsts)
                picked = (firsts + seconds)[: self.settings.max_quotes]
                quotes += [quote_for(self.index, j.candidate.position) for j in picked]
        unanswered = [p.text for p, judged in zip(q.parts, accepted, strict=True) if not judged]
        return compose_answer(
            self.index,
            self.messages,
            quotes[: self.settings.max_quotes + len(q.parts) - 1],
            figure_question=any(p.wants_figure for p in q.parts),
            unanswered_parts=unanswered,
            corpus_version=self.corpus_version,
        )

    def _read_and_passed(self, judged: list[Judged]) -> bool:
        return bool(judged) and judged[0].eligible and judged[0].probability >= self.threshold

    def _pick(self, judged: list[Judged]) -> tuple[list[Judged], list[Judged]]:
        """The best quote and the best of each other source that also answers, side by side
        (conflicts are shown, not resolved); then close second sentences of a source (answers
        that take two sentences). Breadth first: the quote limit cuts a second sentence before
        it cuts a source."""
        best = judged[0]
        firsts: dict[str, Judged] = {}
        seconds: list[Judged] = []
        for j in judged:
            own = firsts.get(j.passage.source_id)
            if own is None:
                firsts[j.passage.source_id] = j
            elif (
                j.rank_probability >= own.rank_probability * SAME_SOURCE_RATIO
                and j.rank_probability >= best.rank_probability * COMPARE_RATIO
            ):
                seconds.append(j)
        return list(firsts.values()), seconds

    def _each_source(self, part: Part, judged: list[Judged], picked: list[Judged]) -> list[Judged]:
        """For "what do the sources say": the best eligible sentence of every other source, so
        each is shown with its own words even where the gate would not answer from it alone:
        one rated near the best, or one whose sentence and paragraph name the whole scope."""
        shown = {j.passage.source_id for j in picked}
        best = picked[0].rank_probability
        extra = []
        for j in judged:
            if (
                j.eligible
                and j.passage.source_id not in shown
                and (
                    j.rank_probability >= best * COMPARE_RATIO
                    or scope_in_context(part, self.evidence, j.candidate.position)
                )
            ):
                shown.add(j.passage.source_id)
                extra.append(j)
        return extra

    def _decline(self, reason: DeclineReason, related: list[Quote]) -> AskResponse:
        return compose_decline(self.index, self.messages, reason, related, self.corpus_version)

    def _verified(self, response: AskResponse) -> AskResponse:
        """Send only what passes the verifier: drop offending quotes, else decline."""
        for _ in range(3):
            problems = verify(response, self.index.sources)
            if not problems:
                return response
            self.metrics.inc("verbatim_verifier_rejections_total")
            log.warning(
                "verifier rejected an answer",
                extra={"problems": [p.message for p in problems], "status": response.status},
            )
            bad = {p.citation for p in problems}
            if None in bad:
                break
            keep = [c for c in response.citations if c.n not in bad]
            if response.status == "answered" and any(not c.related_only for c in keep):
                response = compose_answer(
                    self.index,
                    self.messages,
                    [Quote(c.source_id, c.start, c.end) for c in keep],
                    figure_question=False,
                    unanswered_parts=[],
                    corpus_version=self.corpus_version,
                )
            else:
                break
        return compose_decline(self.index, self.messages, "no_evidence", [], self.corpus_version)
