"""BM25 over part of the corpus scores exactly as BM25 over that part alone."""

from __future__ import annotations

import numpy as np
import pytest

from app.lexical import BM25Index

TEXTS = [
    "The rescue operation in Valdoria lasted nine days.",
    "Rescue teams in Arcos worked for three days after the floods.",
    "The floods in Valdoria destroyed more than 400 homes.",
    "Insurers estimate the damage at 80 million.",
    "The rescue in Belmonte lasted two days, officials said, and the rescue ended.",
    "Volunteers from Lisbon cleared the streets.",
]


@pytest.mark.parametrize("keep", [[0, 2, 4], [1, 3], [5], [0, 1, 2, 3, 4, 5]])
def test_within_scores_as_if_the_part_were_the_corpus(keep: list[int]) -> None:
    whole = BM25Index(TEXTS)
    part = BM25Index([TEXTS[i] for i in keep])
    within = whole.within(np.asarray(keep, dtype=np.int64))
    for query in ("rescue operation Valdoria", "days floods", "Lisbon", "unheard-of word"):
        assert np.allclose(within.scores(query), part.scores(query), atol=1e-6), query
    for term in ("rescu", "valdoria", "flood", "lisbon", "unseen"):
        assert within.term_idf(term) == pytest.approx(part.term_idf(term))
        assert within.idf_of(term, -1.0) == pytest.approx(part.idf_of(term, -1.0))


def test_a_word_every_part_shares_weighs_little_there() -> None:
    whole = BM25Index(TEXTS)
    within = whole.within(np.asarray([0, 4], dtype=np.int64))  # both say "rescue"
    assert within.term_idf("rescu") < whole.term_idf("rescu")
    assert within.idf_of("lisbon", -1.0) == -1.0  # not in the part at all
