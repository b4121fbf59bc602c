"""The passage index: vectors in ChromaDB (embedded, or a Chroma server), BM25 in memory.

A collection is named after the corpus hash and the model fingerprint, so an index is rebuilt only
when either changes. It is written under a temporary name and renamed when complete: a crash
mid-ingest never leaves a half-built collection under the serving name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from app.config import Settings
from app.embeddings import Embedder
from app.lexical import BM25Index, Within
from app.passages import Passage, split_corpus
from app.sources import Source, corpus_hash, load_corpus
from app.text import covers, stem, words

log = logging.getLogger(__name__)
PREFIX = "verbatim_"
BATCH = 128
Progress = Callable[[int, int], None]


def chroma_client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def collection_name(corpus_version: str, model_fp: str) -> str:
    digest = hashlib.sha256(f"{corpus_version}:{model_fp}".encode()).hexdigest()[:24]
    return f"{PREFIX}{digest}"


@dataclass
class PassageIndex:
    """Everything the query path needs, built once: passages, their vectors, BM25, the store."""

    sources: dict[str, Source]
    passages: list[Passage]
    vectors: np.ndarray  # one normalised row per passage, in `passages` order
    bm25: BM25Index
    store: Chroma
    corpus_version: str
    built: bool  # True when this process embedded the corpus, False when it reused an index
    client: Any = None  # the Chroma client the store uses
    collection: str = ""  # the collection this index reads
    embedded: bool = True  # an embedded store (False: a Chroma server)

    def dense(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest passages from Chroma, as (passage position, cosine similarity)."""
        hits = self.store.similarity_search_by_vector_with_relevance_scores(
            query_vector.tolist(), k=min(k, len(self.passages))
        )
        position = self._position
        return [(position[doc.id], 1.0 - dist) for doc, dist in hits if doc.id in position]

    def __post_init__(self) -> None:
        self._position = {p.id: i for i, p in enumerate(self.passages)}
        self._by_source: dict[str, list[Passage]] = {}
        self._positions: dict[str, list[int]] = {}
        for i, p in enumerate(self.passages):
            self._by_source.setdefault(p.source_id, []).append(p)
            self._positions.setdefault(p.source_id, []).append(i)
        self._titles = {
            sid: frozenset(stem(w) for w in words(s.title)) for sid, s in self.sources.items()
        }
        self._naming: dict[str, frozenset[str]] = {}
        self._within: dict[frozenset[str], Within] = {}

    def drop_others(self) -> None:
        """Delete every collection but this index's own (after a switch)."""
        drop_stale_collections(self.client, self.collection, embedded=self.embedded)

    def passages_of(self, source_id: str) -> list[Passage]:
        return self._by_source.get(source_id, [])

    def sources_naming(self, term: str) -> frozenset[str]:
        """The sources whose text or title holds the (stemmed) term, by `covers`: where
        evidence about a named scope can be at all. Cached per term."""
        found = self._naming.get(term)
        if found is None:
            if len(self._naming) > 10_000:
                self._naming.clear()
            vocab = [v for v in self.bm25.idf if covers(term, (v,))]
            hits = {self.passages[int(i)].source_id for v in vocab for i in self.bm25.docs_with(v)}
            hits |= {sid for sid, title in self._titles.items() if covers(term, title)}
            found = self._naming[term] = frozenset(hits)
        return found

    def positions_of(self, source_id: str) -> list[int]:
        return self._positions.get(source_id, [])

    def within(self, source_ids: frozenset[str]) -> Within:
        """BM25 statistics over these sources' passages alone, as if they were the corpus.
        Cached per set of sources."""
        found = self._within.get(source_ids)
        if found is None:
            if len(self._within) > 256:
                self._within.clear()
            positions = np.asarray(
                [i for sid in sorted(source_ids) for i in self.positions_of(sid)], dtype=np.int64
            )
            found = self._within[source_ids] = self.bm25.within(positions)
        return found


def _existing(client: Any, name: str) -> Any | None:
    try:
        return client.get_collection(name)
    except Exception:  # chromadb raises NotFoundError or ValueError by version
        return None


def _embed_into(
    client: Any, name: str, passages: list[Passage], embedder: Embedder, progress: Progress | None
) -> None:
    building = f"{name}_building_{os.getpid()}"
    if _existing(client, building) is not None:
        client.delete_collection(building)
    collection = client.create_collection(
        building, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    total = len(passages)
    for start in range(0, total, BATCH):
        batch = passages[start : start + BATCH]
        vectors = embedder.encode([p.text for p in batch])
        collection.add(
            ids=[p.id for p in batch],
            embeddings=vectors,
            documents=[p.text for p in batch],
            metadatas=[{"source_id": p.source_id, "start": p.start, "end": p.end} for p in batch],
        )
        if progress:
            progress(min(start + BATCH, total), total)
    try:
        collection.modify(name=name)
    except Exception:
        # Another worker finished the same version first: theirs serves, ours is dropped.
        if _existing(client, name) is None:
            raise
        client.delete_collection(building)


def _builder_alive(name: str) -> bool:
    """A temporary collection's builder, by the pid in its name, is still running here."""
    try:
        os.kill(int(name.rsplit("_", 1)[1]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def drop_stale_collections(client: Any, keep: str, embedded: bool = True) -> None:
    """Delete every other version's collection, and half-built ones whose builder died (an
    ingest killed mid-way). A live builder's temporary collection is left alone."""
    for collection in client.list_collections():
        name = getattr(collection, "name", collection)
        if not name.startswith(PREFIX) or name == keep:
            continue
        if "_building_" in name and (not embedded or _builder_alive(name)):
            continue
        try:
            client.delete_collection(name)
        except Exception:  # already gone: another worker cleaned up first
            log.debug("collection %s vanished during clean-up", name)


def open_index(
    settings: Settings,
    embedder: Embedder,
    model_fp: str,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    drop_stale: bool = True,
) -> PassageIndex:
    """Load and validate the corpus, then reuse the matching index or build it."""
    sources = load_corpus(settings.corpus_dir)
    passages = split_corpus(sources)
    version = corpus_hash(sources)[:16]
    client = chroma_client(settings)
    name = collection_name(version, model_fp)
    collection = _existing(client, name)
    if collection is not None and (rebuild or collection.count() != len(passages)):
        client.delete_collection(name)
        collection = None
    built = collection is None
    if built:
        started = time.perf_counter()
        _embed_into(client, name, passages, embedder, progress)
        log.info(
            "indexed %d passages from %d sources in %.1fs",
            len(passages),
            len(sources),
            time.perf_counter() - started,
        )
        collection = client.get_collection(name)
    assert collection is not None
    if drop_stale:
        drop_stale_collections(client, name, embedded=not settings.chroma_host)
    stored = collection.get(include=["embeddings"])
    row = {pid: i for i, pid in enumerate(stored["ids"])}
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)[[row[p.id] for p in passages]]
    store = Chroma(client=client, collection_name=name, embedding_function=embedder)
    if not settings.chroma_host:
        _write_manifest(settings.data_dir, name, version, model_fp, len(passages))
    return PassageIndex(
        sources={s.id: s for s in sources},
        passages=passages,
        vectors=vectors,
        bm25=BM25Index([p.text for p in passages]),
        store=store,
        corpus_version=version,
        built=built,
        client=client,
        collection=name,
        embedded=not settings.chroma_host,
    )


def _write_manifest(data_dir: Path, name: str, version: str, model_fp: str, count: int) -> None:
    manifest = {
        "collection": name,
        "corpus_version": version,
        "model": model_fp,
        "passages": count,
    }
    tmp = data_dir / "index.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    tmp.replace(data_dir / "index.json")
