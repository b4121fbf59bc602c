"""Load the vetted sources: one UTF-8 file each, optional YAML front matter, body kept as written."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SOURCE_SUFFIXES = (".md", ".txt")
MAX_SOURCE_BYTES = 5 * 1024 * 1024
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_KNOWN_KEYS = ("id", "title", "outlet", "published", "url", "notes")


class CorpusError(ValueError):
    """Source files that cannot be read as sources; each problem names its file.

    A corpus is checked whole, so one message can carry every bad file: fixing them one restart
    at a time is what this saves.
    """

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        many = f"{len(problems)} files cannot be read as sources: " if len(problems) > 1 else ""
        super().__init__(many + "; ".join(problems))


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    text: str
    path: str
    outlet: str | None = None
    published: str | None = None
    url: str | None = None
    notes: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def metadata(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "url": self.url,
            "notes": self.notes,
            "sha256": self.sha256,
            "chars": len(self.text),
            **({"extra": self.extra} if self.extra else {}),
        }


def _split_front_matter(raw: str, name: str) -> tuple[dict[str, Any], str]:
    if not raw.startswith("---\n") and not raw.startswith("---\r\n"):
        return {}, raw
    first_nl = raw.index("\n") + 1
    match = re.compile(r"^---[ \t]*\r?\n", re.M).search(raw, first_nl)
    if match is None:
        raise CorpusError(f"{name}: front matter opened with '---' is never closed")
    try:
        meta = yaml.safe_load(raw[first_nl : match.start()]) or {}
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0]
        raise CorpusError(f"{name}: front matter is not valid YAML ({problem})") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{name}: front matter must be a mapping of keys to values")
    return meta, raw[match.end() :]


def _optional_str(meta: dict[str, Any], key: str, name: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CorpusError(f"{name}: field '{key}' must be text, not {type(value).__name__}")
    text = str(value).strip()
    return text or None


def parse_source(raw: str, name: str, default_id: str) -> Source:
    meta, body = _split_front_matter(raw, name)
    if not body.strip():
        raise CorpusError(f"{name}: the body is empty")
    if "\x00" in body:
        raise CorpusError(f"{name}: the body contains NUL bytes (a binary file?)")
    source_id = _optional_str(meta, "id", name) or default_id
    if not _ID_RE.match(source_id):
        raise CorpusError(
            f"{name}: id {source_id!r} must be 1-128 letters, digits, '.', '_' or '-'"
        )
    published = _optional_str(meta, "published", name)
    if published is not None:
        try:
            dt.date.fromisoformat(published[:10])
        except ValueError:
            raise CorpusError(
                f"{name}: 'published' must be an ISO date, got {published!r}"
            ) from None
    title = _optional_str(meta, "title", name) or body.strip().splitlines()[0].strip()
    return Source(
        id=source_id,
        title=title,
        text=body,
        path=name,
        outlet=_optional_str(meta, "outlet", name),
        published=published,
        url=_optional_str(meta, "url", name),
        notes=_optional_str(meta, "notes", name),
        extra={k: v for k, v in meta.items() if k not in _KNOWN_KEYS},
    )


def read_source(path: Path) -> Source:
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise CorpusError(f"{name}: {size} bytes is over the {MAX_SOURCE_BYTES}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{name}: cannot be read ({exc.strerror})") from None
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{name}: not UTF-8 (byte {exc.start})") from None
    return parse_source(raw.removeprefix("\ufeff"), name, path.stem)


def source_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: the corpus directory does not exist")
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SOURCE_SUFFIXES and p.name.lower() != "readme.md"
    )


def load_corpus(corpus_dir: Path) -> list[Source]:
    """Every source in the directory, validated; every bad file is raised at once, with its reason."""
    sources: list[Source] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in source_files(corpus_dir):
        try:
            source = read_source(path)
        except CorpusError as exc:
            problems.extend(exc.problems)
            continue
        if source.id in seen:
            problems.append(
                f"{path.name}: duplicate id {source.id!r} (also used by {seen[source.id]})"
            )
            continue
        seen[source.id] = path.name
        sources.append(source)
    if problems:
        raise CorpusError(*problems)
    if not sources:
        raise CorpusError(f"{corpus_dir}: no sources (*.md or *.txt) found")
    return sources


def corpus_hash(sources: list[Source]) -> str:
    digest = hashlib.sha256()
    for source in sorted(sources, key=lambda s: s.id):
        digest.update(repr(sorted(source.metadata().items())).encode("utf-8"))
        digest.update(source.text.encode("utf-8"))
    return digest.hexdigest()
