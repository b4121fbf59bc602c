"""`make bench`: latency, ingest, concurrency, quality at scale, and Chroma/retriever comparisons.

Run `python -m benchmarks.run --help`. Corpora and their embedded indexes are cached under
`benchmarks/cache/` (git-ignored); the newest report is written to `benchmarks/results/`.
"""
