"""Question/sentence pairs that train the reader (app/reader.py), from development data only.

    python -m evals.reader_data            # writes evals/cache/reader-pairs.jsonl.gz

Every development question (SQuAD 2.0's development split and the Wagner suite's) is asked the
way the engine asks it; each of its candidate sentences becomes a pair, labelled 1 when the
question is answerable and the sentence holds a gold answer. SQuAD's unanswerable questions were
written by swapping an entity, a number, a place or a year, or by negating the question, so that
a paragraph still reads as if it answered. The pairs add more of exactly those: each answerable
question whose answer sentence was found gets up to `VARIANTS` rewrites (another name or figure
from the same article that the sentence does not state, an antonym, a negation), paired with that
sentence and labelled 0. The test split is never read here.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.config import get_settings, quiet_third_parties
from app.engine import Engine
from app.judge import featurise
from app.passages import Passage
from app.question import analyse
from app.reader import preceding, reader_query
from evals import squad2, wagner

PAIRS = Path(__file__).parent / "cache" / "reader-pairs.jsonl.gz"
VARIANTS = 4
WAGNER_ARTICLE = 100
SEED = 0

_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’-]*)*")
_ANTONYMS = {
    a: b
    for x, y in (
        ("first", "last"),
        ("largest", "smallest"),
        ("biggest", "smallest"),
        ("most", "least"),
        ("highest", "lowest"),
        ("before", "after"),
        ("earliest", "latest"),
        ("increase", "decrease"),
        ("increased", "decreased"),
        ("more", "less"),
        ("longest", "shortest"),
        ("oldest", "newest"),
        ("best", "worst"),
        ("early", "late"),
        ("north", "south"),
        ("east", "west"),
        ("major", "minor"),
        ("win", "lose"),
        ("won", "lost"),
        ("allowed", "forbidden"),
        ("accepted", "rejected"),
        ("common", "rare"),
    )
    for a, b in ((x, y), (y, x))
}
_AUX = re.compile(
    r"\b(is|was|are|were|did|does|do|can|could|has|have|had|will|would|should)\b(?! not\b)", re.I
)


def _article_vocab(texts: list[str]) -> tuple[list[str], list[str]]:
    names: set[str] = set()
    numbers: set[str] = set()
    for text in texts:
        for m in _NAME.finditer(text):
            if m.start() and text[m.start() - 2 : m.start()].strip() not in (".", ""):
                names.add(m.group())
        numbers.update(_NUMBER.findall(text))
    return sorted(names), sorted(numbers)


def variants(
    question: str, sentence: str, names: list[str], numbers: list[str], rng: random.Random
) -> list[str]:
    """Rewrites of an answered question that the sentence no longer answers."""
    out: list[str] = []
    nums = list(_NUMBER.finditer(question))
    names_found = [m for m in _NAME.finditer(question) if m.start() > 0]
    for _ in range(2):  # two different swaps of each kind, where the article offers them
        if nums:
            m = rng.choice(nums)
            pool = [n for n in numbers if n != m.group() and n not in sentence]
            if pool:
                out.append(question[: m.start()] + rng.choice(pool) + question[m.end() :])
        if names_found:
            m = rng.choice(names_found)
            pool = [n for n in names if n.lower() not in sentence.lower() and n != m.group()]
            if pool:
                out.append(question[: m.start()] + rng.choice(pool) + question[m.end() :])
    words = [m for m in re.finditer(r"[a-z]+", question) if m.group() in _ANTONYMS]
    if words:
        m = rng.choice(words)
        out.append(question[: m.start()] + _ANTONYMS[m.group()] + question[m.end() :])
    aux = _AUX.search(question)
    if aux:
        out.append(question[: aux.end()] + " not" + question[aux.end() :])
    out = list(dict.fromkeys(out))
    rng.shuffle(out)
    return out[:VARIANTS]


@dataclass(frozen=True)
class PartCandidates:
    """One question part's candidates as the engine's judge sees them."""

    key: str  # "<question id>/<part number>": how the reader's pairs name it
    query: str  # what the reader reads as the question
    passages: list[Passage]
    x: np.ndarray  # the judge's features, one row per candidate
    eligible: list[bool]


def part_candidates(
    engine: Engine, qid: str, question: str, history: list[tuple[str, str]]
) -> list[PartCandidates]:
    """Each part of a question with its candidates and their features, as the engine asks it."""
    analysed = analyse(question, history)
    _, per_part, _ = engine.retrieve(analysed)
    out = []
    for k, (part, cands) in enumerate(zip(analysed.parts, per_part, strict=True)):
        x, eligible = featurise(
            part,
            cands,
            engine.evidence,
            analysed.context_terms,
            engine.scope_stats(analysed, part),
        )
        out.append(
            PartCandidates(
                key=f"{qid}/{k}",
                query=reader_query(analysed, part),
                passages=[engine.index.passages[c.position] for c in cands],
                x=x,
                eligible=eligible,
            )
        )
    return out


def _pairs(
    engine: Engine,
    qid: str,
    question: str,
    history: list[tuple[str, str]],
    gold: tuple[str, ...],
    article: int,
) -> list[dict[str, object]]:
    return [
        {
            "g": part.key,
            "a": article,
            "q": part.query,
            "s": passage.text,
            "c": preceding(passage),
            "y": int(any(g in passage.text for g in gold)),
            "e": int(ok),
        }
        for part in part_candidates(engine, qid, question, history)
        for passage, ok in zip(part.passages, part.eligible, strict=True)
    ]


def main() -> None:
    quiet_third_parties()
    rng = random.Random(SEED)
    settings, questions = squad2.settings_for(get_settings(), "dev")
    engine = Engine(settings)
    by_article: dict[int, list[str]] = {}
    for p in engine.index.passages:
        by_article.setdefault(int(p.source_id[1:3]), []).append(p.text)
    vocab = {a: _article_vocab(texts) for a, texts in by_article.items()}
    rows: list[dict[str, object]] = []
    synthetic = 0
    for q in questions:
        article = int(q.source_id[1:3])
        gold = () if q.impossible else q.answers
        got = _pairs(engine, q.id, q.question, [], gold, article)
        rows.extend(got)
        positives = [r for r in got if r["y"] and r["e"]]
        if positives:
            sentence, context = str(positives[0]["s"]), str(positives[0]["c"])
            for n, v in enumerate(variants(q.question, sentence, *vocab[article], rng)):
                rows.append(
                    {
                        "g": f"{q.id}~{n}",
                        "a": article,
                        "q": v,
                        "s": sentence,
                        "c": context,
                        "y": 0,
                        "e": 1,
                    }
                )
                synthetic += 1
    with tempfile.TemporaryDirectory() as tmp:
        w_engine = Engine(get_settings().model_copy(update={"data_dir": Path(tmp)}))
        for case in wagner.load_cases():
            if case.split != "dev" or case.decline_reason in (
                "out_of_scope",
                "speculation_requested",
            ):
                continue
            gold = tuple(case.evidence) if case.expect == "answered" else ()
            history = [(m.role, m.content) for m in case.history]
            rows.extend(_pairs(w_engine, case.id, case.question, history, gold, WAGNER_ARTICLE))
    PAIRS.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    with gzip.GzipFile(PAIRS, "wb", mtime=0) as fh:  # the same pairs, the same bytes
        fh.write(text.encode("utf-8"))
    print(
        f"wrote {PAIRS}: {len(rows)} pairs, {sum(int(r['y']) for r in rows)} positive, "
        f"{synthetic} synthetic negatives"
    )


if __name__ == "__main__":
    main()
