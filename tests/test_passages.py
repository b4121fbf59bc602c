from __future__ import annotations

from app.passages import split_corpus, split_source
from app.sources import load_corpus, parse_source
from tests.conftest import CORPUS


def _units(text: str) -> list[str]:
    return [p.text for p in split_source(parse_source(text, "t.txt", "t"))]


def test_offsets_reproduce_every_unit_of_the_corpus() -> None:
    sources = {s.id: s for s in load_corpus(CORPUS)}
    passages = split_corpus(list(sources.values()))
    assert len(passages) > 50
    for p in passages:
        assert sources[p.source_id].text[p.start : p.end] == p.text
        assert sources[p.source_id].text[p.para_start : p.para_end] == p.paragraph
        assert p.text == p.text.strip(" \n\u00a0")


def test_figures_stay_inside_their_sentence() -> None:
    texts = " ".join(p.text for p in split_corpus(load_corpus(CORPUS)))
    for figure in ("$100 million a month", "only 0.31% of those", "between 20,000 and 30,000"):
        assert figure in texts
    units = [p.text for p in split_corpus(load_corpus(CORPUS))]
    assert any("$100 million" in u and u.endswith("he said.") for u in units)


def test_bullets_are_units_without_their_marker() -> None:
    units = _units("Title\n\n  • First point here.\n\n  • Second point.\n\nBody sentence.")
    assert units == ["Title", "First point here.", "Second point.", "Body sentence."]


def test_repeated_headline_is_one_unit() -> None:
    units = _units("Big news today\n\nBig news today\n\nThe body. It goes on.")
    assert units == ["Big news today", "The body.", "It goes on."]


def test_quotation_spanning_sentences_is_one_unit() -> None:
    text = "Intro.\n\n“First quoted sentence. Second quoted one,” Kirby said. Then more."
    assert _units(text) == [
        "Intro.",
        "“First quoted sentence. Second quoted one,” Kirby said.",
        "Then more.",
    ]


def test_abbreviations_and_decimals_do_not_split() -> None:
    text = "The U.S. said Mr. Smith saw 0.31% growth. Dr. Jones met the U.K. team. Next."
    assert _units(text) == [
        "The U.S. said Mr. Smith saw 0.31% growth.",
        "Dr. Jones met the U.K. team.",
        "Next.",
    ]


def test_non_breaking_spaces_are_kept_inside_and_trimmed_at_edges() -> None:
    text = "\u00a0A\u00a0sentence with\u00a0spaces.\u00a0 Another one."
    assert _units(text) == ["A\u00a0sentence with\u00a0spaces.", "Another one."]


def test_headings_are_marked() -> None:
    passages = split_source(parse_source("A headline\n\nA body sentence. Another.", "t", "t"))
    assert [p.heading for p in passages] == [True, False, False]
