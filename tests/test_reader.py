"""The reader (app/reader.py): the shipped weights load offline from the installed model package,
refuse to load over another one, and cannot overrule the judge's hard rules however sure they
are."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.config import Settings
from app.engine import Engine
from app.passages import Passage
from app.reader import READER_DIR, Reader, ReaderUnavailable, reader_text
from evals.metrics import invariant_breaks
from evals.reader_data import cloze, variants
from tests.conftest import write_source


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def _passage(text: str, paragraph: str | None = None) -> Passage:
    paragraph = paragraph or text
    start = paragraph.index(text)
    return Passage(
        "s:1", "s", start, start + len(text), text, 0, len(paragraph), paragraph, 0, False
    )


def test_the_shipped_reader_prefers_the_sentence_that_answers(reader: Reader) -> None:
    q = "How many people were killed in the floods in Valdoria?"
    answers = _passage("At least 120 people were killed in the floods that struck Valdoria.")
    unrelated = _passage("The club's stadium was built in 1921 and holds 30,000 fans.")
    scores = reader.score(q, [answers, unrelated])
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    assert scores[0] > scores[1]
    # The same input, the same score: nothing random at inference.
    assert reader.score(q, [answers])[0] == pytest.approx(scores[0], abs=1e-5)
    assert reader.score(q, []).shape == (0,)


def test_reader_weights_must_match_the_installed_embeddings(tmp_path: Path) -> None:
    for shard in READER_DIR.glob("reader-*.safetensors"):
        shutil.copy(shard, tmp_path / shard.name)
    meta = json.loads((READER_DIR / "reader.json").read_text(encoding="utf-8"))
    (tmp_path / "reader.json").write_text(
        json.dumps({**meta, "embeddings_sha256": "0" * 16}), encoding="utf-8"
    )
    with pytest.raises(ReaderUnavailable, match="not the model the reader was trained against"):
        Reader(tmp_path)
    with pytest.raises(ReaderUnavailable, match="no trained reader"):
        Reader(tmp_path / "missing")


def test_reader_text_puts_the_preceding_words_first_only_when_trained_so() -> None:
    assert reader_text("It rose.", "The river", with_context=False) == "It rose."
    assert reader_text("It rose.", "The river", with_context=True) == "The river | It rose."
    assert reader_text("It rose.", "", with_context=True) == "It rose."


class CertainReader:
    """A reader that is sure every sentence answers: adversarial, like a model that overreaches."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, query: str, passages: list[Passage]) -> np.ndarray:
        self.calls.append((query, [p.text for p in passages]))
        return np.full(len(passages), 20.0)


REPORT = """Floods in Valdoria kill 120

At least 120 people were killed in the floods that struck the river towns of Valdoria this week, the Ministry of Public Health said.

The floods in Valdoria destroyed more than 400 homes, the regional government said.
"""


def test_a_certain_reader_cannot_overrule_the_hard_rules(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_source(corpus, "a.md", REPORT, 'title: "Floods in Valdoria"')
    fake = CertainReader()
    engine = Engine(Settings(corpus_dir=corpus, data_dir=tmp_path / "data"), reader=fake)
    fake.calls.clear()
    # No sentence states a count of the injured, or anything about Mali: declined, whatever the
    # reader believes.
    for question in (
        "How many people were injured in the floods in Valdoria?",
        "How many people were killed in the floods in Mali?",
    ):
        r = engine.ask(question)
        assert (r.status, r.decline_reason) == ("declined", "figure_not_in_corpus")
        assert invariant_breaks(r, engine.index.sources) == []
    # The reader reads one sentence per question part at most: the ranker's best eligible one.
    assert all(len(texts) == 1 for _, texts in fake.calls)
    r = engine.ask("How many people were killed in the floods in Valdoria?")
    assert r.status == "answered" and "120 people were killed" in r.citations[0].quote
    assert fake.calls[-1][0].startswith("How many people were killed in the floods in Valdoria")


def test_training_rewrites_swap_in_what_the_sentence_does_not_state() -> None:
    sentence = "In 1066 William of Normandy defeated Harold at the Battle of Hastings."
    question = "Who did William defeat at the Battle of Hastings in 1066?"
    names = ["Battle of Hastings", "Rollo", "Paris", "Harold", "William"]
    numbers = ["911", "1066", "1204"]
    out = variants(question, sentence, names, numbers, random.Random(0))
    assert out and question not in out
    for v in out:
        swapped_in = set(v.split()) - set(question.split())
        assert swapped_in, v
        assert all(w not in sentence for w in swapped_in if w != "not"), v


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w'’-]+", text))


def test_questions_made_from_sentences_are_answered_only_by_their_own() -> None:
    paragraph = (
        "In 1066 William of Normandy defeated Harold at the Battle of Hastings. "
        "Rollo had been granted the land by King Charles in 911."
    )
    first, second = paragraph.split(". ")
    passages = [
        Passage("s:0", "s", 0, len(first) + 1, first + ".", 0, len(paragraph), paragraph, 0, False),
        Passage(
            "s:1",
            "s",
            len(first) + 2,
            len(paragraph),
            second,
            0,
            len(paragraph),
            paragraph,
            1,
            False,
        ),
    ]
    names = ["Battle of Hastings", "Rollo", "Paris", "Harold", "William", "Brittany"]
    numbers = ["911", "1066", "1204"]
    for seed in range(5):
        made = cloze(passages, names, numbers, random.Random(seed))
        answered = {q: s for q, s, y in made if y}
        assert set(answered.values()) == {p.text for p in passages}
        for question, sentence in answered.items():
            # One name or figure of the sentence is now the thing asked for.
            asked = _words(sentence) - _words(question)
            assert asked and question.endswith("?")
        negatives = [(q, s) for q, s, y in made if not y]
        assert negatives
        for question, sentence in negatives:
            if question in answered:  # the question, against a sentence that does not hold it
                assert sentence != answered[question]
            else:  # a rewrite names what the sentence does not state
                swapped_in = _words(question) - _words(sentence)
                assert swapped_in - {"which", "how", "many", "what", "year"}, question
