"""The same index and engine code against a real `chroma run` server on loopback."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.engine import Engine
from app.index import chroma_client
from app.publish import LEASE, ChangeBusy, ChangeLock
from tests.conftest import CORPUS
from tests.live_server import chroma_server


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as port:
        yield port


def test_engine_answers_from_a_chroma_server(
    chroma_port: int, tmp_path: Path, engine: Engine
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings(
        corpus_dir=corpus,
        data_dir=tmp_path / "data",
        chroma_host="127.0.0.1",
        chroma_port=chroma_port,
    )
    served = Engine(settings)
    assert served.index.built
    again = Engine(settings)  # a second worker: reuses the server's index, embeds nothing
    assert not again.index.built
    question = "How much money does the Wagner Group spend each month?"
    remote, local = again.ask(question), engine.ask(question)
    assert remote.status == local.status == "answered"
    assert [c.quote for c in remote.citations] == [c.quote for c in local.citations]
    assert not (tmp_path / "data" / "chroma").exists()  # nothing stored locally


def test_the_change_lock_is_a_lease_on_the_chroma_server(chroma_port: int, tmp_path: Path) -> None:
    def settings(machine: str) -> Settings:  # two machines: nothing local in common
        return Settings(
            corpus_dir=CORPUS,
            data_dir=tmp_path / machine,
            chroma_host="127.0.0.1",
            chroma_port=chroma_port,
        )

    one, two = settings("one"), settings("two")
    busy = "another corpus change is running: verbatim add a.md"
    with (
        ChangeLock(one, chroma_client(one), "verbatim add a.md"),
        pytest.raises(ChangeBusy, match=busy),
    ):
        ChangeLock(two, chroma_client(two), "verbatim remove b").acquire(wait=1.0)
    # Released: the other machine takes it at once.
    ChangeLock(two, chroma_client(two), "verbatim remove b").acquire(wait=0).release()
    # A holder killed without releasing leaves a lease nobody renews: once it has expired, the
    # next change takes it over instead of waiting forever.
    client = chroma_client(one)
    client.create_collection(
        LEASE, metadata={"what": "verbatim ingest", "pid": 1, "expires": time.time() - 1}
    )
    taken = ChangeLock(two, chroma_client(two), "verbatim add c.md").acquire(wait=5.0)
    assert "verbatim add c.md" in taken.holder()
    taken.release()
    assert LEASE not in {c.name for c in client.list_collections()}
