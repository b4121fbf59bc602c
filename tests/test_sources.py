from __future__ import annotations

from pathlib import Path

import pytest

from app.sources import CorpusError, corpus_hash, load_corpus, read_source
from tests.conftest import CORPUS, SEEDS, write_source


def test_vetted_corpus_bodies_are_the_seeds_exactly() -> None:
    sources = load_corpus(CORPUS)
    assert len(sources) == 3
    for s in sources:
        assert s.text == (SEEDS / f"{s.id}.txt").read_text(encoding="utf-8")
        assert s.published is None and s.url is None  # not stated by the text: never guessed
    by_id = {s.id: s for s in sources}
    assert by_id["001_1b95ffcaa136a939"].outlet == "Business Insider"
    # The audio clip was reported by Reuters; that does not make it a Reuters article.
    assert by_id["000_40f2dc99ac1e1a11"].outlet is None


def test_front_matter_defaults_and_unknown_keys(tmp_path: Path) -> None:
    write_source(tmp_path, "plain.txt", "First line title\n\nBody text.")
    write_source(tmp_path, "meta.md", "Body.\n", "id: custom\npublished: 2023-05-01\nreviewer: ann")
    sources = {s.id: s for s in load_corpus(tmp_path)}
    assert sources["plain"].title == "First line title"
    assert sources["plain"].text == "First line title\n\nBody text."
    assert sources["custom"].published == "2023-05-01"
    assert sources["custom"].extra == {"reviewer": "ann"}
    assert sources["custom"].text == "Body.\n"


def test_body_is_kept_as_written(tmp_path: Path) -> None:
    body = "  Leading spaces\r\nand CRLF\u00a0kept  \n\n"
    (tmp_path / "a.txt").write_bytes(body.encode("utf-8"))
    assert read_source(tmp_path / "a.txt").text == body


def test_readme_is_not_a_source(tmp_path: Path) -> None:
    write_source(tmp_path, "README.md", "# about")
    write_source(tmp_path, "a.txt", "A source.")
    assert [s.id for s in load_corpus(tmp_path)] == ["a"]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("bad.md", b"---\ntitle: [unclosed\n---\nbody", "not valid YAML"),
        ("open.md", b"---\ntitle: x\nbody never closed", "never closed"),
        ("list.md", b"---\n- a\n- b\n---\nbody", "mapping"),
        ("empty.md", b"---\ntitle: x\n---\n  \n", "body is empty"),
        ("latin1.txt", "caf\u00e9".encode("latin-1"), "not UTF-8"),
        ("binary.txt", b"abc\x00def", "NUL"),
        ("date.md", b"---\npublished: last tuesday\n---\nbody", "ISO date"),
        ("badid.md", b"---\nid: ../etc/passwd\n---\nbody", "id"),
    ],
)
def test_malformed_file_is_named_with_its_problem(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(CorpusError) as err:
        load_corpus(tmp_path)
    assert name in str(err.value) and problem in str(err.value)


def test_every_bad_file_is_reported_at_once(tmp_path: Path) -> None:
    write_source(tmp_path, "good.md", "A good source.")
    write_source(tmp_path, "twin.md", "Same id as good.", "id: good")
    (tmp_path / "yaml.md").write_bytes(b"---\ntitle: [\n---\nbody")
    (tmp_path / "latin1.txt").write_bytes("caf\u00e9".encode("latin-1"))
    write_source(tmp_path, "hollow.md", "  \n", "title: x")
    with pytest.raises(CorpusError) as err:
        load_corpus(tmp_path)
    assert err.value.problems == (
        "hollow.md: the body is empty",
        "latin1.txt: not UTF-8 (byte 3)",
        "twin.md: duplicate id 'good' (also used by good.md)",
        "yaml.md: front matter is not valid YAML (while parsing a flow node)",
    )
    message = str(err.value)
    assert message.startswith("4 files cannot be read as sources: hollow.md: the body is empty; ")
    assert "\n" not in message  # one line wherever it is shown


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    write_source(tmp_path, "a.md", "one", "id: same")
    write_source(tmp_path, "b.md", "two", "id: same")
    with pytest.raises(CorpusError, match="duplicate id 'same'"):
        load_corpus(tmp_path)


def test_empty_directory_and_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no sources"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")


def test_corpus_hash_changes_with_text_and_metadata(tmp_path: Path) -> None:
    write_source(tmp_path, "a.md", "Body.", "title: One")
    first = corpus_hash(load_corpus(tmp_path))
    write_source(tmp_path, "a.md", "Body.", "title: Two")
    second = corpus_hash(load_corpus(tmp_path))
    write_source(tmp_path, "a.md", "Body!", "title: Two")
    assert len({first, second, corpus_hash(load_corpus(tmp_path))}) == 3
