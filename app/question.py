"""Question analysis: what kind of answer is asked for, its scope, its parts, and its referents.

Nothing here knows the corpus: the rules are about English questions, not about any subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from app.text import (
    IRREGULAR,
    MEASURE_UNITS,
    STOPWORDS,
    asks_superlative,
    capitalised_terms,
    content_tokens,
    owned,
    scope_terms,
    stem,
    verb_stem,
    words,
)

AnswerType = Literal[
    "count", "money", "percent", "duration", "year", "date", "person", "place", "other"
]
FIGURE_TYPES = ("count", "money", "percent", "duration")

_SPECULATION = [
    re.compile(p, re.I)
    for p in (
        r"\b(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:try\s+to\s+|just\s+)?"
        r"(?:estimate|guess|predict|speculate|extrapolate|project|approximate|infer|work\s+out"
        r"|figure\s+out|calculate|make\s+up|invent|imagine|assume)\b",
        r"^\s*(?:please\s+|now\s+|ok,?\s+|okay,?\s+|so,?\s+)?(?:estimate|guess|predict|speculate"
        r"|extrapolate|approximate|make\s+up|invent|imagine|assume|hypothesi[sz]e|forecast|project)\b",
        r"\byour\s+(?:best\s+|own\s+|rough\s+)?(?:guess|estimate|prediction|projection|opinion"
        r"|speculation|extrapolation)\b",
        r"\b(?:best|rough|educated|wild|informed)\s+guess\b",
        r"\bballpark\b",
        r"\b(?:make|making)\s+(?:one\s+)?up\b",
        r"\bwhat\s+do\s+you\s+(?:think|reckon|expect|believe)\b",
        r"\b(?:how\s+many|how\s+much|what)\b.*\bdo\s+you\s+(?:think|reckon|expect|believe)\b",
        r"\b(?:even\s+if|though)\s+(?:it'?s\s+|the\s+\w+\s+(?:don'?t|doesn'?t)\s+|you'?re\s+"
        r"|you\s+are\s+)(?:not\s+)?(?:sure|certain|stated|say|known|in\s+the)\b",
        r"\b(?:just\s+)?(?:give|tell)\s+me\s+(?:a|any|some)\s+(?:number|figure|estimate)\b",
        r"\bround(?:ed)?\s+(?:it\s+|that\s+|the\s+\w+\s+)?(?:up|down|off)\b",
        r"\bhypothetically\b",
        # Asking for new text about the subject is asking to invent it.
        r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:write|compose|draft|generate|create)"
        r"\s+(?:me\s+)?(?:a|an|some|the)?\s*(?:\w+\s+){0,2}?(?:poem|essay|story|song|joke|letter"
        r"|e-?mail|tweet"
        r"|speech|limerick|haiku|fictional|imaginary)\b",
        # "What would Wagner's losses probably be?", unless it asks what a source expects.
        r"\bwould\s+(?:[\w'’]+\s+){0,4}?(?:probably|likely)\s+be\b(?!.*\baccording\s+to\b)",
        r"\bfill\s+in\s+(?:the|a)\s+(?:number|figure|gap)\b",
    )
]
_MONEY_Q = re.compile(
    r"\b(?:money|cost|costs|spend|spends|spent|spending|pay|pays|paid|budget|fund|funding|"
    r"dollars?|euros?|rubles?|roubles?|worth|price|salary|salaries|wage|wages|revenue|income)\b",
    re.I,
)
_PERCENT_Q = re.compile(
    r"\b(?:percentage|percent|per\s+cent|proportion|share|fraction|portion|ratio|rate)\b", re.I
)
_FIGURE_Q = re.compile(
    r"\bhow\s+(?:many|much|large|big|long|old|far)\b(?!\s+ago)|\bwhat\s+(?:is|was|are|were)?\s*(?:the\s+)?"
    r"(?:(?:\w+\s+)?\w+['’]s?\s+)?(?:(?:average|mean|median|typical|total|overall|estimated|approximate"
    r"|current|annual|yearly|monthly)\s+)?"
    r"(?:percentage|percent|proportion|share|fraction|number|amount|total|count|size|toll|"
    r"figure|cost|budget|salary|salaries|wages?|revenue|income|sum|strength|headcount|"
    r"temperature|speed|height|depth|weight|length|"
    r"distance|altitude|elevation|price|age|population)\b|\bwhat\s+portion\b|\bnumber\s+of\b"
    r"|\bhow\s+(?:hot|cold|fast|high|tall|deep|heavy|wide|often)\b",
    re.I,
)
# Questions about a measured quantity, and the quantity: its answer states that unit.
_WHAT_THE = r"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+)?(?:the\s+|its\s+|their\s+)?(?:\w+\s+)?"
_MEASURE_Q = {
    "temperature": re.compile(_WHAT_THE + r"temperatures?\b|\bhow\s+(?:hot|cold|warm)\b", re.I),
    "length": re.compile(
        _WHAT_THE + r"(?:distance|height|altitude|elevation|depth|length|width)\b"
        r"|\bhow\s+(?:far|tall|deep|wide)\b",
        re.I,
    ),
    "speed": re.compile(_WHAT_THE + r"speed\b|\bhow\s+fast\b", re.I),
    "mass": re.compile(_WHAT_THE + r"weight\b|\bhow\s+heavy\b", re.I),
    "age": re.compile(_WHAT_THE + r"age\b|\bhow\s+old\b|\bat\s+what\s+age\b", re.I),
    "population": re.compile(_WHAT_THE + r"population\b", re.I),
}
assert set(_MEASURE_Q) == set(MEASURE_UNITS)


def measure(text: str) -> tuple[str, str] | None:
    """The measured quantity a figure question asks for ("At what temperature ..."), if any,
    and the words after it ("... does water boil")."""
    for kind, q in _MEASURE_Q.items():
        if (m := q.search(text)) is not None:
            return kind, text[m.end() :]
    return None


_DATE_Q = re.compile(
    r"\bwhat\s+(?:year|date|day|month|time|decade|century)\b|\bin\s+which\s+year\b|"
    r"\bhow\s+long\s+ago\b|\bsince\s+when\b",
    re.I,
)
# "When" asks for a date only as the question's own word: in "What did he say when asked?" or
# "Which measure is adopted when there is a choice?" it opens a clause, and another word asks.
_WHEN_ASKS = re.compile(r"^(?:(?!\b(?:what|which|who|whom|whose|where|why|how)\b).)*\bwhen\b", re.I)
# "When Japanese makers introduced trucks, what policy ended?": a clause, and another word asks.
_WHEN_CLAUSE = re.compile(
    r"^\s*when\b[^?]*,[^?]*\b(?:what|which|who|whom|whose|where|why|how)\b", re.I
)
_PERSON_Q = re.compile(
    r"^\s*(?:who|whom|whose)\b|\b(?:who|whom|whose)\s+(?:is|was|are|were|said|says|did|does|"
    r"has|had|stated|claimed|leads|led|founded)\b|\bwhich\s+(?:person|official|leader|man|"
    r"woman|officer|spokesman|spokesperson|minister|president)\b",
    re.I,
)
_PLACE_Q = re.compile(
    r"^\s*where\b|\bwhere\s+(?:is|was|are|were|did|does|do|has|have)\b|\bin\s+which\s+"
    r"(?:country|countries|city|cities|place|region|town)\b|\bwhich\s+(?:country|countries|city"
    r"|cities|place|region|town)\b",
    re.I,
)
_ANAPHOR = re.compile(
    r"\b(?:he|she|they|them|it|its|his|her|hers|him|their|theirs|this|that|these|those|there|"
    r"the\s+group|the\s+organi[sz]ation|the\s+same)\b",
    re.I,
)
_PART_SPLIT = re.compile(
    r"\?\s+(?=\S)|[,;]?\s+(?:and|but|also)\s+(?=(?:how|what|who|when|where|why|which|whom|"
    r"whose|did|does|do|is|are|was|were)\b)",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|no|never|n't|without|none|neither|nor)\b|n't\b", re.I)


@dataclass(frozen=True)
class Part:
    """One question (a multi-part question has several)."""

    text: str
    answer_type: AnswerType
    scope: tuple[str, ...]  # stemmed names, places and figures the answer must be about
    content: tuple[str, ...]  # stemmed content words
    negated: bool
    units: tuple[str, ...] = ()  # what a count is of: "how many *prisons*" -> ("prison",)
    presupposes: bool = False  # "why did X do Y" takes it as given that X did Y
    compares_sources: bool = False  # "do the sources agree", "how do the reports describe"
    # What the question says happened, which the answer must say too: "how many fighters were
    # *wounded*" (any of these, in the figure's sentence), "why did X *stop advertising*" (all of
    # these, in the sentence or its paragraph).
    predicate: tuple[str, ...] = ()
    speaker: tuple[str, ...] = ()  # "what did *Kirby* say": whose words are asked for
    speaker_pronoun: bool = False  # "what did *he* say": the speaker comes from the history
    # Initialisms of the question's multi-word names: "Ministry of Defence" -> "mod".
    initialisms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    follows: tuple[str, ...] = ()  # names an earlier part gives what this part's pronoun means
    superlative: bool = False  # "the *tallest* mountain": the answer must rank things too
    measure: str | None = None  # "at what *temperature*": the figure must carry that unit
    owned: tuple[tuple[str, tuple[str, ...]], ...] = ()  # "the *capital of France*": (thing, name)

    @property
    def wants_figure(self) -> bool:
        return self.answer_type in FIGURE_TYPES


@dataclass(frozen=True)
class Question:
    text: str
    search_text: str  # the question with what its pronouns refer to, for retrieval
    parts: tuple[Part, ...]
    speculation: bool
    task: bool = False  # "translate ...", "write code ...": a task no corpus answers
    context_terms: tuple[str, ...] = field(default=())  # names carried over from the history


_DURATION_Q = re.compile(
    r"\bhow\s+long\b(?!\s+ago)|\bfor\s+how\s+many\s+(?:years|months|weeks|days)\b", re.I
)
_YEAR_Q = re.compile(r"\b(?:what|which)\s+year\b|\bin\s+what\s+year\b", re.I)
_SOURCES_Q = re.compile(
    r"\b(?:the|both|all|each|different|these)\s+(?:sources|reports|articles|accounts|outlets)\b"
    r"|\b(?:sources|reports)\s+(?:say|agree|differ|describe|disagree)\b|\bdo\s+they\s+agree\b",
    re.I,
)
_AGREEMENT_ONLY = re.compile(
    r"^\s*(?:and\s+)?(?:do|does|did|are|were)\s+(?:the\s+|both\s+|all\s+|these\s+)?"
    r"(?:sources|reports|articles|accounts|outlets|they)\s+(?:agree|differ|disagree)\b",
    re.I,
)


def asks_only_agreement(text: str) -> bool:
    """Does the part only ask whether the sources agree ("and do the sources agree on its
    size?")? The comparison of the other parts' figures answers it."""
    return bool(_AGREEMENT_ONLY.search(text))


_WHY_Q = re.compile(r"^\s*(?:why|how\s+come)\b|\bwhat\s+(?:made|caused|led)\b", re.I)


def answer_type(text: str) -> AnswerType:
    if _DURATION_Q.search(text):
        return "duration"
    if _FIGURE_Q.search(text):
        if _PERCENT_Q.search(text):
            return "percent"
        if _MONEY_Q.search(text) and re.search(
            r"\bhow\s+much\b|\bcost\b|\bamount\b|\bprices?\b|\bbudgets?\b|\bsalar(?:y|ies)\b"
            r"|\bwages?\b|\brevenues?\b|\bincome\b",
            text,
            re.I,
        ):
            return "money"
        return "count"
    if _YEAR_Q.search(text):
        return "year"
    if _DATE_Q.search(text) or (_WHEN_ASKS.search(text) and not _WHEN_CLAUSE.search(text)):
        return "date"
    if _PERSON_Q.search(text):
        return "person"
    if _PLACE_Q.search(text):
        return "place"
    return "other"


# Tasks that no corpus answers, whatever it covers: translating, writing code.
_TASK = re.compile(
    r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:translate\b|(?:write|generate|create)"
    r"\s+(?:me\s+)?(?:a|an|some|the)?\s*(?:code|program|function|script|regex|query)\b)",
    re.I,
)


def is_task(text: str) -> bool:
    return bool(_TASK.search(text))


def is_speculation(text: str) -> bool:
    return any(p.search(text) for p in _SPECULATION)


_AUX = frozenset(
    "am is are was were be been being have has had do does did will would shall should may might "
    "can could must".split()
)
# Verbs that report rather than happen: "how many does Prigozhin *say* were released".
_DO = frozenset("do does did will would can could should may might".split())
_REPORTING = frozenset(
    "say says said estimate estimates estimated believe believes believed think thinks thought "
    "report reports reported claim claims claimed expect expects expected".split()
)
_WHY_HEAD = re.compile(
    r"^\s*(?:why|how\s+come)\s+(?:am|is|are|was|were|have|has|had|do|does|did|will|would|can|"
    r"could|should)\b",
    re.I,
)
_SPEAKER_Q = re.compile(
    r"\bwhat\s+(?:did|does|do|has|have|had)\s+(.{1,60}?)\s+(?:say|said|claim|tell|write|argue|"
    r"think|predict|estimate|report|announce|warn)\b",
    re.I,
)
# Verbs that say nothing about what happened to what is counted ("how many valves does it
# *have*"), and prepositions that can follow "are" ("how many are *among* them").
_LIGHT = frozenset(
    "have has had get gets got make makes made take takes took use uses used contain contains "
    "contained include includes included comprise comprises comprised consist consists exist "
    "exists live lives lived remain remains remained".split()
)
_PREPOSITIONS = frozenset(
    "among amongst toward towards within across along around beside besides beyond despite "
    "inside outside per via upon amid near".split()
)
_PRONOUN_SUBJECT = frozenset("he she they it".split())
_LINKS = frozenset("of for and the".split())


_HOW_MANY = re.compile(r"\b(?:how\s+many|number\s+of)\s+", re.I)
_HOW_MUCH = re.compile(r"\bhow\s+much\s+(?:money\s+)?", re.I)
_WORD_AT = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\S", re.UNICODE)


def _counted(text: str) -> tuple[list[str], int | None]:
    """The words after "how many", up to three, stopping where the verb begins ("how many
    *people* were injured", "how many *fighters* died"), and where the rest starts."""
    found = _HOW_MANY.search(text)
    if found is None:
        return [], None
    out: list[str] = []
    end = found.end()
    for m in _WORD_AT.finditer(text, found.end()):
        w = m.group(0)
        low = w.lower()
        if not w[0].isalpha() or len(out) == 3 or low in _AUX or low in _REPORTING:
            break
        if out and (low in IRREGULAR or (low.endswith("ed") and len(low) > 4)):
            break
        if low in STOPWORDS and low not in ("or", "and"):
            if out:
                break  # "how many fighters *in* Mali"
            end = m.end()  # "how many *of them* were"
            continue
        out.append(w)
        end = m.end()
    return out, end


def _counted_event(rest: str) -> tuple[str, ...]:
    """What the question says happened to the things counted, from the words after them:
    "were *wounded*", "have been *killed or injured*", "did Putin *conscript*", "does the mayor
    say have been *evacuated*", "fighters *died*". Empty when the verb says nothing particular
    ("does it have", "live in") or cannot be told apart from a noun."""
    toks = words(rest)
    i = 0
    if toks and toks[0].lower() in _DO:
        run: list[str] = []
        i = 1
        while i < len(toks) and toks[i].lower() not in _AUX | _REPORTING:
            if toks[i].lower() in STOPWORDS or toks[i][0].isdigit():
                named = i + 1 < len(toks) and toks[i + 1][:1].isupper()
                if run and not named:  # "the water *in Valdoria* freeze" goes on to the verb
                    break
            else:
                run.append(toks[i])
            i += 1
        if i < len(toks) and toks[i].lower() in _AUX:
            return ()  # "does the engine *have*"
        if i >= len(toks) or toks[i].lower() not in _REPORTING:
            # "did the regional government *order*": the verb ends the subject's words.
            verb = next((w for w in reversed(run) if w[:1].islower()), "")
            return _event(verb, toks[i:]) if verb else ()
        i += 1  # past the reporting verb: "... say have been evacuated"
    aux = False
    while i < len(toks) and toks[i].lower() in _AUX:
        aux, i = True, i + 1
    if i >= len(toks):
        return ()
    verb = toks[i]
    if aux and (verb[:1].isupper() or verb.lower() in ("a", "an", "the", "each", "every")):
        # A passive with its subject between: "how much is *a Wagner fighter* paid".
        later = next((j for j in range(i + 1, min(i + 5, len(toks))) if _past_form(toks[j])), None)
        if later is None:
            return ()
        i, verb = later, toks[later]
    if not aux and not _past_form(verb):
        return ()
    return _event(verb, toks[i + 1 :]) if verb[:1].islower() else ()


def _event(verb: str, following: list[str]) -> tuple[str, ...]:
    low = verb.lower()
    if low in STOPWORDS or low in _LIGHT or low in _PREPOSITIONS:
        return ()
    out = [verb_stem(verb)]
    if len(following) >= 2 and following[0].lower() == "or" and following[1][:1].islower():
        out.append(verb_stem(following[1]))  # "killed or injured"
    return tuple(out)


def _past_form(word: str) -> bool:
    low = word.lower()
    return low in IRREGULAR or (low.endswith("ed") and len(low) > 4)


def _premise(rest: str) -> tuple[str, ...]:
    """What a "why" question takes as given: its named subject and the content words of its
    verb phrase ("why did *Wagner stop advertising* for ...")."""
    subject: list[str] = []
    out: list[str] = []
    for w in words(rest):
        low = w.lower()
        if not out and (low in _AUX or low in _REPORTING or low in STOPWORDS or w[0].isupper()):
            if w[0].isupper() and low not in STOPWORDS:
                subject.append(stem(w))
            continue
        if low in _AUX:
            continue  # "the weapons *would* transform": the verb phrase goes on
        if low in STOPWORDS or w[0].isupper() or w[0].isdigit():
            break
        out.append(verb_stem(w))
    return tuple(dict.fromkeys(subject + out)) if out else ()


def initialisms(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Runs of capitalised words ("UK Ministry of Defence") and their initials, with and without
    the linking words: "mod", "md", "umod", "umd" for the run's spans of two words or more."""
    toks = words(text)
    runs: list[list[str]] = []
    run: list[str] = []
    for w in toks:
        if w[0].isupper() and w.lower() not in STOPWORDS or (run and w.lower() in _LINKS):
            run.append(w)
        else:
            runs.append(run)
            run = []
    runs.append(run)
    found: dict[str, tuple[str, ...]] = {}
    for run in runs:
        while run and run[-1].lower() in _LINKS:
            run.pop()
        for a in range(len(run)):
            for b in range(a + 2, len(run) + 1):
                span = run[a:b]
                if span[0].lower() in _LINKS:
                    continue
                named = tuple(stem(w) for w in span if w.lower() not in _LINKS)
                if len(named) < 2 and len(span) < 3:
                    continue
                for keep_links in (True, False):
                    letters = "".join(
                        w[0].lower() for w in span if keep_links or w.lower() not in _LINKS
                    )
                    if len(letters) >= 2:
                        found.setdefault(letters, named)
    return tuple(found.items())


def _part(text: str) -> Part:
    # What is counted: the words after "how many" ("additional men", "Wagner personnel",
    # "fighters or personnel"), any of which a figure in the answer must count.
    unit_words, after = _counted(text)
    units = tuple(stem(w) for w in unit_words if w.lower() not in STOPWORDS | {"and/or"})
    kind = answer_type(text)
    presupposes = bool(_WHY_Q.search(text))
    predicate: tuple[str, ...] = ()
    measured = measure(text) if kind == "count" else None
    if kind == "count" and after is not None:
        predicate = _counted_event(text[after:])
    elif measured is not None:
        # "at what temperature *does water boil*": what the measured thing does.
        rest = words(measured[1])
        if rest and rest[0].lower() in _DO:
            predicate = _counted_event(measured[1])
    elif kind == "money" and (much := _HOW_MUCH.search(text)) is not None:
        predicate = _counted_event(text[much.end() :])  # "how much is a fighter *paid*"
    elif (why := _WHY_HEAD.search(text)) is not None:
        predicate = _premise(text[why.end() :])
    speaker: tuple[str, ...] = ()
    pronoun = False
    if (asked := _SPEAKER_Q.search(text)) is not None:
        who = words(asked.group(1))
        pronoun = len(who) == 1 and who[0].lower() in _PRONOUN_SUBJECT
        speaker = tuple(stem(w) for w in who if w[0].isupper() and w.lower() not in STOPWORDS)
    return Part(
        text=text,
        answer_type=kind,
        scope=tuple(dict.fromkeys(scope_terms(text))),
        content=tuple(dict.fromkeys(content_tokens(text))),
        negated=bool(_NEGATION.search(text)),
        units=units,
        presupposes=presupposes,
        compares_sources=bool(_SOURCES_Q.search(text)),
        predicate=predicate,
        speaker=speaker,
        speaker_pronoun=pronoun,
        initialisms=initialisms(text),
        superlative=asks_superlative(text),
        measure=measured[0] if measured else None,
        owned=owned(text),
    )


# A place or a time that qualifies what is asked: "killed *in Mali*", "*during the* Battle".
# Not "on" or "at", which as often take a verb's object ("impose restrictions on Wagner").
_QUALIFIER = re.compile(
    r"\b(?i:in|during|since|near|across|inside|outside|throughout|until)"
    r"\s+(?:the\s+)?((?:[A-Z][\w'’-]*)(?:\s+[A-Z][\w'’-]*)*)"
)


# A group named by its people's adjective: "how many *Ukrainian* soldiers". The soldiers are the
# subject, the group qualifies them, as a place does.
_GROUP = re.compile(r"\b([A-Z][a-z]+(?:ian|ean|an|ish|ese|i))\s+(?=[a-z])")


def qualifiers(text: str) -> frozenset[str]:
    """The names (stemmed) of the places, times and peoples that qualify what the question
    asks about."""
    places = {stem(w) for m in _QUALIFIER.finditer(text) for w in words(m.group(1))}
    return frozenset(places | {stem(m.group(1)) for m in _GROUP.finditer(text)})


def split_parts(text: str) -> list[str]:
    pieces = [p.strip(" ,;?") for p in _PART_SPLIT.split(text)]
    pieces = [p for p in pieces if len(content_tokens(p)) >= 1]
    return pieces or [text.strip()]


def _history_context(history: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The latest user turn (what the pronouns most likely point back to) and its names."""
    for role, content in reversed(history):
        if role == "user" and content.strip():
            return " ".join(content.split())[:500], capitalised_terms(content)[:8]
    return "", []


def analyse(text: str, history: list[tuple[str, str]] | None = None) -> Question:
    text = " ".join(text.split())
    context: list[str] = []
    search_text = text
    if history and _ANAPHOR.search(text):
        previous, names = _history_context(history)
        own = {t.lower() for t in capitalised_terms(text)}
        context = [t for t in names if t.lower() not in own]
        if previous:
            search_text = f"{text} ({previous})"
    parts = [_part(p) for p in split_parts(text)]
    # "What did Wagner receive from North Korea, and who paid for *it*?": a later part's pronoun
    # points back to the names of the parts before it.
    for i in range(1, len(parts)):
        if _ANAPHOR.search(parts[i].text):
            before = tuple(dict.fromkeys(t for p in parts[:i] for t in p.scope))
            parts[i] = replace(parts[i], follows=before)
    return Question(
        text=text,
        search_text=search_text,
        parts=tuple(parts),
        speculation=is_speculation(text),
        task=is_task(text),
        context_terms=tuple(dict.fromkeys(stem(t) for t in context)),
    )
