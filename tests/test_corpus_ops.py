from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.config import Settings
from app.corpus_ops import add_source, remove_source
from app.sources import CorpusError, load_corpus
from tests.conftest import CORPUS


@pytest.fixture()
def local(tmp_path: Path) -> Settings:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_add_replace_remove(local: Settings) -> None:
    change = add_source(local, "new.md", b"---\nid: fresh\n---\nA vetted body.")
    assert change.action == "added" and "fresh" in {s.id for s in load_corpus(local.corpus_dir)}
    with pytest.raises(CorpusError, match="already in the corpus"):
        add_source(local, "other.md", b"---\nid: fresh\n---\nAnother body.")
    replaced = add_source(local, "other.md", b"---\nid: fresh\n---\nAnother body.", replace=True)
    assert replaced.action == "replaced"
    texts = {s.id: s.text for s in load_corpus(local.corpus_dir)}
    assert texts["fresh"] == "Another body." and not (local.corpus_dir / "new.md").exists()
    removed = remove_source(local, "fresh")
    assert removed.action == "removed"
    assert "fresh" not in {s.id for s in load_corpus(local.corpus_dir)}
    assert any((local.data_dir / "removed").iterdir())  # kept, not deleted


@pytest.mark.parametrize(
    ("filename", "content", "problem"),
    [
        ("bad.md", b"---\ntitle: [\n---\nbody", "not valid YAML"),
        ("empty.md", b"", "body is empty"),
        ("bin.txt", b"\xff\xfe\x00", "not UTF-8"),
        ("../escape.md", b"body", "file name"),
        ("notes.pdf", b"body", "file name"),
        ("README.md", b"body", "not a source"),
        ("dup.md", b"---\nid: 000_40f2dc99ac1e1a11\n---\nbody", "already in the corpus"),
    ],
)
def test_bad_sources_change_nothing(
    local: Settings, filename: str, content: bytes, problem: str
) -> None:
    before = _snapshot(local.corpus_dir)
    with pytest.raises(CorpusError, match=problem):
        add_source(local, filename, content)
    assert _snapshot(local.corpus_dir) == before


def test_remove_unknown_or_last(local: Settings) -> None:
    with pytest.raises(KeyError):
        remove_source(local, "nope")
    for sid in ("000_40f2dc99ac1e1a11", "001_1b95ffcaa136a939"):
        remove_source(local, sid)
    with pytest.raises(CorpusError, match="last source"):
        remove_source(local, "002_bdaf77c2435e2623")
