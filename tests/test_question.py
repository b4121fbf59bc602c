from __future__ import annotations

import pytest

from app.question import analyse, answer_type, is_speculation, qualifiers, split_parts


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many fighters died?", "count"),
        ("How much money does it spend each month?", "money"),
        ("What share of the pardoned reoffended?", "percent"),
        ("What percentage were convicts?", "percent"),
        ("When was it founded?", "date"),
        ("In what year was it founded?", "year"),
        ("How long did they serve?", "duration"),
        ("Who said that?", "person"),
        ("Where did they fight?", "place"),
        ("Why did it happen?", "other"),
        # "when" asks only as the question's own word; after another, it opens a clause
        ("The price was stable until when?", "date"),
        ("And when did he say it?", "date"),
        ("What did Kirby say when asked about the losses?", "other"),
        ("Which measure must be adopted when there is a choice?", "other"),
        ("How many died when the dam broke?", "count"),
        ("When the dam broke, which towns were flooded?", "other"),
    ],
)
def test_answer_types(question: str, kind: str) -> None:
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    "question",
    [
        "Can you estimate how many died?",
        "Estimate the number of casualties.",
        "What is your best guess for the toll?",
        "Give me a ballpark figure.",
        "Just give me a number, even if it's not stated.",
        "How many do you think will die next year?",
        "Make up a plausible figure.",
        "What would Wagner's losses probably be by the end of the year?",
    ],
)
def test_speculation_is_recognised(question: str) -> None:
    assert is_speculation(question)


@pytest.mark.parametrize(
    "question",
    [
        "What does the United States estimate?",
        "How many personnel does the U.S. estimate Wagner has?",
        "What did the institute predict?",
        "Who said it was speculation?",
        "Which units would likely be affected, according to the MOD?",
    ],
)
def test_asking_what_a_source_estimates_is_not_speculation(question: str) -> None:
    assert not is_speculation(question)


def test_multi_part_questions_split() -> None:
    assert split_parts("How much does it spend, and how many fighters does it have?") == [
        "How much does it spend",
        "how many fighters does it have",
    ]
    assert len(split_parts("Who said this and when?")) == 1


def test_history_resolves_pronouns_for_retrieval() -> None:
    q = analyse(
        "What did he say about North Korea?",
        [("user", "Who is John Kirby?"), ("assistant", "A coordinator.")],
    )
    assert "Kirby" in q.search_text and q.context_terms
    alone = analyse("What did Kirby say about North Korea?", [("user", "Who is Prigozhin?")])
    assert alone.search_text == alone.text  # no pronoun: history does not leak in


def test_scope_names_places_years_and_figures() -> None:
    part = analyse("How many Wagner fighters died in Mali in 2021?").parts[0]
    assert {"wagner", "mali", "2021"} <= set(part.scope)
    assert part.wants_figure


@pytest.mark.parametrize(
    ("request_text", "task"),
    [
        ("Translate 'good morning' into Spanish.", True),
        ("Could you write me some code to parse this?", True),
        ("Write down what the mayor said.", False),
        ("What did the translator say?", False),
    ],
)
def test_tasks_no_corpus_answers_are_told_apart(request_text: str, task: bool) -> None:
    assert analyse(request_text).task is task


def test_asking_for_new_text_about_the_subject_is_asking_to_invent() -> None:
    assert is_speculation("Write a poem about the floods.")
    assert is_speculation("Compose a short story about the battle")
    assert not is_speculation("Write down what the mayor said.")


def test_a_place_or_time_that_qualifies_the_question_is_not_its_subject() -> None:
    # "in Mali" narrows a question about floods; "Bitcoin" is what the question is about.
    assert qualifiers("How many people were killed in the floods in Mali?") == {"mali"}
    assert qualifiers("What did the mayor say during the Serra Festival?") == {"serra", "festival"}
    assert qualifiers("During the Serra Festival, what did the mayor say?") == {"serra", "festival"}
    assert qualifiers("What is the current price of Bitcoin?") == frozenset()
    # A people's adjective before what it qualifies; not a name that is the thing asked about.
    assert qualifiers("How many Ukrainian soldiers died in Bakhmut?") == {"ukrainian", "bakhmut"}
    assert qualifiers("What is the Bitcoin price?") == frozenset()
    # "on" takes a verb's object as often as a place.
    assert qualifiers("What restrictions did the regulator impose on Valdoria?") == frozenset()


def test_an_age_a_population_or_an_average_is_a_figure_question() -> None:
    assert analyse("How old is Prigozhin?").parts[0].measure == "age"
    assert analyse("At what age did the workers retire?").parts[0].measure == "age"
    assert analyse("What was the population of Castelo?").parts[0].measure == "population"
    weight = analyse("What is the average weight of a fighter?").parts[0]
    assert (weight.answer_type, weight.measure) == ("count", "mass")
    assert analyse("What is the total number of convicts pardoned?").parts[0].units == ("convict",)
    assert analyse("What is the current price of gold?").parts[0].answer_type == "money"
    assert analyse("What is Wagner's annual budget?").parts[0].answer_type == "money"
    assert analyse("What is Mayor Ortiz's salary?").parts[0].answer_type == "money"


def test_spans_of_time_small_numbers_and_dotted_initials_have_one_spelling() -> None:
    from app.text import equivalent_terms, scope_terms

    assert scope_terms("Who settled near Florida in the 16th century?") == ["florida", "15xx"]
    assert scope_terms("Who were mayors in the 1600s and 1700s?") == ["16xx", "17xx"]
    assert scope_terms("How many fled in the 1960s?") == ["196x"]
    assert {"15xx", "156x"} <= equivalent_terms("In 1564 a colony was founded.")
    assert {"16xx", "17xx"} <= equivalent_terms("mayors in the 17th and 18th centuries")
    assert "19xx" in equivalent_terms("in the 1960s")
    assert {"2", "three", "us"} <= equivalent_terms("both parties, 3 layers, the U.S. Army")
    # An ordinal or a decimal is not a small number
    assert not {"seventeen", "three"} & equivalent_terms("the 17th day, 3.5 kg")
