"""The passage index: vectors in ChromaDB (embedded, or a Chroma server), BM25 in memory.

An index is a collection named after the corpus hash and the model fingerprint (plus a build id),
so it is rebuilt only when either changes, with a companion collection holding its sources. It is
marked complete only once every passage is in, and serves only once published (app/publish.py):
a crash mid-ingest never leaves a half-built index serving. A serving process holds the whole
index in memory too, so it keeps answering even if its collection is dropped under it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import time
import uuid
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
from app.publish import ChangeLock, Published, publish, read_published
from app.sources import Source, corpus_hash, load_corpus
from app.text import covers, stem, words

log = logging.getLogger(__name__)
PREFIX = "verbatim_"
SOURCES = ".sources"  # the companion collection of an index: its sources, whole
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
    # Opening sets up Chroma's database; two processes doing it at once on a new folder (the
    # workers of `verbatim serve --workers N`) collide ("table collections already exists").
    with (settings.data_dir / "chroma.open.lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
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
    _warned: bool = dataclasses.field(default=False, init=False, repr=False)

    def dense(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest passages from Chroma, as (passage position, cosine similarity). Should the
        collection be gone (dropped after two newer publications) or the server unreachable,
        the same search runs exactly over the vectors held here: the index is still whole."""
        k = min(k, len(self.passages))
        try:
            hits = self.store.similarity_search_by_vector_with_relevance_scores(
                query_vector.tolist(), k=k
            )
        except Exception as exc:  # chromadb's NotFoundError, or a connection error
            if not self._warned:
                log.warning("searching %s in memory: %s", self.collection, exc)
                self._warned = True
            scores = self.vectors @ query_vector.astype(np.float32)
            top = np.argsort(-scores)[:k]
            return [(int(i), float(scores[i])) for i in top]
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


def _complete(client: Any, family: str, passages: int, prefer: str = "") -> str | None:
    """A finished index of this corpus version and model, the published one first."""
    names = [getattr(c, "name", c) for c in client.list_collections()]
    ordered = sorted(
        (n for n in names if n.startswith(family + "-") and not n.endswith(SOURCES)),
        key=lambda n: n != prefer,
    )
    for name in ordered:
        collection = _existing(client, name)
        meta = (collection.metadata or {}) if collection is not None else {}
        if meta.get("complete") and meta.get("passages") == passages:
            return str(name)
    return None


def _build(
    client: Any,
    family: str,
    sources: list[Source],
    passages: list[Passage],
    version: str,
    embedder: Embedder,
    progress: Progress | None,
) -> str:
    """Embed the corpus into a new collection (and its sources into a companion), marked
    complete only at the end: an index whose builder died is never taken for a finished one."""
    name = f"{family}-{uuid.uuid4().hex[:8]}"
    kept = client.create_collection(name + SOURCES, embedding_function=None)
    for start in range(0, len(sources), BATCH):
        some = sources[start : start + BATCH]
        kept.add(
            ids=[f"{start + i:06d}" for i in range(len(some))],
            documents=[json.dumps(dataclasses.asdict(s), default=str) for s in some],
            embeddings=[[0.0]] * len(some),  # the companion is read whole, never searched
        )
    collection = client.create_collection(
        name,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"corpus_version": version, "complete": False},
        embedding_function=None,
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
    collection.modify(
        metadata={
            "corpus_version": version,
            "complete": True,
            "passages": total,
            "sources": len(sources),
        }
    )
    return name


def drop_unused(client: Any, keep: set[str]) -> None:
    """Delete every index but `keep` (with their sources). Only under the change lock: then no
    other process is building, so an unfinished collection is a dead builder's."""
    for collection in client.list_collections():
        name = getattr(collection, "name", collection)
        if not name.startswith(PREFIX) or name.removesuffix(SOURCES) in keep:
            continue
        try:
            client.delete_collection(name)
        except Exception:  # already gone
            log.debug("collection %s vanished during clean-up", name)


@dataclass(frozen=True)
class Publication:
    """What publishing the corpus did."""

    published: Published
    built: bool  # False when a finished index of this corpus version was reused
    passages: int
    sources: int


def publish_corpus(
    settings: Settings,
    embedder: Embedder,
    model_fp: str,
    client: Any,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> Publication:
    """Index the corpus folder as it is now (or reuse its finished index) and publish it.
    The caller holds the change lock."""
    sources = load_corpus(settings.corpus_dir)
    passages = split_corpus(sources)
    version = corpus_hash(sources)[:16]
    family = collection_name(version, model_fp)
    current = read_published(client, model_fp)
    name = (
        None
        if rebuild
        else _complete(client, family, len(passages), current.collection if current else "")
    )
    built = name is None
    if name is None:
        started = time.perf_counter()
        name = _build(client, family, sources, passages, version, embedder, progress)
        log.info(
            "indexed %d passages from %d sources in %.1fs",
            len(passages),
            len(sources),
            time.perf_counter() - started,
        )
    published = publish(client, model_fp, name, version)
    drop_unused(client, {published.collection, published.previous})
    if not settings.chroma_host:
        _write_manifest(settings.data_dir, name, version, model_fp, len(passages))
    return Publication(published, built, len(passages), len(sources))


def load_index(
    client: Any, published: Published, embedder: Embedder, *, built: bool = False, embedded: bool
) -> PassageIndex:
    """The published index, read whole from Chroma: sources, passages, vectors and BM25."""
    name = published.collection
    collection = client.get_collection(name)
    meta = collection.metadata or {}
    if not meta.get("complete"):
        raise RuntimeError(f"index {name} is not complete")
    rows = client.get_collection(name + SOURCES).get(include=["documents"])
    ordered = sorted(zip(rows["ids"], rows["documents"], strict=True))
    sources = [Source(**json.loads(doc)) for _, doc in ordered]
    passages = split_corpus(sources)
    stored = collection.get(include=["embeddings"])
    row = {pid: i for i, pid in enumerate(stored["ids"])}
    missing = [p.id for p in passages if p.id not in row]
    if len(sources) != meta.get("sources") or missing:
        raise RuntimeError(f"index {name} does not match its sources")
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)[[row[p.id] for p in passages]]
    store = Chroma(
        client=client,
        collection_name=name,
        embedding_function=embedder,
        create_collection_if_not_exists=False,  # never re-create, empty, an index just dropped
    )
    return PassageIndex(
        sources={s.id: s for s in sources},
        passages=passages,
        vectors=vectors,
        bm25=BM25Index([p.text for p in passages]),
        store=store,
        corpus_version=published.corpus_version,
        built=built,
        client=client,
        collection=name,
        embedded=embedded,
    )


def open_index(
    settings: Settings,
    embedder: Embedder,
    model_fp: str,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> PassageIndex:
    """The index of the corpus folder, published: reused when it already is, else built and
    published under the change lock (waiting for a change in progress to finish first)."""
    client = chroma_client(settings)
    embedded = not settings.chroma_host
    if not rebuild:
        version = corpus_hash(load_corpus(settings.corpus_dir))[:16]
        current = read_published(client, model_fp)
        if current is not None and current.corpus_version == version:
            with contextlib.suppress(Exception):  # replaced meanwhile: take the lock below
                return load_index(client, current, embedder, embedded=embedded)
    with ChangeLock(settings, client, "indexing the corpus at start-up"):
        change = publish_corpus(
            settings, embedder, model_fp, client, rebuild=rebuild, progress=progress
        )
        return load_index(client, change.published, embedder, built=change.built, embedded=embedded)


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
