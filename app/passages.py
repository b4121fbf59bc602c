"""Split a source into sentence-level evidence units that carry their offsets into the source text.

Offsets are Python string indices, i.e. Unicode code points, on the body exactly as stored, so
`source.text[p.start:p.end] == p.text` always holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.sources import Source

# Whitespace as it appears in these texts, the non-breaking space included.
_SPACE = " \t\r\n\u00a0\u2007\u202f\u2009\u200a"
_BULLETS = "•·▪‣◦-*–—"
_OPENERS = "“‘\"'(["
_CLOSERS = "”’\"')]"
# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr prof gen lt col sgt capt maj cmdr adm gov sen rep rev fr "
    "inc ltd co corp no vs etc approx dept est fig jan feb mar apr jun jul aug sep sept "
    "oct nov dec mt ft e.g i.e cf al".split()
)
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?$")


@dataclass(frozen=True)
class Passage:
    """One sentence (or one quotation that spans sentences), with its paragraph as context."""

    id: str
    source_id: str
    start: int
    end: int
    text: str
    para_start: int
    para_end: int
    paragraph: str
    position: int  # order of the unit within its source
    heading: bool  # a line with no sentence punctuation: a headline, a label, page furniture


def _strip_span(text: str, start: int, end: int, chars: str) -> tuple[int, int]:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Blank lines separate paragraphs; a bullet line is a paragraph of its own."""
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        line_start, line_end = pos, pos + len(line)
        pos = line_end
        s, e = _strip_span(text, line_start, line_end, _SPACE)
        if s == e:
            if current:
                spans.append(current)
            current = None
            continue
        bullet = text[s] in "•·▪‣◦" or (text[s] in "-*" and s + 1 < e and text[s + 1] in " \u00a0")
        if bullet:
            if current:
                spans.append(current)
            s, e = _strip_span(text, s, e, _SPACE + _BULLETS)
            spans.append((s, e))
            current = None
        elif current is None:
            current = (s, e)
        else:
            current = (current[0], e)
    if current:
        spans.append(current)
    return [(s, e) for s, e in spans if s < e]


def _quotes_balanced(segment: str) -> bool:
    return segment.count("“") == segment.count("”") and segment.count('"') % 2 == 0


def _ends_sentence(text: str, dot: int, para_start: int) -> bool:
    """Is the '.', '!' or '?' at `dot` the end of a sentence (not an abbreviation or a decimal)?"""
    if text[dot] != ".":
        return True
    word_start = dot
    while (
        word_start > para_start
        and not text[word_start - 1].isspace()
        and text[word_start - 1] not in _OPENERS
    ):
        word_start -= 1
    word = text[word_start:dot]
    if word.lower() in _ABBREVIATIONS or _INITIALISM.match(word + "."):
        return False
    return not (len(word) == 1 and word.isupper())


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    segment = text[start:end]
    track_quotes = _quotes_balanced(segment)
    spans: list[tuple[int, int]] = []
    depth = 0
    straight_open = False
    sentence_start = start
    i = start
    while i < end:
        ch = text[i]
        if track_quotes:
            if ch == "“":
                depth += 1
            elif ch == "”":
                depth = max(0, depth - 1)
            elif ch == '"':
                straight_open = not straight_open
        if ch in ".!?" and depth == 0 and not straight_open:
            j = i + 1
            while j < end and text[j] in ".!?" + _CLOSERS:
                j += 1
            k = j
            while k < end and text[k] in _SPACE:
                k += 1
            boundary = (
                k < end
                and k > j
                and (text[k].isupper() or text[k].isdigit() or text[k] in _OPENERS)
                and _ends_sentence(text, i, start)
            )
            if boundary:
                spans.append((sentence_start, j))
                sentence_start = k
                i = k
                continue
        i += 1
    spans.append((sentence_start, end))
    return [_strip_span(text, s, e, _SPACE) for s, e in spans if text[s:e].strip(_SPACE)]


def split_source(source: Source) -> list[Passage]:
    """Evidence units of one source, in order; a repeated unit (a headline printed twice) once."""
    text = source.text
    passages: list[Passage] = []
    seen: set[str] = set()
    for para_start, para_end in _paragraph_spans(text):
        paragraph = text[para_start:para_end]
        sentences = _sentence_spans(text, para_start, para_end)
        heading = (
            len(sentences) == 1
            and "\n" not in paragraph
            and len(paragraph) <= 300
            and paragraph.rstrip(_CLOSERS)[-1:] not in ".!?:;"
        )
        for s, e in sentences:
            unit = text[s:e]
            if unit in seen:
                continue
            seen.add(unit)
            passages.append(
                Passage(
                    id=f"{source.id}:{s}-{e}",
                    source_id=source.id,
                    start=s,
                    end=e,
                    text=unit,
                    para_start=para_start,
                    para_end=para_end,
                    paragraph=paragraph,
                    position=len(passages),
                    heading=heading,
                )
            )
    return passages


def split_corpus(sources: list[Source]) -> list[Passage]:
    return [p for source in sources for p in split_source(source)]
