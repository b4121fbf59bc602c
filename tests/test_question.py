"""Question analysis on spaCy's parse (app/question.py) and the product's refusals (app/policy.py)."""

from __future__ import annotations

import pytest

from app.nlp import parse
from app.policy import is_speculation
from app.question import analyse, split_parts


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
    split = split_parts(parse("How much does it spend, and how many fighters does it have?"))
    assert split == ["How much does it spend", "how many fighters does it have"]
    assert split_parts(parse("Who paid for the weapons, and what were they?")) == [
        "Who paid for the weapons",
        "what were they",
    ]
    assert len(split_parts(parse("Who said this and when?"))) == 1
    assert len(split_parts(parse("Who built the bridge and the tower?"))) == 1


def test_a_later_part_is_read_with_the_part_its_pronoun_points_to() -> None:
    q = analyse("Who paid for the weapons, and what were they?")
    assert [p.refers_back for p in q.parts] == [False, True]


def test_history_resolves_pronouns_for_retrieval_and_reading() -> None:
    q = analyse(
        "What did he say about North Korea?",
        [("user", "Who is John Kirby?"), ("assistant", "A coordinator.")],
    )
    assert "Kirby" in q.search_text and q.referents == (("kirby",),)
    alone = analyse("What did Kirby say about North Korea?", [("user", "Who is Prigozhin?")])
    assert alone.search_text == alone.text and not alone.previous  # no pronoun: no history


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("How many fighters died?", True),
        ("How much money does it spend each month?", True),
        ("How long did they serve?", True),
        ("How old is the mayor?", True),
        ("What share of the pardoned reoffended?", True),
        ("What was the death toll on Friday?", True),
        ("What is the number of convicts pardoned?", True),
        ("Who said that?", False),
        ("How did the dam fail?", False),
        ("Why did the council resign?", False),
        ("What did the minister say about the toll?", False),
    ],
)
def test_a_figure_question_is_told_by_its_parse(question: str, figure: bool) -> None:
    assert analyse(question).parts[0].wants_figure is figure


def test_scope_names_places_years_groups_and_people() -> None:
    part = analyse("How many Wagner fighters died in Mali in 2021?").parts[0]
    assert {("wagner",), ("mali",), ("2021",)} <= set(part.scope)
    # A person is found by their surname; dotted initials are one word.
    part = analyse("According to John Kirby, what did the U.S. estimate?").parts[0]
    assert ("kirby",) in part.scope and ("us",) in part.scope


def test_asking_whether_the_sources_agree() -> None:
    q = analyse("How big is the group, and do the sources agree on its size?")
    assert len(q.parts) == 2 and q.parts[1].compares_sources and q.parts[1].only_agreement
    assert not q.parts[0].only_agreement


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
