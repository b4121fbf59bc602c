"""BM25 over the passages, as an inverted index built once: a query touches only its terms' postings."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from app.text import tokens


class BM25Index:
    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(texts)
        doc_tokens = [tokens(t) for t in texts]
        lengths = np.array([len(t) for t in doc_tokens], dtype=np.float32)
        avg = float(lengths.mean()) if self.size else 1.0
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        postings: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for doc, toks in enumerate(doc_tokens):
            for term, tf in Counter(toks).items():
                postings[term][0].append(doc)
                postings[term][1].append(tf)
        self.idf: dict[str, float] = {}
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (docs, tfs) in postings.items():
            d = np.array(docs, dtype=np.int64)
            tf_arr = np.array(tfs, dtype=np.float32)
            self.idf[term] = math.log(1 + (self.size - len(docs) + 0.5) / (len(docs) + 0.5))
            # The per-posting BM25 weight is fixed at build time; a query only sums.
            self._postings[term] = (d, self.idf[term] * tf_arr * (k1 + 1) / (tf_arr + norm[d]))

    def term_idf(self, term: str) -> float:
        """Rarity of a (stemmed) term; unseen terms are as rare as a term can be."""
        return self.idf.get(term, math.log(1 + (self.size + 0.5) / 0.5))

    def docs_with(self, term: str) -> np.ndarray:
        """The documents that hold a (stemmed) term."""
        hit = self._postings.get(term)
        return hit[0] if hit is not None else np.zeros(0, dtype=np.int64)

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(tokens(query)):
            hit = self._postings.get(term)
            if hit is not None:
                np.add.at(out, hit[0], hit[1])
        return out

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        s = self.scores(query)
        if not self.size:
            return []
        k = min(k, self.size)
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx])]
        return [(int(i), float(s[i])) for i in idx if s[i] > 0]
