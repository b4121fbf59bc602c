"""Questions whose answer takes two sentences (a bridge: one names what the other answers about;
a comparison: one sentence for each name), on a small invented corpus: a ferry fire, in three
reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from app.engine import Engine
from app.nlp import parse
from app.question import analyse, described, names_added, scoped
from app.scope import eligible
from evals.metrics import invariant_breaks
from tests.conftest import write_source

REPORTS = {
    "wire": (
        'title: "Fire on ferry Northern Star forces 212 passengers into lifeboats"\n'
        'outlet: "Castia Press Agency"\npublished: 2033-05-14',
        """Fire on ferry Northern Star forces 212 passengers into lifeboats

A fire broke out in the engine room of the ferry Northern Star on Saturday, and all 212 passengers were taken off in lifeboats, the coastguard said.

The Northern Star was built in 2019 by Halden Marine Works, according to the maritime authority.

Eleven passengers were treated in hospital for smoke inhalation, the coastguard said.
""",
    ),
    "yard": (
        'title: "Shipyard under scrutiny after ferry fire"\n'
        'outlet: "Tarvik Gazette"\npublished: 2033-05-16',
        """Shipyard under scrutiny after ferry fire

Halden Marine Works is based in Tarvik, on the west coast, and employs about 900 people.

Orsund Shipyards, its main competitor, is based in Kelby.

Inspectors will visit the yard next week, the ministry said.
""",
    ),
    "owner": (
        'title: "Ferry operator defends safety record"\n'
        'outlet: "Kelby Evening Post"\npublished: 2033-05-17',
        """Ferry operator defends safety record

Baltrane Lines, which operates the Northern Star, said its crews had followed every procedure.

The company said the ferry had passed its last safety inspection in March.
""",
    ),
}


@pytest.fixture(scope="module")
def ferry(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("corpus")
    for source_id, (front, body) in REPORTS.items():
        write_source(folder, f"{source_id}.md", body, front + "\nurl: null\nnotes: null")
    return Engine(Settings(corpus_dir=Path(folder), data_dir=tmp_path_factory.mktemp("data")))


def _position(engine: Engine, fragment: str) -> int:
    return next(i for i, p in enumerate(engine.index.passages) if fragment in p.text)


def test_the_description_a_relative_clause_gives_is_found_on_the_parse() -> None:
    text = "In which city is the company that built the ferry based?"
    span = described(parse(text))
    assert span is not None
    assert text[span[0] : span[1]] == "the company that built the ferry"
    assert described(parse("Who built the ferry?")) is None
    assert analyse(text).parts[0].described == span


def test_the_names_a_sentence_adds_leave_out_what_the_question_names_and_amounts() -> None:
    sentence = "The Northern Star was built in 2019 by Halden Marine Works, the authority said."
    added = names_added(sentence, "the company that built the Northern Star")
    assert "Halden Marine Works" in added
    assert not any("Northern" in name or "2019" in name for name in added)


def test_a_question_that_takes_two_sentences_is_answered_with_both_in_order(
    ferry: Engine,
) -> None:
    r = ferry.ask("In which city is the company that built the ferry based?")
    assert r.status == "answered"
    assert invariant_breaks(r, ferry.index.sources) == []
    quotes = [c.quote for c in r.citations if not c.related_only]
    naming = next(i for i, q in enumerate(quotes) if "built in 2019 by Halden" in q)
    answering = next(i for i, q in enumerate(quotes) if "is based in Tarvik" in q)
    assert naming < answering
    assert not any("Kelby" in q for q in quotes)


def test_no_bridge_leads_to_a_figure(ferry: Engine) -> None:
    """Product policy: a figure is quoted only from a sentence that states it for the scope
    asked, never reached through another sentence."""
    q = analyse("How many people does the company that built the ferry employ?")
    assert q.parts[0].wants_figure and q.parts[0].described is not None
    assert ferry.bridge(q, 0) == []


def test_coordinated_names_are_a_comparison_answered_one_sentence_for_each(
    ferry: Engine,
) -> None:
    q = analyse("Where are Halden Marine Works and Orsund Shipyards based?")
    part = q.parts[0]
    assert part.either and not part.scope
    # Each name is read with the question asked of it alone.
    assert part.each == ("Where are Halden Marine Works based", "Where are Orsund Shipyards based")
    halden = _position(ferry, "Halden Marine Works is based in Tarvik")
    orsund = _position(ferry, "Orsund Shipyards, its main competitor")
    assert eligible(part, q, ferry.evidence, halden)
    assert eligible(part, q, ferry.evidence, orsund)
    # A name that is not coordinated is still required of every sentence.
    q = analyse("Where is Halden Marine Works based, according to Orsund Shipyards?")
    assert not q.parts[0].either
    assert not eligible(q.parts[0], q, ferry.evidence, halden)
    assert analyse("What changed between Thursday and Saturday?").parts[0].either == (
        (("thursday",), ("saturday",)),
    )
    # Verbs coordinated are not names coordinated: both names stay required.
    doc = parse("How many people died in Tarvik on Monday and were hurt there?")
    assert not scoped(doc)[1]


def test_a_comparison_quotes_the_sentence_about_each_name(ferry: Engine) -> None:
    r = ferry.ask("Where are Halden Marine Works and Orsund Shipyards based?")
    assert r.status == "answered"
    assert invariant_breaks(r, ferry.index.sources) == []
    quotes = " ".join(c.quote for c in r.citations if not c.related_only)
    assert "based in Tarvik" in quotes and "based in Kelby" in quotes
