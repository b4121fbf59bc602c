"""Ingest throughput and peak memory: the normal index code, in a subprocess of its own.

A subprocess, so its peak resident memory (`ru_maxrss` from `os.wait4`) is the ingest's alone,
not the benchmark's. It embeds into the corpus's cache data dir, which every later measurement
reuses; the measurement is kept next to it, and a rerun on an unchanged corpus reports that
cached measurement instead of embedding again (`--reingest` measures afresh).

Run as a module, this file is the worker: `python -m benchmarks.ingest CORPUS DATA OUT`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.corpora import BenchCorpus

RESULT = "ingest.json"


def _index_is_current(corpus: BenchCorpus, measured: dict[str, Any]) -> bool:
    """The cached index and its measurement match this corpus and model exactly."""
    from app.config import Settings
    from app.embeddings import fingerprint, resolve_model_path
    from app.sources import corpus_hash, load_corpus

    manifest_path = corpus.data_dir / "index.json"
    if not manifest_path.is_file():
        return False
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    version = corpus_hash(load_corpus(corpus.corpus_dir))[:16]
    model = fingerprint(resolve_model_path(Settings().embedding_model))
    return bool(
        manifest.get("corpus_version") == version == measured.get("corpus_version")
        and manifest.get("model") == model
        and manifest.get("passages") == corpus.passages
    )


def ensure_index(corpus: BenchCorpus, *, reingest: bool, timeout: float) -> dict[str, Any]:
    """Embed the corpus into its cache data dir unless an identical index is there already."""
    result_path = corpus.data_dir.parent / RESULT
    if result_path.is_file() and not reingest:
        measured = json.loads(result_path.read_text(encoding="utf-8"))
        if _index_is_current(corpus, measured):
            return {**measured, "cached": True}
    corpus.data_dir.mkdir(parents=True, exist_ok=True)
    out = corpus.data_dir.parent / f"{RESULT}.tmp"
    argv = [
        sys.executable, "-m", "benchmarks.ingest",
        str(corpus.corpus_dir), str(corpus.data_dir), str(out), corpus.label,
    ]  # fmt: skip
    proc = subprocess.Popen(argv)
    # The one unbounded step (100k passages take many minutes on 2 cores) still has a ceiling.
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"ingest of the {corpus.label} corpus failed ({proc.returncode})")
    measured = json.loads(out.read_text(encoding="utf-8"))
    # ru_maxrss is in KiB on Linux.
    measured["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
    out.unlink()
    result_path.write_text(json.dumps(measured, indent=2), encoding="utf-8")
    return {**measured, "cached": False}


def _worker(corpus_dir: Path, data_dir: Path, out: Path, label: str) -> None:
    from app.config import Settings, quiet_third_parties

    quiet_third_parties()
    from app.embeddings import Embedder, load_embedder
    from app.index import open_index

    settings = Settings(corpus_dir=corpus_dir, data_dir=data_dir, chroma_host=None)
    t0 = time.perf_counter()
    embedder, model_fp = load_embedder(settings.embedding_model, settings.device)
    t1 = time.perf_counter()

    # The share of ingest spent embedding: time every encode call the index code makes. Patched
    # on the class because the embedder is a pydantic model; this process does nothing else.
    spent = [0.0]
    encode = Embedder.encode

    def timed_encode(self: Embedder, texts: list[str], batch_size: int = 64) -> Any:
        start = time.perf_counter()
        try:
            return encode(self, texts, batch_size)
        finally:
            spent[0] += time.perf_counter() - start

    Embedder.encode = timed_encode  # type: ignore[method-assign]
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done >= total or now - last[0] >= 10:
            last[0] = now
            rate = done / max(now - t1, 1e-9)
            print(
                f"  ingest {label}: {done}/{total} passages embedded ({rate:.0f}/s)",
                file=sys.stderr,
                flush=True,
            )

    index = open_index(settings, embedder, model_fp, rebuild=True, progress=progress)
    t2 = time.perf_counter()
    build = t2 - t1
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "corpus_version": index.corpus_version,
        "sources": len(index.sources),
        "passages": len(index.passages),
        "model_load_s": round(t1 - t0, 2),
        "build_s": round(build, 2),
        "embed_s": round(spent[0], 2),
        "embed_share": round(spent[0] / build, 4) if build else None,
        "passages_per_s": round(len(index.passages) / build, 1) if build else None,
    }
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="benchmark ingest worker (one corpus)")
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("label")
    args = parser.parse_args()
    _worker(args.corpus_dir, args.data_dir, args.out, args.label)
