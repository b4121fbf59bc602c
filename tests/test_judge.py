"""The judge's rules on a corpus that is not the vetted one: they are about English questions,
not about any subject. A small invented corpus on a flood, in two reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.config import Settings
from app.engine import Engine
from app.judge import FEATURES, attributed_to, featurise
from app.question import analyse
from app.retrieve import hybrid_search
from app.text import DURATION_FIGURE, opposite_swapped, owned, owned_elsewhere
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


def test_a_count_of_deaths_does_not_answer_how_many_were_injured(flood: Engine) -> None:
    status, _, quotes = _supporting(flood, "How many people were killed in the floods in Valdoria?")
    assert status == "answered" and "120 people were killed" in quotes
    status, reason, _ = _supporting(
        flood, "How many people were injured in the floods in Valdoria?"
    )
    assert (status, reason) == ("declined", "figure_not_in_corpus")
    # Another word for the same event is the same question.
    status, _, quotes = _supporting(flood, "How many people died in the floods in Valdoria?")
    assert status == "answered" and "120 people were killed" in quotes


def test_an_amount_paid_is_not_an_amount_of_damage(flood: Engine) -> None:
    status, _, quotes = _supporting(flood, "How much do insurers estimate the flood damage at?")
    assert status == "answered" and "$80 million" in quotes
    status, reason, _ = _supporting(flood, "How much were the volunteers in Castelo paid?")
    assert (status, reason) == ("declined", "figure_not_in_corpus")


def test_requests_to_produce_text_are_declined(flood: Engine) -> None:
    # On the subject, new text is invention; a translation is about no corpus at all.
    r = flood.ask("Write a poem about the floods in Valdoria.")
    assert (r.status, r.decline_reason) == ("declined", "speculation_requested")
    r = flood.ask("Translate 'the floods in Valdoria' into Spanish.")
    assert (r.status, r.decline_reason) == ("declined", "out_of_scope")


def test_why_question_whose_premise_the_text_never_states_is_declined(flood: Engine) -> None:
    status, reason, _ = _supporting(
        flood, "Why did the regional government cancel the evacuation of residents?"
    )
    assert (status, reason) == ("declined", "no_evidence")


def test_how_long_needs_a_figure_with_its_unit(flood: Engine) -> None:
    status, _, quotes = _supporting(flood, "How long did the rescue operation in Valdoria last?")
    assert status == "answered" and "nine days" in quotes
    assert DURATION_FIGURE.search("a six-month contract")
    assert not DURATION_FIGURE.search("thousands will return in the coming weeks")


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _engine(tmp_path_factory, {"a": REPORT_A, "d": REPORT_D})


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


def test_a_short_form_in_the_text_covers_the_long_name_in_the_question(flood: Engine) -> None:
    status, _, quotes = _supporting(
        flood, "What does the Ministry of Public Health say hospitals expect?"
    )
    assert status == "answered" and "sudden rise in cholera" in quotes


def test_what_someone_said_prefers_their_own_words(flood: Engine) -> None:
    # Report B quotes engineers answering Ortiz; the question asks for Ortiz's own words.
    status, _, quotes = _supporting(flood, "What did Mayor Ortiz say about the dam?")
    assert status == "answered" and "had not been inspected" in quotes
    assert attributed_to("Mayor Elena Ortiz said the dam was old.", frozenset({"ortiz"}))
    assert not attributed_to(
        "Engineers said on Friday that Mayor Ortiz's warnings were wrong.", frozenset({"ortiz"})
    )


def test_where_is_answered_by_a_located_name(flood: Engine) -> None:
    status, _, quotes = _supporting(flood, "Where were the volunteers sent to clear the streets?")
    assert status == "answered" and "to Castelo" in quotes


def test_what_the_reports_say_shows_each_source(flood: Engine) -> None:
    r = flood.ask("What do the reports say about the floods in Castelo?")
    assert r.status == "answered"
    assert {c.source_id for c in r.citations if not c.related_only} == {"a", "b"}


def test_a_pronoun_stays_with_what_it_stands_for(flood: Engine) -> None:
    history = [("user", "What did Mayor Ortiz say about the dam?"), ("assistant", "...")]
    r = flood.ask("Where was she born?", history)
    assert (r.status, r.decline_reason) == ("declined", "no_evidence")  # not Manuel Silva
    r = flood.ask("What did Mayor Ortiz say about the dam, and when was it built?")
    assert r.status == "answered"
    assert not any("1921" in c.quote for c in r.citations)  # the stadium, not the dam
    assert "when was it built" in r.answer  # named as the part the corpus does not state


def test_question_analysis_finds_predicate_speaker_and_initialisms() -> None:
    assert analyse("How many fighters were wounded in May?").parts[0].predicate == ("wound",)
    assert analyse("How many were killed or injured?").parts[0].predicate == ("kill", "injur")
    assert analyse("How many of them were delivered?").parts[0].predicate == ("deliver",)
    assert analyse("How much is a volunteer paid per day?").parts[0].predicate == ("pay",)
    # A verb that says nothing particular is no condition: any count of valves answers.
    assert analyse("How many valves does the engine have?").parts[0].predicate == ()
    said = analyse("How many people does the mayor say have been evacuated?").parts[0]
    assert said.predicate == ("evacuat",)  # the reporting verb is skipped
    why = analyse("Why did Ortiz stop the inspections?").parts[0]
    assert why.predicate == ("ortiz", "stop")
    said = analyse("Why did Ortiz say the dam would collapse?").parts[0]
    assert said.predicate == ("ortiz", "dam", "collapse")  # the claim, past its modal
    assert analyse("What did Ortiz say about it?").parts[0].speaker == ("ortiz",)
    assert analyse("What did she say about it?").parts[0].speaker_pronoun
    initials = dict(analyse("What did the Ministry of Public Health say?").parts[0].initialisms)
    assert initials["mph"] == ("ministry", "public", "health")


def test_a_scoped_question_is_judged_as_if_its_sources_were_the_corpus(
    crowded: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Word rarity among the sources that name the scope, not across the crowd: what depends on
    # rarity (BM25, the weighted coverage of the question, its rarest missing word) is what it
    # would be in a corpus of that source alone, and so is the answer.
    alone = _engine(tmp_path_factory, {"a": REPORT_A})
    question = "How long did the rescue operation in Valdoria last?"
    q = analyse(question)
    rarity = [
        FEATURES.index(f)
        for f in (
            "bm25",
            "coverage_sentence",
            "coverage_paragraph",
            "scope_share",
            "missing_rare",
            "missing_rare_sentence",
        )
    ]
    rows = {}
    for name, engine in (("crowded", crowded), ("alone", alone)):
        _, per_part, _ = engine.retrieve(q)
        part, cands = q.parts[0], per_part[0]
        x, eligible = featurise(part, cands, engine.evidence, (), engine.scope_stats(q, part))
        rows[name] = {
            engine.index.passages[c.position].text: (tuple(np.round(r[rarity], 6)), ok)
            for c, r, ok in zip(cands, x, eligible, strict=True)
        }
    assert crowded.scope_stats(q, q.parts[0]) is not None  # the crowd was searched by scope
    assert alone.scope_stats(q, q.parts[0]) is None  # the source alone is the corpus
    shared = rows["crowded"].keys() & rows["alone"].keys()
    assert len(shared) >= 5
    assert {t: rows["crowded"][t] for t in shared} == {t: rows["alone"][t] for t in shared}
    answers = [e.ask(question) for e in (crowded, alone)]
    assert answers[0].citations[0].quote == answers[1].citations[0].quote
    assert "nine days" in answers[0].citations[0].quote


# A broad corpus always holds some sentence near any question in embedding space.
REPORT_E = """Walks around Castelo

Hikers reached the summit of the highest peak above Castelo.
"""


def test_a_near_sentence_sharing_no_word_does_not_make_a_question_in_scope(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"a": REPORT_A, "b": REPORT_B, "e": REPORT_E})
    question = "What is the tallest mountain in the world?"
    q = analyse(question, [])
    vector = engine.embedder.encode([q.search_text])[0]
    near = max(hybrid_search(engine.index, vector, q.search_text, 10, 10), key=lambda c: c.cosine)
    # Near in meaning (a summit, the highest peak) but about a hill above one town.
    assert "summit" in engine.index.passages[near.position].text and near.cosine > 0.38
    r = engine.ask(question)
    assert (r.status, r.decline_reason) == ("declined", "out_of_scope")
    # A question in the sentence's own words is about the corpus.
    r = engine.ask("Who reached the summit of the highest peak above Castelo?")
    assert r.status == "answered" and "Hikers" in r.answer


# A figure of the wrong kind, and a temperature of another event.
REPORT_F = """Weather in Valdoria

The water level in Valdoria rose after repairs that cost $57,000.

The river water in Valdoria reached a temperature of 12 °C on Monday.
"""


def test_a_measured_quantity_is_answered_only_with_its_unit_and_its_event(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    part = analyse("At what temperature does water boil at sea level?", []).parts[0]
    assert (part.measure, part.predicate) == ("temperature", ("boil",))
    assert analyse("How tall is the Palace of Culture?", []).parts[0].measure == "length"
    assert analyse("How many fighters died?", []).parts[0].measure is None
    engine = _engine(tmp_path_factory, {"a": REPORT_A, "f": REPORT_F})
    status, _, quotes = _supporting(
        engine, "What temperature did the river water in Valdoria reach?"
    )
    assert status == "answered" and "12 °C" in quotes and "$57,000" not in quotes
    # The only temperature is of water that warmed, not of water that froze; $57,000 is no
    # temperature at all.
    status, reason, _ = _supporting(
        engine, "At what temperature does the water in Valdoria freeze?"
    )
    assert (status, reason) == ("declined", "figure_not_in_corpus")


# A place named only after the sentence: the sentence is not about it.
REPORT_G = """Stone carving in Castelo

Carvers in Castelo still cut stone capitals for the town's churches. Many of their older works were sold to Valdoria. Valdoria's capital is Serra.
"""


def test_a_sentence_is_about_what_its_paragraph_named_before_it_not_after(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"g": REPORT_G, "c": REPORT_C})
    q = analyse("What is the capital of Valdoria?", [])
    _, per_part, _ = engine.retrieve(q)
    _, eligible = featurise(q.parts[0], per_part[0], engine.evidence)
    verdict = {
        engine.index.passages[c.position].text: ok
        for c, ok in zip(per_part[0], eligible, strict=True)
    }
    # "Valdoria" comes later in the paragraph than the carvers' capitals: not their scope.
    assert verdict["Carvers in Castelo still cut stone capitals for the town's churches."] is False
    assert verdict["Valdoria's capital is Serra."] is True
    status, _, quotes = _supporting(engine, "What is the capital of Valdoria?")
    assert status == "answered" and "Serra" in quotes and "Carvers" not in quotes


def test_a_word_swapped_for_its_opposite_is_noticed() -> None:
    assert opposite_swapped("What is the smallest city?", "Warsaw is the largest city.")
    assert not opposite_swapped("What is the largest city?", "Warsaw is the largest city.")
    assert opposite_swapped("Who accepted the plan?", "The court rejected the plan.")
    # A name is not a word: "North America" does not swap with "the south".
    assert not opposite_swapped("Where in North America?", "They settled in the south.")


# A subject with everyday words: prices, the current one.
REPORT_H = """Markets in Valdoria

Traders said the current price of gold and other assets had risen.

Petrol prices rose after the floods, as the price of transport doubled.

Drivers said the current price of fuel is the highest they remember.
"""


def test_a_question_about_a_thing_the_corpus_never_names_is_out_of_scope(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"a": REPORT_A, "b": REPORT_B, "h": REPORT_H})
    # Every word but the name is the corpus's own ("the current price of ..."), and the sentence
    # that uses them is near in meaning; but nothing in the corpus is about Bitcoin.
    r = engine.ask("What is the current price of Bitcoin?")
    assert (r.status, r.decline_reason) == ("declined", "out_of_scope")
    r = engine.ask("What did traders say about the current price of gold?")
    assert r.status == "answered" and "price of gold" in r.answer
    # Rare words found together in one passage ("current" and "price" once, side by side)
    # still do not put a question about a thing the corpus never names on its subject.
    engine = _engine(tmp_path_factory, {"a": REPORT_A, "h": REPORT_H.split("\n\nPetrol")[0]})
    r = engine.ask("What is the current price of Bitcoin?")
    assert (r.status, r.decline_reason) == ("declined", "out_of_scope")


REPORT_I = """Hills of Valdoria

Monte Alto is the only mountain in Valdoria with a paved road to its summit.
"""


def test_only_does_not_rank(tmp_path_factory: pytest.TempPathFactory) -> None:
    # "The only mountain with a road" says nothing about which mountain is the tallest.
    engine = _engine(tmp_path_factory, {"a": REPORT_A, "i": REPORT_I})
    r = engine.ask("What is the tallest mountain in Valdoria?")
    assert r.status == "declined"
    assert all(c.related_only for c in r.citations)
    r = engine.ask("Which mountain in Valdoria has a paved road to its summit?")
    assert r.status == "answered" and "Monte Alto" in r.answer


def test_a_thing_given_only_as_another_names_does_not_answer() -> None:
    capital = owned("What is the capital of France?")
    assert capital == (("capital", ("france",)),)
    assert owned_elsewhere(capital, "It planned an attack on New France's capital, Quebec.")
    assert owned_elsewhere(capital, "Quebec became the capital of New France.")
    assert not owned_elsewhere(capital, "Paris is the capital of France.")
    assert not owned_elsewhere(capital, "The French capital is Paris.")  # not tied to a name
    # Once tied to another name and once not: the sentence may still say it.
    assert not owned_elsewhere(capital, "Lyon was never the capital, unlike Rome, Italy's capital.")
    approach = owned("What was Plato's approach considered?")
    assert owned_elsewhere(approach, "Agassiz's approach was distinctly idealist.")
    assert not owned_elsewhere(approach, "Plato's approach was distinctly idealist.")
    # The same name written another way: initials, or the name extended at its end.
    body = owned("What is the main executive body of the EU?")
    assert not owned_elsewhere(
        body, "The Commission is the main executive body of the European Union."
    )
    law = owned("Who wrote the principles of European Union Law?")
    assert not owned_elsewhere(law, "The principles of European Union law are unwritten.")
    # A question word that opens the question is not part of the name; the thing is the head
    # of what follows the name, not a modifier before it nor the verb after it.
    assert owned("Did Wagner's losses grow?") == (("loss", ("wagner",)),)
    assert owned("What is Wagner's annual budget?") == (("budget", ("wagner",)),)
    assert owned("What is Harvard's most intense rival?") == (("rival", ("harvard",)),)
    assert owned("What was Plato's approach considered?") == (("approach", ("plato",)),)
    assert owned("What is the name of Wagner's founder?") == (("founder", ("wagner",)),)
    # An auxiliary or a sentence opener with a capital is not part of the name after it.
    assert [name for _, name in owned("Does Kirby's estimate include convicts?")] == [("kirby",)]
    assert not owned_elsewhere(capital, "However France's capital was never moved.")
    assert owned_elsewhere(capital, "Yesterday New France's capital fell.")


REPORT_J = """Towns of Valdoria

Castelo is the capital of Valdoria and its largest town.

Braga became the capital of New Valdoria, the colony across the sea, in 1702.

The towns of Valdoria hold a market every Tuesday.
"""


def test_another_places_capital_does_not_answer_for_the_place_asked(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"j": REPORT_J})
    r = engine.ask("What is the capital of Valdoria?")
    assert r.status == "answered" and "Castelo is the capital" in r.answer
    # Without it, the corpus gives a capital only as another place's ("New Valdoria").
    colony = REPORT_J.replace("Castelo is the capital of Valdoria and its largest town.\n\n", "")
    engine = _engine(tmp_path_factory, {"j": colony})
    r = engine.ask("What is the capital of Valdoria?")
    assert r.status == "declined"
    assert all(c.related_only for c in r.citations)


REPORT_K = """The mayor of Castelo

Mayor Elena Ortiz, nicknamed "the Engineer" for her years at the water board, said 40% of Castelo was under water on Monday.

Ortiz was elected in a landslide.
"""


def test_an_age_a_population_or_a_budget_needs_its_figure(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"k": REPORT_K, "a": REPORT_A})
    # The sentence about her has a figure, a share of the town: not her age, nor how many live
    # there.
    r = engine.ask("How old is Mayor Ortiz?")
    assert (r.status, r.decline_reason) == ("declined", "figure_not_in_corpus")
    r = engine.ask("What is the population of Castelo?")
    assert (r.status, r.decline_reason) == ("declined", "figure_not_in_corpus")
    for question in ("What is the annual budget of Castelo?", "What is Mayor Ortiz's salary?"):
        r = engine.ask(question)
        assert (r.status, r.decline_reason) == ("declined", "figure_not_in_corpus"), question
    r = engine.ask("What share of Castelo was under water?")
    assert r.status == "answered" and "40%" in r.answer
    aged = REPORT_K.replace("Ortiz was elected", "Ortiz, 52 years old, was elected")
    engine = _engine(tmp_path_factory, {"k": aged, "a": REPORT_A})
    r = engine.ask("How old is Mayor Ortiz?")
    assert r.status == "answered" and "52 years old" in r.answer


def test_a_group_the_corpus_never_counts_is_a_missing_figure_not_another_subject(
    flood: Engine,
) -> None:
    # The floods' dead are the corpus's subject; Spanish volunteers are a group it has no figure
    # for, as a place it never names would be.
    r = flood.ask("How many Spanish volunteers were killed in the floods?")
    assert (r.status, r.decline_reason) == ("declined", "figure_not_in_corpus")
    assert r.citations and all(c.related_only for c in r.citations)


def test_a_question_in_another_language_is_declined_not_half_read(flood: Engine) -> None:
    # The rules that check a figure's kind, scope and event read English: "Cuántas" is not read as
    # "how many", so a Spanish question would be judged by the words it shares with the corpus
    # (a name) and whatever is near in embedding space.
    r = flood.ask("¿Cuántas casas destruyeron las inundaciones en Valdoria?")
    assert (r.status, r.decline_reason) == ("declined", "out_of_scope")
    # A bare keyword query has no function words either, but its words are the corpus's.
    r = flood.ask("Valdoria floods deaths")
    assert r.status == "answered" and "120" in r.answer


REPORT_L = """Castelo in the wars of 1820

At Castelo, Duke Armand fought the rebels of Count Berto in the spring of 1820.

The town was rebuilt within a decade.
"""
TITLES["l"] = "Castelo in the wars of 1820"


def test_an_irregular_past_says_its_verb_and_a_year_is_within_its_century(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"l": REPORT_L})
    # A who/where/when sentence must say what the question asks beyond its names: "fought" says
    # "fight".
    r = engine.ask("Who did Duke Armand fight at Castelo?")
    assert r.status == "answered" and "Count Berto" in r.answer
    # A century or a decade is covered by a year within it, and only by one.
    for asked in ("in the 19th century", "in the 1820s", "in the 1800s"):
        r = engine.ask(f"Who did Duke Armand fight at Castelo {asked}?")
        assert r.status == "answered" and "Count Berto" in r.answer, asked
    for asked in ("in the 18th century", "in the 1830s"):
        r = engine.ask(f"Who did Duke Armand fight at Castelo {asked}?")
        assert r.status == "declined", asked


REPORT_M = """Notes from the Serra valley

Sweden sent two rescue boats to the valley.

The relief convoy from Porto usually arrives at night, according to the drivers.

Hervé Duclos designed the new Serra bridge.
"""
TITLES["m"] = "Notes from the Serra valley"


def test_which_country_a_time_of_day_and_an_accented_name(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"m": REPORT_M})
    # "Which country" is answered by the country's name wherever it stands; "where" needs a
    # place the sentence locates something in.
    r = engine.ask("Which country sent rescue boats to the valley?")
    assert r.status == "answered" and "Sweden sent" in r.answer
    # A time of day answers "at what time".
    r = engine.ask("At what time does the relief convoy from Porto arrive?")
    assert r.status == "answered" and "at night" in r.answer
    # A question that writes a name without its accents asks about the accented one.
    r = engine.ask("What did Herve Duclos design?")
    assert r.status == "answered" and "Serra bridge" in r.answer


REPORT_N = """The Castelo fire brigade

About 40 firefighters of the brigade were injured in the blaze at the Serra mill, and 90% of these 40 firefighters were volunteers.

The Castelo brigade has 300 firefighters on its rolls.
"""
TITLES["n"] = "The Castelo fire brigade"


def test_a_count_of_those_something_happened_to_is_not_how_many_there_are(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine = _engine(tmp_path_factory, {"n": REPORT_N})
    r = engine.ask("How many firefighters does the Castelo brigade have?")
    assert r.status == "answered" and "300 firefighters" in r.answer
    assert "injured" not in " ".join(c.quote for c in r.citations if not c.related_only)
    r = engine.ask("How many firefighters were injured in the blaze?")
    assert r.status == "answered" and "About 40 firefighters" in r.answer
    # Without the roll, the only count is of the injured (twice: "these 40" is the same one).
    injured_only = REPORT_N.replace("The Castelo brigade has 300 firefighters on its rolls.\n", "")
    engine = _engine(tmp_path_factory, {"n": injured_only})
    r = engine.ask("How many firefighters does the Castelo brigade have?")
    assert r.status == "declined" and r.decline_reason == "figure_not_in_corpus"


def test_a_count_or_a_modal_may_is_not_a_date(tmp_path_factory: pytest.TempPathFactory) -> None:
    undated = (
        "The Castelo brigade\n\nThe Castelo brigade may hire 40 more volunteers, the mayor said.\n"
    )
    engine = _engine(tmp_path_factory, {"n": undated})
    assert engine.ask("When will the Castelo brigade hire volunteers?").status == "declined"
    dated = undated.replace("may hire 40 more volunteers", "will hire 40 more volunteers in May")
    engine = _engine(tmp_path_factory, {"n": dated})
    r = engine.ask("When will the Castelo brigade hire volunteers?")
    assert r.status == "answered" and "in May" in r.answer
