"""Benchmark corpora of about N passages: the 3 vetted Wagner sources, then SQuAD paragraphs as real
distractor text, then deterministic filler for the rest.

Every corpus is written as ordinary source files (one per paragraph, YAML front matter with `id`
and `title`) under `benchmarks/cache/`, and indexed by the normal index code. Files are rewritten
only when their content changes, so the corpus hash, and with it the embedded index, is reused
on the next run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from app.config import ROOT
from app.passages import split_source
from app.sources import load_corpus, parse_source, source_files

CACHE = Path(__file__).resolve().parent / "cache"
SQUAD = ROOT.parent / "shared" / "data" / "squad2-dev-half" / "dev-v2.0.json"
WAGNER_LABEL = "3 sources"
# Changing the seed or the recipe changes every filler file, and so forces a re-embed.
FILLER_SEED = 20261122
FILLER_SENTENCES = (3, 8)  # sentences per filler paragraph, like a SQuAD paragraph


@dataclass(frozen=True)
class BenchCorpus:
    label: str  # "3 sources", "1k", "10k", "100k"
    target: int  # passages asked for; 0 for the vetted corpus alone
    corpus_dir: Path
    data_dir: Path
    sources: int
    wagner: int  # passages from the vetted sources
    squad: int  # passages from SQuAD paragraphs
    filler: int  # passages of generated filler

    @property
    def passages(self) -> int:
        return self.wagner + self.squad + self.filler

    @property
    def filler_share(self) -> float:
        return round(self.filler / self.passages, 4) if self.passages else 0.0

    def describe(self) -> dict[str, object]:
        return {
            "label": self.label,
            "target": self.target,
            "sources": self.sources,
            "passages": self.passages,
            "wagner_passages": self.wagner,
            "squad_passages": self.squad,
            "filler_passages": self.filler,
            "filler_share": self.filler_share,
        }


def label_for(target: int) -> str:
    if target <= 0:
        return WAGNER_LABEL
    return f"{target // 1000}k" if target % 1000 == 0 else str(target)


def _front_matter(source_id: str, title: str, body: str) -> str:
    # json.dumps gives a double-quoted scalar that YAML reads back unchanged, escapes included.
    return f"---\nid: {source_id}\ntitle: {json.dumps(title)}\n---\n{body}"


def _passage_count(text: str, source_id: str) -> int:
    return len(split_source(parse_source(text, f"{source_id}.md", source_id)))


def _squad_paragraphs() -> list[tuple[str, str, str]]:
    """(source id, title, paragraph) for every SQuAD paragraph, in file order."""
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    out = []
    for a, article in enumerate(data):
        title = str(article["title"]).replace("_", " ")
        for p, para in enumerate(article["paragraphs"]):
            out.append((f"squad-a{a:02d}-p{p:03d}", title, str(para["context"])))
    return out


def _sentence_pool(paragraphs: list[tuple[str, str, str]]) -> list[list[str]]:
    """SQuAD sentences (as word lists) that recombine into one clean sentence: plain prose that
    ends with a full stop and has no quotation marks or brackets to unbalance."""
    pool = []
    for sid, _title, text in paragraphs:
        for p in split_source(parse_source(text, sid, sid)):
            words = p.text.split()
            if (
                8 <= len(words) <= 50
                and p.text.endswith(".")
                and not any(ch in p.text for ch in '"“”()[]')
            ):
                pool.append(words)
    return pool


def _filler(
    count: int, paragraphs: list[tuple[str, str, str]], seed: int = FILLER_SEED
) -> list[tuple[str, str, str, int]]:
    """(source id, title, body, passages) filler paragraphs until `count` passages are reached.

    Each sentence joins the first part of one SQuAD sentence to the last part of another: text
    with real vocabulary and real sentence lengths, answering nothing, and never a verbatim copy
    of a real sentence.
    """
    rng = random.Random(seed)
    pool = _sentence_pool(paragraphs)
    titles = sorted({title for _, title, _ in paragraphs})
    seen: set[str] = {" ".join(w) for w in pool}
    out: list[tuple[str, str, str, int]] = []
    total = 0
    while total < count:
        sentences: list[str] = []
        for _ in range(rng.randint(*FILLER_SENTENCES)):
            a, b = rng.choice(pool), rng.choice(pool)
            i = rng.randint(len(a) // 3, 2 * len(a) // 3)
            j = rng.randint(len(b) // 3, 2 * len(b) // 3)
            sentence = " ".join(a[:i] + b[j:])
            if sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
        if not sentences:
            continue
        sid = f"filler-{len(out):06d}"
        body = " ".join(sentences)
        n = _passage_count(body, sid)
        out.append((sid, rng.choice(titles), body, n))
        total += n
    return out


def _sync_dir(directory: Path, files: dict[str, bytes]) -> None:
    """Make `directory` hold exactly `files`, touching only what differs (keeps reruns cheap).

    Bytes, not text: text mode would translate line endings, and the body is kept as written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.iterdir():
        if stale.name not in files and stale.is_file():
            stale.unlink()
    for name, data in files.items():
        path = directory / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)


def build(target: int) -> BenchCorpus:
    """Write the corpus of about `target` passages (0: the vetted sources alone) and count it."""
    label = label_for(target)
    home = CACHE / "corpora" / label.replace(" ", "-")
    corpus_dir = home / "corpus"
    # The vetted sources are copied byte for byte: the Wagner suite's evidence is in these bodies.
    files = {path.name: path.read_bytes() for path in source_files(ROOT / "corpus")}
    wagner = sum(len(split_source(s)) for s in load_corpus(ROOT / "corpus"))
    squad = filler = 0
    if target > wagner:
        paragraphs = _squad_paragraphs()
        for sid, title, text in paragraphs:
            if wagner + squad >= target:
                break
            files[f"{sid}.md"] = _front_matter(sid, title, text).encode()
            squad += _passage_count(text, sid)
        if wagner + squad < target:
            for sid, title, body, n in _filler(target - wagner - squad, paragraphs):
                files[f"{sid}.md"] = _front_matter(sid, title, body).encode()
                filler += n
    _sync_dir(corpus_dir, files)
    return BenchCorpus(
        label=label,
        target=target,
        corpus_dir=corpus_dir,
        data_dir=home / "data",
        sources=len(files),
        wagner=wagner,
        squad=squad,
        filler=filler,
    )
