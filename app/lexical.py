"""BM25 over the passages, as an inverted index built once: a query touches only its terms' postings."""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from typing import Protocol

import numpy as np

from app.text import tokens


def _idf(size: int, df: int) -> float:
    return math.log(1 + (size - df + 0.5) / (df + 0.5))


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
        self.k1, self.b = k1, b
        self.lengths = lengths
        self.idf: dict[str, float] = {}
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._tf: dict[str, np.ndarray] = {}
        for term, (docs, tfs) in postings.items():
            d = np.array(docs, dtype=np.int64)
            tf_arr = np.array(tfs, dtype=np.float32)
            self.idf[term] = _idf(self.size, len(docs))
            # The per-posting BM25 weight is fixed at build time; a query only sums.
            self._postings[term] = (d, self.idf[term] * tf_arr * (k1 + 1) / (tf_arr + norm[d]))
            self._tf[term] = tf_arr
        self._sorted = sorted(self.idf)  # the vocabulary in order, for prefix look-ups

    def term_idf(self, term: str) -> float:
        """Rarity of a (stemmed) term; unseen terms are as rare as a term can be."""
        return self.idf.get(term, _idf(self.size, 0))

    def idf_of(self, term: str, default: float) -> float:
        return self.idf.get(term, default)

    def knows(self, term: str) -> bool:
        """Does any document use the (stemmed) term, as `covers` matches words: exactly, or by
        a shared stem of four letters or more?"""
        if term in self.idf:
            return True
        if len(term) < 4:
            return False
        if any(term[:n] in self.idf for n in range(4, len(term))):
            return True
        at = bisect.bisect_left(self._sorted, term)
        return at < len(self._sorted) and self._sorted[at].startswith(term)

    def within(self, positions: np.ndarray) -> Within:
        """The same statistics over some documents only, as if they were the whole collection."""
        return Within(self, positions)

    def frequencies(self, term: str) -> np.ndarray:
        """How often the term occurs in each document of `docs_with(term)`, in that order."""
        return self._tf.get(term, np.zeros(0, dtype=np.float32))

    def docs_with(self, term: str) -> np.ndarray:
        """The documents that hold a (stemmed) term."""
        hit = self._postings.get(term)
        return hit[0] if hit is not None else np.zeros(0, dtype=np.int64)

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in sorted(set(tokens(query))):  # one summation order: the same scores every run
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


class TermStats(Protocol):
    """Word rarity over a collection: the whole corpus (BM25Index) or part of it (Within)."""

    def idf_of(self, term: str, default: float) -> float:
        """The term's idf, or `default` where the collection never holds it."""
        ...

    def term_idf(self, term: str) -> float:
        """The term's idf; unseen terms are as rare as a term can be."""
        ...


class Within:
    """BM25 over a sub-collection (the sources a question's named scope is found in): rarity and
    document length measured there, so that a word common in the rest of a large corpus, or one
    every document here shares, weighs as it would if these were the only documents."""

    def __init__(self, index: BM25Index, positions: np.ndarray) -> None:
        self.index = index
        self.positions = positions
        self.size = len(positions)
        self._member = np.zeros(index.size, dtype=bool)
        self._member[positions] = True
        lengths = index.lengths[positions]
        self._avg = float(lengths.mean()) if self.size else 1.0
        self._df: dict[str, int] = {}

    def df(self, term: str) -> int:
        if term not in self._df:
            self._df[term] = int(self._member[self.index.docs_with(term)].sum())
        return self._df[term]

    def term_idf(self, term: str) -> float:
        return _idf(self.size, self.df(term))

    def idf_of(self, term: str, default: float) -> float:
        df = self.df(term)
        return _idf(self.size, df) if df else default

    def scores(self, query: str) -> np.ndarray:
        """BM25 scores of the sub-collection's documents, in the order of `positions`."""
        out = np.zeros(self.index.size, dtype=np.float32)
        k1, b = self.index.k1, self.index.b
        for term in sorted(set(tokens(query))):  # one summation order: the same scores every run
            docs = self.index.docs_with(term)
            keep = self._member[docs]
            if not keep.any():
                continue
            docs, tf = docs[keep], self.index.frequencies(term)[keep]
            norm = k1 * (1 - b + b * self.index.lengths[docs] / max(self._avg, 1e-9))
            out[docs] += self.term_idf(term) * tf * (k1 + 1) / (tf + norm)
        return np.asarray(out[self.positions])
