"""The verifier against answers built to break the contract: a fake composer that invents."""

from __future__ import annotations

import logging

import pytest

from app.compose import Quote, citation
from app.engine import Engine
from app.schemas import AskResponse, Citation
from app.verify import verify


def _citation(engine: Engine, n: int, needle: str) -> Citation:
    source = next(s for s in engine.index.sources.values() if needle in s.text)
    start = source.text.index(needle)
    return citation(engine.index, Quote(source.id, start, start + len(needle)), n)


def _answer(engine: Engine, text: str, citations: list[Citation]) -> AskResponse:
    return AskResponse(
        status="answered",
        answer=text,
        citations=citations,
        decline_reason=None,
        corpus_version=engine.corpus_version,
    )


def test_an_honest_answer_passes(engine: Engine) -> None:
    c = _citation(engine, 1, "about 1,000 Wagner fighters have been killed in combat")
    assert (
        verify(
            _answer(engine, f"One source addresses this:\n\n“{c.quote}” [1]", [c]),
            engine.index.sources,
        )
        == []
    )


@pytest.mark.parametrize(
    "framing",
    [
        "About 90,000 died, one source says:",  # an invented figure
        "Roughly half of them died:",  # a quantity word outside a quote
        "In 2014, this began:",  # a year is a number too
        "Losses were 0.31% lower:",
    ],
)
def test_a_fake_composer_that_invents_a_number_is_caught(engine: Engine, framing: str) -> None:
    c = _citation(engine, 1, "about 1,000 Wagner fighters have been killed in combat")
    problems = verify(_answer(engine, f"{framing}\n\n“{c.quote}” [1]", [c]), engine.index.sources)
    assert any("numbers outside cited quotes" in p.message for p in problems)


def test_altered_quote_and_shifted_offsets_are_caught(engine: Engine) -> None:
    c = _citation(engine, 1, "about 1,000 Wagner fighters have been killed in combat")
    forged = c.model_copy(update={"quote": c.quote.replace("1,000", "10,000")})
    shifted = c.model_copy(update={"start": c.start + 1, "end": c.end + 1})
    for bad in (forged, shifted):
        problems = verify(_answer(engine, f"“{bad.quote}” [1]", [bad]), engine.index.sources)
        assert any("offsets" in p.message for p in problems)


def test_dangling_marker_and_missing_quote_are_caught(engine: Engine) -> None:
    c = _citation(engine, 1, "about 1,000 Wagner fighters have been killed in combat")
    problems = verify(_answer(engine, f"“{c.quote}” [1] and more [2]", [c]), engine.index.sources)
    assert any("[2] has no citation" in p.message for p in problems)
    problems = verify(_answer(engine, "Paraphrased instead.", [c]), engine.index.sources)
    assert any("not in the answer" in p.message for p in problems)


def test_engine_never_sends_a_failing_answer(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    good = _citation(engine, 1, "about 1,000 Wagner fighters have been killed in combat")
    forged = _citation(engine, 2, "The group spends $100 million a month")
    forged = forged.model_copy(update={"quote": "The group spends $900 million a month"})
    bad = _answer(engine, f"“{good.quote}” [1]\n\n“{forged.quote}” [2]", [good, forged])
    with caplog.at_level(logging.WARNING):
        repaired = engine._verified(bad)
    assert verify(repaired, engine.index.sources) == []
    assert "$900 million" not in repaired.answer and good.quote in repaired.answer
    assert "verifier rejected" in caplog.text
    invented = _answer(engine, f"Some 90,000 died:\n\n“{good.quote}” [1]", [good])
    declined = engine._verified(invented)
    assert declined.status == "declined" and "90,000" not in declined.answer


def test_the_outside_check_reads_nested_quotes_in_any_order(engine: Engine) -> None:
    from evals.metrics import invariant_breaks, outside_quotes

    wide = _citation(engine, 1, "about 1,000 Wagner fighters have been killed in combat")
    narrow = _citation(engine, 2, "Wagner fighters have been killed")
    for order in ([wide, narrow], [narrow, wide]):
        text = "Two quotes:\n\n" + "\n\n".join(f"“{c.quote}” [{c.n}]" for c in order)
        # The wide quote holds the narrow one; its figure is inside a quote in either order
        # (taken out narrow first, the wide one would no longer be found, leaving "1,000").
        assert "1,000" not in outside_quotes(text, [c.quote for c in order])
        assert "1,000" not in outside_quotes(text, [c.quote for c in reversed(order)])
        r = _answer(engine, text, order)
        assert verify(r, engine.index.sources) == []
        assert invariant_breaks(r, engine.index.sources) == []
