"""The checks that hold on any corpus (app/scope.py), and the engine's decisions around the reader,
on a corpus that is not the vetted one: a small invented corpus on a flood, in two reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from app.engine import Engine
from app.question import analyse
from app.retrieve import hybrid_search
from app.scope import eligible, name_found, vocabulary
from evals.metrics import invariant_breaks
from tests.conftest import write_source

REPORT_A = """Floods in Valdoria kill 120

At least 120 people were killed in the floods that struck the river towns of Valdoria this week, the Ministry of Public Health said.

The MPH also said that hospitals in the region expect a sudden rise in cholera cases.

The rescue operation lasted nine days, according to the fire service.

Mayor Elena Ortiz said the old dam on the Serra river had not been inspected for a decade.

Volunteers from Lisbon and Porto were sent to Castelo to help clear the streets.

The regional government ordered the evacuation of 3,000 residents on Tuesday.
"""

REPORT_B = """Valdoria counts the cost of the floods

Engineers said on Friday that Mayor Ortiz's warnings about the dam were "exaggerated and political".

The floods in Valdoria destroyed more than 400 homes, the regional government said.

Insurers estimate the damage at $80 million.

In Castelo, the floods were the worst in a century, residents said.
"""


# Known misses of the shipped reader (issue 16 is open): it rates the sentence that answers
# below the threshold. Strict: such a test fails once the reader gets it right, and the mark goes.
READER_MISS = "the shipped reader rates the answering sentence below the threshold"


# Another subject in the same corpus: what a pronoun stands for must not drift onto it.
REPORT_C = """Braga football club celebrates its history

The club's founder, Manuel Silva, was born in Braga in 1880.

Its stadium was built in 1921 and holds 30,000 fans.

The club won its first league title in 1950, the club said.
"""


# Many near copies of one sentence about other towns: they crowd the search for "Valdoria".
TOWNS = ("Arcos", "Belmonte", "Carvia", "Dornas", "Esmeral", "Fontelo", "Gavira", "Horta")
REPORT_D = "Rescue operations across the region\n\n" + "\n\n".join(
    f"The rescue operation in {town} {n} lasted {d} days after the floods, officials said."
    for town in TOWNS
    for n, d in zip(
        ("North", "South", "East", "West", "Centre", "Upper", "Lower", "Old"),
        range(2, 10),
        strict=True,
    )
)


TITLES = {
    "a": "Floods in Valdoria kill 120",
    "b": "Valdoria counts the cost",
    "c": "Braga football club history",
    "d": "Rescue operations across the region",
    "e": "Walks around Castelo",
    "f": "Weather in Valdoria",
    "g": "Stone carving in Castelo",
    "h": "Markets in Valdoria",
    "i": "Hills of Valdoria",
    "j": "Towns of Valdoria",
    "k": "The mayor of Castelo",
}


def _engine(factory: pytest.TempPathFactory, reports: dict[str, str]) -> Engine:
    """An engine over the given reports, each a source with its title and no other provenance."""
    folder = factory.mktemp("corpus")
    front = 'title: "{}"\noutlet: null\npublished: null\nurl: null\nnotes: null'
    for source_id, body in reports.items():
        write_source(folder, f"{source_id}.md", body, front.format(TITLES[source_id]))
    return Engine(Settings(corpus_dir=Path(folder), data_dir=factory.mktemp("data")))


@pytest.fixture(scope="module")
def flood(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _engine(tmp_path_factory, {"a": REPORT_A, "b": REPORT_B, "c": REPORT_C})


def _supporting(engine: Engine, question: str) -> tuple[str, str | None, str]:
    r = engine.ask(question)
    assert invariant_breaks(r, engine.index.sources) == []
    return r.status, r.decline_reason, " ".join(c.quote for c in r.citations if not c.related_only)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _engine(tmp_path_factory, {"a": REPORT_A, "d": REPORT_D})


def _positions(engine: Engine, fragment: str) -> int:
    return next(i for i, p in enumerate(engine.index.passages) if fragment in p.text)


def test_a_figure_question_is_answered_only_by_a_sentence_that_states_a_figure(
    flood: Engine,
) -> None:
    q = analyse("How many homes did the floods destroy in Valdoria?")
    states = _positions(flood, "destroyed more than 400 homes")
    says_no_figure = _positions(flood, "worst in a century")
    assert q.parts[0].wants_figure
    assert eligible(q.parts[0], q, flood.evidence, states)
    assert not eligible(q.parts[0], q, flood.evidence, says_no_figure)


def test_a_named_place_must_be_found_with_the_evidence(flood: Engine) -> None:
    q = analyse("How many people were killed in the floods in Mali?")
    killed = _positions(flood, "At least 120 people were killed")
    assert not eligible(q.parts[0], q, flood.evidence, killed)
    q = analyse("How many people were killed in the floods in Valdoria?")
    assert eligible(q.parts[0], q, flood.evidence, killed)


def test_a_headline_is_never_the_answer(flood: Engine) -> None:
    q = analyse("How many did the floods in Valdoria kill?")
    headline = next(i for i, p in enumerate(flood.index.passages) if p.heading)
    assert not eligible(q.parts[0], q, flood.evidence, headline)


def test_names_are_found_across_notations() -> None:
    assert name_found(("us",), vocabulary("The U.S. said so."))
    assert name_found(("wagner", "group"), vocabulary("Wagner recruited convicts."))
    assert not name_found(("north", "korea"), vocabulary("South Korea said no."))
    assert not name_found(("april", "12"), vocabulary("On April 10 the dam broke."))
    assert name_found(("russia",), vocabulary("Russian officials said."))


def test_a_follow_up_is_read_with_the_turn_it_points_back_to(flood: Engine) -> None:
    history = [("user", "What did Mayor Ortiz say about the dam?"), ("assistant", "...")]
    q = analyse("Why did she say it?", history)
    assert q.previous and q.referents == (("ortiz",),)
    assert (
        flood.reader_query(q, 0) == "Why did she say it? (What did Mayor Ortiz say about the dam?)"
    )


def test_a_named_scope_is_searched_where_it_is_named(crowded: Engine) -> None:
    # 64 sentences about rescues elsewhere outrank the one about Valdoria on every word but the
    # name, and push it out of the candidates; the search for a named scope looks only in the
    # sources that name it, where it is found.
    question = "How long did the rescue operation in Valdoria last?"
    target = "The rescue operation lasted nine days, according to the fire service."
    q = analyse(question)
    vector = crowded.embedder.encode([question])[0]
    everywhere = hybrid_search(crowded.index, vector, question, 12, 12)
    texts = [crowded.index.passages[c.position].text for c in everywhere[:20]]
    assert target not in texts
    _, per_part, _ = crowded.retrieve(q)
    assert target in [crowded.index.passages[c.position].text for c in per_part[0]]
    assert {crowded.index.passages[c.position].source_id for c in per_part[0]} == {"a"}


def test_off_the_subject_and_in_another_language_is_out_of_scope(flood: Engine) -> None:
    for question in (
        "What is a good recipe for sourdough bread?",
        "¿Cuántas casas destruyeron las inundaciones en Valdoria?",
    ):
        r = flood.ask(question)
        assert (r.status, r.decline_reason) == ("declined", "out_of_scope"), question


def test_a_keyword_query_is_on_the_subject(flood: Engine) -> None:
    # A bare keyword query has no function words either, but its words are the corpus's.
    r = flood.ask("Valdoria floods deaths")
    assert r.decline_reason != "out_of_scope"


@pytest.mark.xfail(strict=True, reason=READER_MISS)
def test_a_keyword_query_is_answered(flood: Engine) -> None:
    r = flood.ask("Valdoria floods deaths")
    assert r.status == "answered" and "120" in r.answer


@pytest.mark.xfail(strict=True, reason=READER_MISS)
def test_the_reader_decides_among_eligible_sentences(flood: Engine) -> None:
    status, _, quotes = _supporting(flood, "How many people died in the Valdoria floods?")
    assert status == "answered" and "At least 120 people were killed" in quotes
    status, reason, _ = _supporting(
        flood, "How many people were injured in the floods in Valdoria?"
    )
    assert (status, reason) == ("declined", "figure_not_in_corpus")


@pytest.mark.xfail(strict=True, reason=READER_MISS)
def test_what_the_reports_say_shows_each_source(flood: Engine) -> None:
    r = flood.ask("What do the reports say about the floods in Castelo?")
    assert r.status == "answered"
    assert {c.source_id for c in r.citations if not c.related_only} == {"a", "b"}


def test_what_someone_said_is_their_own_words(flood: Engine) -> None:
    # Report B quotes engineers answering Ortiz; the question asks for Ortiz's own words.
    status, _, quotes = _supporting(flood, "What did Mayor Ortiz say about the dam?")
    assert status == "answered" and "had not been inspected" in quotes
