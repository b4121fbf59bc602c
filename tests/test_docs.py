"""Every figure block in README.md and docs/*.md matches the results file it is generated from."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from evals import figures, runner


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


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_results_name_the_commit_they_were_measured_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.invalid")
    git("config", "user.name", "t")
    (tmp_path / "evals" / "results").mkdir(parents=True)
    (tmp_path / "weights.bin").write_text("a", encoding="utf-8")
    (tmp_path / "README.md").write_text("a", encoding="utf-8")
    (tmp_path / "evals" / "results" / "x-latest.json").write_text("{}", encoding="utf-8")
    git("add", ".")
    git("-c", "commit.gpgsign=false", "commit", "-qm", "start")
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    head = runner._commit()
    assert len(head) >= 7 and "+" not in head
    # New results and prose leave the commit as it is ...
    (tmp_path / "evals" / "results" / "x-latest.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "README.md").write_text("b", encoding="utf-8")
    assert runner._commit() == head
    # ... weights or code not yet committed are said to be.
    (tmp_path / "weights.bin").write_text("b", encoding="utf-8")
    assert runner._commit() == f"{head}+changes"
    # Outside a repository nothing is claimed.
    monkeypatch.setattr(runner, "ROOT", tmp_path / "evals")
    (tmp_path / ".git").rename(tmp_path / "git-moved")
    assert runner._commit() == "unknown"
