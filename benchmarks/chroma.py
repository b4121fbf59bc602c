"""Seed a Chroma server with a collection already embedded locally.

The server then holds and publishes the very index (same name, vectors, documents, metadata and
sources) that `open_index` looks for, so the engine reuses it instead of embedding the corpus a
second time: the comparison measures serving, not a second ingest.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from app.config import Settings
from app.index import SOURCES, chroma_client
from app.publish import publish, read_published
from benchmarks.procs import HOST

BATCH = 2000


def seed(embedded: Settings, port: int) -> dict[str, Any]:
    """Copy the embedded index of `embedded.data_dir` (passages and their sources) into the
    server and publish it there; a no-op when the server already publishes it."""
    manifest = json.loads((embedded.data_dir / "index.json").read_text(encoding="utf-8"))
    name, count = str(manifest["collection"]), int(manifest["passages"])
    model_fp = str(manifest["model"])
    server = chromadb.HttpClient(
        host=HOST, port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    current = read_published(server, model_fp)
    if current is not None and current.collection == name:
        return {"collection": name, "copied": 0}
    local = chroma_client(embedded.model_copy(update={"chroma_host": None}))
    source = local.get_collection(name)
    for stale in (name, name + SOURCES):
        with contextlib.suppress(Exception):  # not there
            server.delete_collection(stale)
    kept = local.get_collection(name + SOURCES).get(include=["documents", "embeddings"])
    server.create_collection(name + SOURCES, embedding_function=None).add(
        ids=kept["ids"], documents=kept["documents"], embeddings=kept["embeddings"]
    )
    # Marked complete (its metadata) only once every row is in, as the index code does.
    target = server.create_collection(
        name,
        configuration={"hnsw": source.configuration["hnsw"]},
        metadata={"complete": False},
        embedding_function=None,
    )
    for offset in range(0, count, BATCH):
        rows = source.get(
            include=["embeddings", "documents", "metadatas"], limit=BATCH, offset=offset
        )
        target.add(
            ids=rows["ids"],
            embeddings=rows["embeddings"],
            documents=rows["documents"],
            metadatas=rows["metadatas"],
        )
    target.modify(metadata=dict(source.metadata or {}))
    publish(server, model_fp, name, str(manifest["corpus_version"]))
    return {"collection": name, "copied": count}
