"""Every figure block in README.md and docs/*.md matches the results file it is generated from."""

from __future__ import annotations

from pathlib import Path

from evals import figures


def test_documents_figures_match_the_results_files() -> None:
    assert figures.stale() == [], "run `python -m evals.figures` after new results"
    blocks = [
        name
        for path in figures.DOCUMENTS
        for _, name, _, _ in figures._BLOCK.findall(path.read_text(encoding="utf-8"))
    ]
    assert {"quality", "speed"} <= set(blocks)


def test_a_changed_figure_is_caught(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    good = figures.rendered("<!-- figures: speed -->\n<!-- /figures -->\n")
    doc.write_text(good, encoding="utf-8")
    assert figures.stale([doc]) == []
    doc.write_text(good.replace(" ms", "0 ms", 1), encoding="utf-8")
    assert figures.stale([doc]) == ["doc.md: figures block 'speed' differs from the results"]
