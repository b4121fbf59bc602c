"""Add, replace and remove vetted sources without ever leaving a corpus that cannot load.

Every change is validated against the whole corpus as it would be (the new file parses, its id is
unique) before any file moves; the file is then written under a temporary name and renamed, so a
crash leaves either the old corpus or the new one. A removed source is moved to
`<data_dir>/removed/`, not deleted: nothing vetted is lost.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from app.config import Settings
from app.sources import (
    MAX_SOURCE_BYTES,
    SOURCE_SUFFIXES,
    CorpusError,
    load_corpus,
    parse_source,
)

_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


class AlreadyInCorpus(CorpusError):
    """The new source's id is taken. Each interface says how to replace it in its own terms
    (the CLI's `--replace` flag, the API's `replace` field)."""


@dataclass(frozen=True)
class Change:
    action: str  # "added", "replaced" or "removed"
    source_id: str
    path: Path


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def add_source(settings: Settings, filename: str, content: bytes, replace: bool = False) -> Change:
    """Validate `content` as a source named `filename` and put it in the corpus."""
    if not _FILENAME.match(filename) or Path(filename).suffix.lower() not in SOURCE_SUFFIXES:
        raise CorpusError(
            f"{filename!r}: a source file name is letters, digits, '.', '_', '-', "
            "ending in .md or .txt"
        )
    if filename.lower() == "readme.md":
        raise CorpusError("README.md describes the corpus and is not a source")
    if len(content) > MAX_SOURCE_BYTES:
        raise CorpusError(
            f"{filename}: {len(content)} bytes is over the {MAX_SOURCE_BYTES}-byte limit"
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{filename}: not UTF-8 (byte {exc.start})") from None
    new = parse_source(text.removeprefix("\ufeff"), filename, Path(filename).stem)
    current = load_corpus(settings.corpus_dir)
    clash = next((s for s in current if s.id == new.id), None)
    target = settings.corpus_dir / filename
    if clash is not None and not replace:
        raise AlreadyInCorpus(f"{filename}: id {new.id!r} is already in the corpus ({clash.path})")
    if target.exists() and (clash is None or clash.path != filename):
        raise CorpusError(f"{filename}: a different source already has this file name")
    _atomic_write(target, content)
    if clash is not None and clash.path != filename:
        _retire(settings, settings.corpus_dir / clash.path)
    return Change("replaced" if clash else "added", new.id, target)


def remove_source(settings: Settings, source_id: str) -> Change:
    current = load_corpus(settings.corpus_dir)
    source = next((s for s in current if s.id == source_id), None)
    if source is None:
        raise KeyError(source_id)
    if len(current) == 1:
        raise CorpusError(
            f"{source_id}: the last source cannot be removed (the corpus would be empty)"
        )
    path = settings.corpus_dir / source.path
    _retire(settings, path)
    return Change("removed", source_id, path)


def _retire(settings: Settings, path: Path) -> None:
    removed = settings.data_dir / "removed"
    removed.mkdir(parents=True, exist_ok=True)
    # shutil.move, not rename: the data directory may be on another file system.
    shutil.move(str(path), removed / f"{int(time.time())}-{path.name}")
