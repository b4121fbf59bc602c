"""Question/sentence pairs that train the reader (app/reader.py), from training data only.

    python -m evals.training.pairs squad   --out evals/cache/pairs-squad.jsonl.gz [--questions N]
    python -m evals.training.pairs newsroom --out evals/cache/pairs-newsroom.jsonl.gz

Sources, never a measurement set:
- `../shared/data/squad-train/` (SQuAD 2.0 training questions): each answerable question's gold
  sentence (label 1) with its paragraph's most word-overlapping other sentence and one sentence
  of another paragraph of the article (label 0); each unanswerable question's two most
  overlapping sentences (label 0: written to look answerable, the hard negatives). The articles
  listed in `HELD_OUT` are kept apart to watch training (`--held-out`).
- `evals/training/newsroom/*/` (fictional reports with questions written for this project, see
  PROMPT.md there): every sentence of a cluster's reports against each question, labelled 1
  where it holds one of the item's `evidence` strings; must-decline items' `related` sentences
  and the most overlapping others are the hard negatives.

Each pair is read the way the engine reads it (`app.reader.reader_inputs`): the question, then
the sentence with its source's title and the paragraph's words before it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.passages import Passage, split_source
from app.reader import follow_up_query, preceding
from app.sources import Source, parse_source

if TYPE_CHECKING:
    from app.embeddings import Embedder

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SQUAD_TRAIN = SHARED / "squad-train" / "train.json"
NEWSROOM = Path(__file__).with_name("newsroom")
HELD_OUT = 12  # the last articles of the training file: watched, never trained on


_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset(
    "the a an of in on at to for by with from and or is was were are be been did do does what "
    "which who whom whose when where why how many much that this it its as".split()
)


def _bag(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def overlap(question: str, sentence: str) -> float:
    q = _bag(question)
    return len(q & _bag(sentence)) / (len(q) or 1)


def row(question: str, p: Passage, title: str, label: int, group: str, kind: str) -> dict:
    return {
        "q": question,
        "s": p.text,
        "c": preceding(p),
        "t": title,
        "y": label,
        "g": group,
        "k": kind,
    }


def squad_articles() -> list[dict]:
    data = json.loads(SQUAD_TRAIN.read_text(encoding="utf-8"))["data"]
    return list(data)


def squad_pairs(articles: list[dict], n_questions: int, seed: int) -> Iterator[dict]:
    rng = random.Random(seed)
    items = []
    for a, article in enumerate(articles):
        for pi, para in enumerate(article["paragraphs"]):
            for qa in para["qas"]:
                items.append((a, pi, qa))
    # Unanswerable questions are a sixth of the file; take them at twice that share.
    answerable = [i for i in items if not i[2]["is_impossible"]]
    impossible = [i for i in items if i[2]["is_impossible"]]
    rng.shuffle(answerable)
    rng.shuffle(impossible)
    n_imp = min(len(impossible), n_questions // 3)
    chosen = answerable[: n_questions - n_imp] + impossible[:n_imp]
    split: dict[tuple[int, int], list[Passage]] = {}

    def sentences(a: int, pi: int) -> list[Passage]:
        if (a, pi) not in split:
            text = articles[a]["paragraphs"][pi]["context"]
            src = Source(id=f"{a}-{pi}", title=articles[a]["title"], text=text, path="")
            split[(a, pi)] = [p for p in split_source(src) if not p.heading]
        return split[(a, pi)]

    for a, pi, qa in chosen:
        title = articles[a]["title"].replace("_", " ")
        sents = sentences(a, pi)
        q = qa["question"].strip()
        group = f"squad:{qa['id']}"
        if not sents or not q:
            continue
        ranked = sorted(sents, key=lambda p: -overlap(q, p.text))
        if qa["is_impossible"]:
            for p in ranked[:2]:
                yield row(q, p, title, 0, group, "squad-unanswerable")
            continue
        ans = qa["answers"][0]
        start, end = ans["answer_start"], ans["answer_start"] + len(ans["text"])
        gold = [p for p in sents if p.start <= start and end <= p.end]
        if not gold:
            continue  # an answer that crosses a sentence boundary teaches nothing clean
        yield row(q, gold[0], title, 1, group, "squad-gold")
        others = [p for p in ranked if p is not gold[0] and ans["text"] not in p.text]
        if others:
            yield row(q, others[0], title, 0, group, "squad-neighbour")
        paras = len(articles[a]["paragraphs"])
        if paras > 1:
            other = rng.choice([i for i in range(paras) if i != pi])
            far = sentences(a, other)
            if far:
                best = max(far, key=lambda p: overlap(q, p.text))
                if ans["text"] not in best.text:
                    yield row(q, best, title, 0, group, "squad-other-paragraph")


# Written like the others, held out of training: the development set for rules
# (evals/newsroom_dev.py).
DEVELOPMENT_BATCHES = ("b46", "b47")


def newsroom_batches(root: Path = NEWSROOM, development: bool = False) -> list[Path]:
    """The written batches: those for training, or with `development` every one."""
    return sorted(
        p
        for p in root.iterdir()
        if (p / "questions.jsonl").is_file() and (development or p.name not in DEVELOPMENT_BATCHES)
    )


def load_batch(batch: Path) -> tuple[list[Source], list[dict]]:
    sources = []
    for f in sorted((batch / "corpus").glob("*.md")):
        sources.append(parse_source(f.read_text(encoding="utf-8"), f.name, f.stem))
    questions = [
        json.loads(line)
        for line in (batch / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return sources, questions


def cluster_of(name: str) -> str:
    return name.split("_", 1)[0]


def newsroom_pairs(
    batch: Path, negatives: int, seed: int, near: int = 0, embedder: Embedder | None = None
) -> Iterator[dict]:
    rng = random.Random(seed)
    sources, questions = load_batch(batch)
    clusters: dict[str, list[tuple[Passage, str]]] = {}
    for s in sources:
        for p in split_source(s):
            if not p.heading:
                clusters.setdefault(cluster_of(s.id), []).append((p, s.title))
    vectors: dict[int, np.ndarray] = {}
    if near and embedder is not None:
        every = [p for ps in clusters.values() for p, _ in ps]
        vectors = dict(zip(map(id, every), embedder.encode([p.text for p in every]), strict=True))
    for item in questions:
        history = [(t["role"], t["content"]) for t in item.get("history", [])]
        q = follow_up_query(item["question"], history)
        group = f"{batch.name}:{item['id']}"
        strings = item.get("evidence", []) if item["expect"] == "answer" else []
        related = item.get("related", [])
        # The cluster whose reports hold the item's strings (an item id names its cluster too).
        hit = [
            c
            for c, ps in clusters.items()
            if any(x in p.text for p, _ in ps for x in strings + related)
        ]
        name = hit[0] if hit else cluster_of(item["id"].split("-")[1]) if "-" in item["id"] else ""
        pool = clusters.get(name) or [x for ps in clusters.values() for x in ps]
        pos = [(p, t) for p, t in pool if any(x in p.text or p.text in x for x in strings)]
        for p, t in pos:
            yield row(q, p, t, 1, group, f"newsroom-{item['cat']}")
        rel = [(p, t) for p, t in pool if any(x in p.text for x in related) and (p, t) not in pos]
        for p, t in rel:
            yield row(q, p, t, 0, group, f"newsroom-related-{item['cat']}")
        rest = [(p, t) for p, t in pool if (p, t) not in pos and (p, t) not in rel]
        rest.sort(key=lambda pt: -overlap(q, pt[0].text))
        hard = rest[:negatives]
        if vectors and embedder is not None:  # what the engine's dense search brings up too
            qv = embedder.encode([q])[0]
            others = sorted(rest[negatives:], key=lambda pt: -float(vectors[id(pt[0])] @ qv))
            hard += others[:near]
        left = [pt for pt in rest if pt not in hard]
        easy = rng.sample(left, min(1, len(left)))
        for p, t in hard + easy:
            yield row(q, p, t, 0, group, f"newsroom-other-{item['cat']}")


def write(rows: Iterator[dict], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=("squad", "newsroom"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--questions", type=int, default=20000)
    ap.add_argument("--negatives", type=int, default=4)
    ap.add_argument(
        "--near",
        type=int,
        default=0,
        help="newsroom: this many more negatives, the sentences nearest the question by the "
        "packaged embedding model (what the engine's dense search brings up)",
    )
    ap.add_argument(
        "--batches", default="", help="newsroom: only these batches, comma-separated (b12,b13)"
    )
    ap.add_argument("--held-out", action="store_true", help="the held-out SQuAD articles only")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.kind == "squad":
        articles = squad_articles()
        part = articles[-HELD_OUT:] if args.held_out else articles[:-HELD_OUT]
        n = write(squad_pairs(part, args.questions, args.seed), args.out)
    else:
        batches = newsroom_batches()
        if args.batches:
            wanted = set(args.batches.split(","))
            batches = [b for b in batches if b.name in wanted]
            if len(batches) != len(wanted):
                held = sorted(wanted & set(DEVELOPMENT_BATCHES))
                ap.error(
                    f"{held} held out of training (the development set)"
                    if held
                    else f"no such batch among {sorted(wanted)}"
                )
        embedder = None
        if args.near:
            from app.config import get_settings
            from app.embeddings import load_embedder

            embedder = load_embedder(get_settings().embedding_model)[0]
        n = write(
            (
                r
                for b in batches
                for r in newsroom_pairs(b, args.negatives, args.seed, args.near, embedder)
            ),
            args.out,
        )
    print(f"{n} pairs -> {args.out}")


if __name__ == "__main__":
    main()
