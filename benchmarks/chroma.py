"""Seed a Chroma server with a collection already embedded locally.

The server then holds the very collection (same name, vectors, documents and metadata) that
`open_index` looks for, so the engine reuses it instead of embedding the corpus a second time:
the comparison measures serving, not a second ingest.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from app.config import Settings
from app.index import chroma_client
from benchmarks.procs import HOST

BATCH = 2000


def seed(embedded: Settings, port: int) -> dict[str, Any]:
    """Copy the embedded index of `embedded.data_dir` into the server; a no-op when present."""
    manifest = json.loads((embedded.data_dir / "index.json").read_text(encoding="utf-8"))
    name, count = str(manifest["collection"]), int(manifest["passages"])
    server = chromadb.HttpClient(
        host=HOST, port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    try:
        if server.get_collection(name).count() == count:
            return {"collection": name, "copied": 0}
    except Exception:  # chromadb raises NotFoundError or ValueError by version
        pass
    source = chroma_client(embedded.model_copy(update={"chroma_host": None})).get_collection(name)
    # The index code's own name for an unfinished collection, so its clean-up rules apply.
    building = f"{name}_building_{os.getpid()}"
    for stale in (name, building):
        with contextlib.suppress(Exception):  # not there
            server.delete_collection(stale)
    target = server.create_collection(
        building,
        configuration={"hnsw": source.configuration["hnsw"]},
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
    target.modify(name=name)
    return {"collection": name, "copied": count}
