"""The reader (app/reader.py): the shipped weights load offline from the installed model package,
refuse to load over another one, read each candidate with its context, and cannot overrule the
checks that hold on any corpus however sure they are. And its training data (evals/training/):
every pair is verbatim and labelled from its source."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.config import Settings
from app.engine import Engine
from app.passages import Passage, split_source
from app.reader import READER_DIR, Reader, ReaderUnavailable, follow_up_query, reader_text
from evals.metrics import invariant_breaks
from evals.training import check_newsroom, pairs
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
    elsewhere = _passage("At least 40 people were killed in the floods that struck Mali.")
    titles = ["Floods"] * 3
    scores = reader.score(q, [answers, unrelated, elsewhere], titles)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert scores[0] > max(scores[1], scores[2])
    # The same input, the same score: nothing random at inference.
    assert reader.score(q, [answers], titles[:1])[0] == pytest.approx(scores[0], abs=1e-4)
    assert reader.score(q, [], []).shape == (0,)


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


def test_the_reader_reads_the_sentence_first_then_its_title_and_what_came_before() -> None:
    assert reader_text("It rose.", "River report", "The Sarn flooded.") == (
        "It rose. | River report. The Sarn flooded."
    )
    assert reader_text("It rose.", "", "") == "It rose."
    # A question that points back is read with the conversation's last question.
    history = [("user", "What did Mayor Ortiz say?"), ("assistant", "...")]
    assert follow_up_query("Why did she say it?", history) == (
        "Why did she say it? (What did Mayor Ortiz say?)"
    )
    assert follow_up_query("Why did Ortiz resign?", history) == "Why did Ortiz resign?"


class CertainReader:
    """A reader that is sure every sentence answers: adversarial, like a model that overreaches."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, query: str, passages: list[Passage], titles: list[str]) -> np.ndarray:
        self.calls.append((query, [p.text for p in passages]))
        return np.full(len(passages), 20.0)


REPORT = """Floods in Valdoria kill 120

At least 120 people were killed in the floods that struck the river towns of Valdoria this week, the Ministry of Public Health said.

The floods in Valdoria destroyed more than 400 homes, the regional government said.
"""


def test_a_certain_reader_cannot_overrule_the_checks(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_source(corpus, "a.md", REPORT, 'title: "Floods in Valdoria"')
    fake = CertainReader()
    engine = Engine(Settings(corpus_dir=corpus, data_dir=tmp_path / "data"), reader=fake)
    fake.calls.clear()
    # No sentence is about Mali, or about 2019: declined, whatever the reader believes.
    for question in (
        "How many people were killed in the floods in Mali?",
        "How many homes did the floods in Valdoria destroy in 2019?",
    ):
        r = engine.ask(question)
        assert (r.status, r.decline_reason) == ("declined", "figure_not_in_corpus")
        assert invariant_breaks(r, engine.index.sources) == []
    # The reader reads only eligible sentences, at most `read_k` of them per question part.
    assert all(len(texts) <= engine.settings.read_k for _, texts in fake.calls)
    assert not any("Mali" in t or "2019" in t for _, texts in fake.calls for t in texts)
    r = engine.ask("How many people were killed in the floods in Valdoria?")
    assert r.status == "answered" and "120 people were killed" in r.citations[0].quote
    assert fake.calls[-1][0].startswith("How many people were killed in the floods in Valdoria")


class LateReader:
    """Sure that nothing in its first `failing` batches answers, and that everything later does."""

    def __init__(self, failing: int) -> None:
        self.failing = failing
        self.calls: list[list[str]] = []

    def score(self, query: str, passages: list[Passage], titles: list[str]) -> np.ndarray:
        self.calls.append([p.text for p in passages])
        return np.full(len(passages), -20.0 if len(self.calls) <= self.failing else 20.0)


def test_a_decline_is_decided_after_reading_further(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_source(corpus, "a.md", REPORT, 'title: "Floods in Valdoria"')
    question = "What happened in the floods in Valdoria?"
    for more in (1, 0):
        late = LateReader(failing=1)
        settings = Settings(
            corpus_dir=corpus, data_dir=tmp_path / f"data{more}", read_k=1, read_more=more
        )
        engine = Engine(settings, reader=late)
        late.calls.clear()
        r = engine.ask(question)
        if more:  # the next candidate is read, answers, and it alone is quoted
            assert [len(c) for c in late.calls] == [1, 1] and late.calls[0] != late.calls[1]
            assert r.status == "answered"
            assert [c.quote for c in r.citations if not c.related_only] == late.calls[1]
        else:
            assert [len(c) for c in late.calls] == [1]
            assert r.status == "declined"
        # The first batch now passes: nothing more is read.
        late.calls.clear()
        late.failing = 0
        engine.ask(question)
        assert len(late.calls) == 1


def test_the_written_training_data_is_verbatim_and_consistent() -> None:
    batches = pairs.newsroom_batches(development=True)
    assert batches, "no newsroom batches under evals/training/newsroom"
    assert not {b.name for b in pairs.newsroom_batches()} & set(pairs.DEVELOPMENT_BATCHES)
    assert check_newsroom.main([str(b) for b in batches]) == 0


def test_training_pairs_are_labelled_from_their_sources() -> None:
    batch = pairs.newsroom_batches()[0]
    sources, questions = pairs.load_batch(batch)
    sentences = {p.text for s in sources for p in split_source(s)}
    rows = list(pairs.newsroom_pairs(batch, negatives=2, seed=0))
    assert {r["y"] for r in rows} == {0, 1}
    by_id = {f"{batch.name}:{q['id']}": q for q in questions}
    for r in rows:
        assert r["s"] in sentences  # every pair's sentence is one of the reports' own
        item = by_id[str(r["g"])]
        if r["y"]:  # a positive holds one of the item's evidence strings, or lies inside one
            assert item["expect"] == "answer"
            assert any(e in str(r["s"]) or str(r["s"]) in e for e in item["evidence"])


def test_squad_pairs_label_the_sentence_holding_the_answer(tmp_path: Path) -> None:
    article = {
        "title": "Valdoria",
        "paragraphs": [
            {
                "context": "Valdoria lies on the Serra. Its capital is Castelo. It has 3 ports.",
                "qas": [
                    {
                        "id": "q1",
                        "question": "What is the capital of Valdoria?",
                        "is_impossible": False,
                        "answers": [{"text": "Castelo", "answer_start": 44}],
                    },
                    {
                        "id": "q2",
                        "question": "What is the capital of Serra?",
                        "is_impossible": True,
                        "answers": [],
                    },
                ],
            },
            {"context": "The Serra floods every spring.", "qas": []},
        ],
    }
    rows = list(pairs.squad_pairs([article], n_questions=2, seed=0))
    gold = [r for r in rows if r["y"] == 1]
    assert [r["s"] for r in gold] == ["Its capital is Castelo."]
    assert all(r["y"] == 0 for r in rows if r["g"] == "squad:q2")
    assert all("Castelo" not in str(r["s"]) for r in rows if r["y"] == 0 and r["g"] == "squad:q1")
    with gzip.open(tmp_path / "p.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(rows[0]) + "\n")


def test_a_training_run_stops_at_max_steps_and_writes_a_reader_that_loads(tmp_path: Path) -> None:
    """`evals.train_reader` as one command, in its own process: it stops at --max-steps (the
    schedule planned for the whole epoch is recorded beside it), what it writes loads as the
    engine loads the shipped reader, and it records the stages that made what it continued."""
    import subprocess
    import sys

    batch = pairs.newsroom_batches()[0]
    rows = list(pairs.newsroom_pairs(batch, negatives=1, seed=0))[:12]
    file = tmp_path / "pairs.jsonl.gz"
    pairs.write(iter(rows), file)
    out = tmp_path / "reader"
    subprocess.run(
        [sys.executable, "-m", "evals.train_reader", "--pairs", str(file), "--init", str(READER_DIR),
         "--batch", "2", "--max-length", "32", "--max-steps", "2", "--every", "1",
         "--work", str(tmp_path / "work"), "--out", str(out), "--device", "cpu"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    meta = json.loads((out / "reader.json").read_text(encoding="utf-8"))
    assert (meta["steps"], meta["planned_steps"]) == (2, 6)
    reader = Reader(out)
    passages = [p for s in pairs.load_batch(batch)[0][:1] for p in split_source(s)][:2]
    assert reader.score(str(rows[0]["q"]), passages, ["t", "t"]).shape == (2,)
    # the stages that made the reader it continued, then that reader's own, are carried forward
    shipped = json.loads((READER_DIR / "reader.json").read_text(encoding="utf-8"))
    assert meta["stages"][:-1] == shipped["stages"]
    assert meta["stages"][-1]["pairs"] == shipped["pairs"]
    assert meta["stages"][-1]["steps"] == shipped["steps"]
    # and a run continued from this run's checkpoint carries this run as its last stage
    again = tmp_path / "again"
    subprocess.run(
        [sys.executable, "-m", "evals.train_reader", "--pairs", str(file),
         "--init", str(tmp_path / "work" / "checkpoint.pt"), "--batch", "4", "--max-length", "32",
         "--max-steps", "1", "--work", str(tmp_path / "work2"), "--out", str(again), "--device", "cpu"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    later = json.loads((again / "reader.json").read_text(encoding="utf-8"))
    assert later["stages"][:-1] == meta["stages"]
    assert later["stages"][-1] == {
        "pairs": {str(file): 12}, "weights": [1.0], "planned_steps": 6, "init": str(READER_DIR),
        "lr": 3e-05, "batch": 2, "max_length": 32, "seed": 0, "steps": 2,
    }  # fmt: skip
    assert (later["steps"], later["planned_steps"]) == (1, 3)
