"""Word-level text tools shared by BM25, the scope check and the verifier: words, stems, numbers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

_WORD = re.compile(r"\d[\d,]*(?:\.\d+)?|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


def fold(word: str) -> str:
    """The word without accents: a question that writes "Herve" asks about "Hervé"."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light suffix stripper: enough to meet 'recruits', 'recruited' and 'recruiting'."""
    w = fold(word.lower().replace("’", "'"))
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if w and w[0].isdigit():
        return w.replace(",", "")
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            return w[: -len(suffix)] + keep
    return w


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def tokens(text: str) -> list[str]:
    """Stemmed, lower-cased word tokens, stopwords kept (BM25 weighs them by rarity)."""
    return [stem(w) for w in words(text)]


def covers(term: str, vocabulary: Collection[str]) -> bool:
    """Is the (stemmed) term among the words: exactly, or by a shared stem of four letters or
    more ('russia' covers 'russian', 'ukrain' covers 'ukraine')?"""
    if term in vocabulary:
        return True
    if len(term) < 4:
        return False
    return any(len(v) >= 4 and (v.startswith(term) or term.startswith(v)) for v in vocabulary)


# A figure as written: $100 million, 50,000, 0.31%, 2014, 10-month, 90 percent.
FIGURE = re.compile(
    r"(?<![\w.])[$€£]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent))?"
    r"(?:\s(?:million|billion|thousand|hundred|trillion))?(?![\w])",
    re.IGNORECASE,
)
# The contract's quantity words (invariant 2: "thousands", "half", "dozens", "one").
NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred hundreds thousand thousands million millions billion billions trillion dozen
    dozens half quarter quarters third thirds score""".split()
)
_NUMBER_WORD = re.compile(
    r"\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)


def figures(text: str) -> list[str]:
    """Every number in the text, digits and quantity words, as written."""
    found = [m.group(0) for m in FIGURE.finditer(text)]
    found += [m.group(0) for m in _NUMBER_WORD.finditer(text)]
    return found
