"""The cited-answer loop, one straight path: analyse -> retrieve -> read -> decide -> compose ->
verify. Built once per process."""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from app.compose import Quote, compose_answer, compose_decline, quote_for
from app.config import Settings
from app.embeddings import load_embedder
from app.index import Progress, load_index, open_index
from app.observability import Metrics
from app.passages import Passage
from app.prompts import load_messages
from app.publish import Published
from app.question import Part, Question, analyse, names_added
from app.reader import Reader, Reads
from app.retrieve import Candidate, best_in_each_source, hybrid_search, search_within
from app.schemas import AskResponse, DeclineReason
from app.scope import Evidence, eligible, name_found, names_scope, off_topic
from app.verify import verify

log = logging.getLogger(__name__)

RELATED_COSINE = 0.3
# When the question compares sources, each other source's best sentence is shown when the reader
# rates it at least this share of the answer threshold.
COMPARE_SHARE = 0.5
# ... searched within each of the first sources the question's candidates come from.
COMPARE_SOURCES = 8
COMPARE_PER_SOURCE = 5
# A part whose named scope only sources holding this share of the passages mention is searched
# among those sources alone.
SCOPED_SEARCH_SHARE = 0.2
# A bridge follows at most this many of the names that the sentence answering a description
# adds, in its order, and keeps the one whose answer the reader rates highest.
BRIDGE_NAMES = 2


class UnknownSource(ValueError):
    pass


@dataclass(frozen=True)
class Read:
    """A candidate sentence and what the reader made of it for one part of the question."""

    candidate: Candidate
    passage: Passage
    eligible: bool  # passes the checks that hold on any corpus (app/scope.py)
    probability: float  # the reader's belief that the sentence answers; 0 when not read


@dataclass
class Trace:
    """What the engine saw, for evaluation and benchmarks."""

    question: Question
    score: float = 0.0  # the reader's best probability over the eligible evidence
    retrieved: list[int] = field(default_factory=list)  # hybrid search order, whole question
    read: list[int] = field(default_factory=list)  # the passages the reader read, every part
    best_eligible: int | None = None  # the passage the answer would quote at any threshold
    dense_top: tuple[int, float] | None = None  # nearest sentence by embedding, and its cosine
    timings: dict[str, float] = field(default_factory=dict)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


class Engine:
    def __init__(
        self,
        settings: Settings,
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
        metrics: Metrics | None = None,
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
        loaded = reader or Reader(device=settings.device, max_length=settings.read_tokens)
        self.reader: Reads = loaded
        trained = float(getattr(loaded, "threshold", 0.5))
        self.threshold = (
            settings.answer_threshold if settings.answer_threshold is not None else trained
        )
        # A figure question needs more of the reader's belief (never less): a wrong figure costs
        # more than a missed one. A threshold set in the settings holds for every question.
        figure = float(getattr(loaded, "figure_threshold", trained))
        self.figure_threshold = (
            settings.answer_threshold
            if settings.answer_threshold is not None
            else max(self.threshold, figure)
        )
        self.warm_up()

    @property
    def corpus_version(self) -> str:
        return self.index.corpus_version

    def switched_to(self, published: Published) -> Engine:
        """A new engine over a published index, sharing this one's models and templates; this
        engine keeps answering, from its own index, until the caller swaps."""
        fresh = copy.copy(self)
        fresh.index = load_index(
            self.index.client, published, self.embedder, embedded=self.index.embedded
        )
        fresh.evidence = Evidence(fresh.index)
        return fresh

    def warm_up(self) -> None:
        self.embedder.encode(["warm up"])
        analyse("How many were there in 2020, and what did he say?")
        if self.index.passages:
            self.reader.score("warm up", self.index.passages[:1], [""])

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
        reads = [self.read(q, i, cands) for i, cands in enumerate(per_part)]
        bridges = {i: hop for i in range(len(q.parts)) if (hop := self.bridge(q, i, allowed))}
        trace.read = [r.candidate.position for part in reads for r in part if r.eligible]
        t4 = clock()
        response = self._decide(q, whole, reads, trace, bridges)
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
            "read": t4 - t3,
            "compose": t5 - t4,
            "verify": t6 - t5,
            "total": t6 - t0,
        }
        return response, trace

    def threshold_for(self, part: Part) -> float:
        return self.figure_threshold if part.wants_figure else self.threshold

    def reader_query(self, q: Question, i: int) -> str:
        """What the reader reads as the part's question: with the earlier part or the
        conversation's last question when a pronoun points back to it."""
        part = q.parts[i]
        if part.refers_back and i > 0:
            return f"{part.text}? ({q.parts[i - 1].text}?)"
        if q.previous:
            return f"{part.text}? ({q.previous})"
        return f"{part.text}?"

    def read(self, q: Question, i: int, candidates: list[Candidate]) -> list[Read]:
        """Every candidate with the reader's verdict, best first: the first `read_k` eligible
        ones (in retrieval order) are read together in one batch; when none of them passes the
        threshold, the next `read_more` are read too (a decline costs one more batch)."""
        part = q.parts[i]
        if part.only_agreement:
            return []  # "... and do the sources agree?": the framing answers it
        ok = [eligible(part, q, self.evidence, c.position) for c in candidates]
        order = [n for n, e in enumerate(ok) if e]
        k, more = self.settings.read_k, self.settings.read_more
        prob = self._read_as_asked(q, i, candidates, order[:k])
        if more and order[k:] and max(prob.values(), default=0.0) < self.threshold_for(part):
            prob |= self._read_as_asked(q, i, candidates, order[k : k + more])
        index = self.index
        reads = [
            Read(c, index.passages[c.position], n in prob, prob.get(n, 0.0))
            for n, c in enumerate(candidates)
        ]
        return sorted(reads, key=lambda r: (r.eligible, r.probability), reverse=True)

    def bridge(self, q: Question, i: int, allowed: frozenset[str] | None = None) -> list[Read]:
        """A part whose answer takes two sentences: it names a thing only by a relative clause
        ("In which city is the company that built the tanker based?"). The description is
        searched and read first ("the company that built the tanker"); each name the sentence the
        reader accepts adds ("Brannock Vehicle Works") takes the description's place in the part,
        which is searched and read again ("In which city is Brannock Vehicle Works based?").
        Returns [the naming sentence, the answering one], or nothing. Product policy: never for
        a figure, which is quoted only from a sentence that states it for the scope asked."""
        part = q.parts[i]
        if q.task or q.speculation or part.wants_figure or part.described is None:
            return []
        start, end = part.described
        first = self._hop(part.text[start:end], allowed)
        if first is None:
            return []
        added = names_added(first.passage.text, part.text[start:end])
        seconds = [
            self._hop(
                part.text[:start] + name + part.text[end:],
                allowed,
                (first.candidate.position,),
                words,
            )
            for name, words in list(added.items())[:BRIDGE_NAMES]
        ]
        found = [r for r in seconds if r is not None]
        return [first, max(found, key=lambda r: r.probability)] if found else []

    def _hop(
        self,
        text: str,
        allowed: frozenset[str] | None,
        exclude: tuple[int, ...] = (),
        name: tuple[str, ...] = (),
    ) -> Read | None:
        """One step of a bridge: the text searched and read as a question of its own (the name
        that the first step found is part of its scope); the sentence the reader accepts."""
        hop = analyse(text)
        part = hop.parts[0]
        if name:
            part = replace(part, scope=tuple(dict.fromkeys((*part.scope, name))))
        found = hybrid_search(
            self.index,
            self.embedder.encode([text])[0],
            text,
            self.settings.dense_k,
            self.settings.lexical_k,
            allowed,
        )
        found = [c for c in found if c.position not in exclude][: self.settings.evidence_k]
        best = self.read(replace(hop, parts=(part,)), 0, found)
        if best and best[0].eligible and best[0].probability >= self.threshold_for(part):
            return best[0]
        return None

    def _read_as_asked(
        self, q: Question, i: int, candidates: list[Candidate], chosen: list[int]
    ) -> dict[int, float]:
        """The chosen candidates read with the part; in a comparison ("Where are A and B
        based?") a sentence about one of its names is read with the part asked of that name
        alone ("Where are A based?"): it answers that half, not the whole."""
        part = q.parts[i]
        whole = self.reader_query(q, i)
        asked: dict[str, list[int]] = {}
        for n in chosen:
            query = whole
            if part.each:
                context = self.evidence.context(candidates[n].position)
                query = next(
                    (
                        f"{text}?"
                        for name, text in zip(part.either[0], part.each, strict=True)
                        if name_found(name, context)
                    ),
                    whole,
                )
            asked.setdefault(query, []).append(n)
        prob: dict[int, float] = {}
        for query, ns in asked.items():
            prob |= self._probabilities(query, candidates, ns)
        return prob

    def _probabilities(
        self, query: str, candidates: list[Candidate], chosen: list[int]
    ) -> dict[int, float]:
        """The reader's probability for each chosen candidate, read in one batch."""
        if not chosen:
            return {}
        passages = [self.index.passages[candidates[n].position] for n in chosen]
        titles = [self.index.sources[p.source_id].title for p in passages]
        logits = self.reader.score(query, passages, titles)
        return {n: sigmoid(float(x)) for n, x in zip(chosen, logits, strict=True)}

    def retrieve(
        self, q: Question, allowed: frozenset[str] | None = None
    ) -> tuple[list[Candidate], list[list[Candidate]], float]:
        """Candidates for the whole question, and the evidence for each of its parts to read
        (one embedding batch). A question that compares sources also gets the best sentences of
        each source that came up, searched within that source."""
        texts = [q.search_text] + [
            f"{part.text} ({q.search_text})" if q.previous else part.text for part in q.parts
        ]
        vectors = self.embedder.encode(texts)
        embedded = time.perf_counter()
        k_dense, k_lex = self.settings.dense_k, self.settings.lexical_k
        whole = hybrid_search(self.index, vectors[0], texts[0], k_dense, k_lex, allowed)
        per_part: list[list[Candidate]] = []
        scopes: list[frozenset[str] | None] = []
        for part, v, t in zip(q.parts, vectors[1:], texts[1:], strict=True):
            scoped = self._scoped_sources(part, q, allowed)
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
                sources = found
                if scopes[i] is not None:  # the sources that came up first, then the others
                    ranked = [self.index.passages[c.position].source_id for c in per_part[i]]
                    sources = list(dict.fromkeys([*ranked, *sorted(scopes[i] or ())]))
                extra = best_in_each_source(
                    self.index, v, t, sources[:COMPARE_SOURCES], COMPARE_PER_SOURCE
                )
                per_part[i] += [c for c in extra if c.position not in seen]
        return whole, per_part, embedded

    def _scoped_sources(
        self, part: Part, q: Question, allowed: frozenset[str] | None
    ) -> frozenset[str] | None:
        """Where evidence for a part can come from when it names its scope: only sources that
        mention every name can pass the scope check, so when those are a small share of a large
        corpus, the search looks only there and is not crowded out by sentences that could
        never answer. None: search everything. Short words ("US") do not narrow the search."""
        names = [w for name in part.scope for w in name[:1] if len(w) >= 4]
        if not names and part.refers_back and q.referents:
            # "Where was he born?": the rarest name he may stand for.
            names = [max((n[0] for n in q.referents), key=self.index.bm25.term_idf)]
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

    def _decide(
        self,
        q: Question,
        whole: list[Candidate],
        reads: list[list[Read]],
        trace: Trace,
        bridges: dict[int, list[Read]] | None = None,
    ) -> AskResponse:
        related = [
            quote_for(self.index, c.position, related_only=True)
            for c in whole[:2]
            if c.cosine >= RELATED_COSINE
        ]
        if q.task or off_topic(q, whole, self.evidence):
            return self._decline("out_of_scope", [])
        if q.speculation:
            return self._decline("speculation_requested", related)
        tops = [r[0] for r in reads if r and r[0].eligible]
        if tops:
            top = max(tops, key=lambda r: r.probability)
            trace.score, trace.best_eligible = top.probability, top.candidate.position
        # Per part: the bridge's two sentences, in order (the second answers through the first),
        # and they alone: the bridge found what the part describes; else every sentence the
        # reader accepts.
        chains = [(bridges or {}).get(i, []) for i in range(len(reads))]
        accepted = [
            chain
            or [r for r in part_reads if r.eligible and r.probability >= self.threshold_for(part)]
            for part, part_reads, chain in zip(q.parts, reads, chains, strict=True)
        ]
        if bridges:  # the bridge's answering sentence is what the answer rests on
            trace.score = max(trace.score, *(hop[-1].probability for hop in bridges.values()))
        asked = [
            (p, r, a, c)
            for p, r, a, c in zip(q.parts, reads, accepted, chains, strict=True)
            if not p.only_agreement
        ]
        if not any(a for _, _, a, _ in asked):
            reason: DeclineReason = (
                "figure_not_in_corpus" if any(p.wants_figure for p in q.parts) else "no_evidence"
            )
            # What the corpus does say: the sentence that names the question's scope (the place
            # asked about), and the one the reader rated highest.
            near: list[Quote] = []
            for part, part_reads, _, _ in asked:
                named = next(
                    (
                        r
                        for r in part_reads
                        if names_scope(part, self.evidence, r.candidate.position)
                    ),
                    None,
                )
                for r in (named, part_reads[0] if part_reads else None):
                    if r is not None:
                        near.append(quote_for(self.index, r.candidate.position, True))
            return self._decline(reason, (near + related)[:2])
        compare = any(p.compares_sources for p in q.parts)
        quotes: list[Quote] = []
        for part, part_reads, ok, chain in asked:
            if ok:
                picked = chain or self._pick(ok, part)
                if compare:
                    picked += self._each_source(part_reads, picked, self.threshold_for(part))
                quotes += [
                    quote_for(self.index, r.candidate.position)
                    for r in picked[: self.settings.max_quotes]
                ]
        return compose_answer(
            self.index,
            self.messages,
            quotes[: self.settings.max_quotes + len(asked) - 1],
            figure_question=any(p.wants_figure for p in q.parts),
            unanswered_parts=[p.text for p, _, a, _ in asked if not a],
            corpus_version=self.corpus_version,
        )

    def _pick(self, accepted: list[Read], part: Part | None = None) -> list[Read]:
        """The best quote and the best of each other source that also answers, side by side
        (conflicts are shown, not resolved); then a second sentence of a source that the reader
        also accepts (answers that take two sentences). Breadth first: the quote limit cuts a
        second sentence before it cuts a source. A comparison ("Haldor or Brennmark") first
        takes the best sentence about each of its names."""
        each: list[Read] = []
        for group in part.either if part else ():
            for name in group:
                about = next(
                    (
                        r
                        for r in accepted
                        if r not in each
                        and name_found(name, self.evidence.context(r.candidate.position))
                    ),
                    None,
                )
                if about is not None:
                    each.append(about)
        if each:
            return each + [r for r in self._pick(accepted) if r not in each]
        firsts: dict[str, Read] = {}
        seconds: dict[str, Read] = {}
        for r in accepted:
            sid = r.passage.source_id
            if sid not in firsts:
                firsts[sid] = r
            elif sid not in seconds:
                seconds[sid] = r
        return list(firsts.values()) + list(seconds.values())

    def _each_source(self, reads: list[Read], picked: list[Read], threshold: float) -> list[Read]:
        """For "what do the sources say": the best eligible sentence of every other source that
        the reader rates near the answer threshold, so each is shown with its own words."""
        shown = {r.passage.source_id for r in picked}
        extra = []
        for r in reads:
            if (
                r.eligible
                and r.passage.source_id not in shown
                and r.probability >= threshold * COMPARE_SHARE
            ):
                shown.add(r.passage.source_id)
                extra.append(r)
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
