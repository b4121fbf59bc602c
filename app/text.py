"""Word-level text tools shared by retrieval, the judge and the verifier: tokens, stems, numbers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves s t don said says say according much many one ever
    """.split()
)
# Words that name the kind of answer asked for rather than its subject.
QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how name tell give list describe explain".split()
)
# The words that carry a sentence's grammar rather than its subject.
FUNCTION_WORDS = STOPWORDS | QUESTION_WORDS

_WORD = re.compile(r"\d[\d,]*(?:\.\d+)?|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


def fold(word: str) -> str:
    """The word without accents: a question that writes "Herve" asks about "Hervé"."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light suffix stripper: enough to meet 'recruits', 'recruited' and 'recruiting'."""
    w = fold(word.lower().replace("’", "'"))
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if w and w[0].isdigit():
        return w.replace(",", "")
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            return w[: -len(suffix)] + keep
    return w


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def tokens(text: str) -> list[str]:
    """Stemmed, lower-cased word tokens, stopwords kept (BM25 weighs them by rarity)."""
    return [stem(w) for w in words(text)]


def content_tokens(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w.lower() not in FUNCTION_WORDS]


# A figure as written: $100 million, 50,000, 0.31%, 2014, 10-month, 90 percent.
FIGURE = re.compile(
    r"(?<![\w.])[$€£]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent))?"
    r"(?:\s(?:million|billion|thousand|hundred|trillion))?(?![\w])",
    re.IGNORECASE,
)
_TO_TWENTY = """zero one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen twenty""".split()  # index = value
NUMBER_WORDS = frozenset(
    _TO_TWENTY
    + """thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands
    million millions billion billions trillion dozen dozens half quarter quarters third thirds
    score""".split()
)
_NUMBER_WORD = re.compile(
    r"\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
DURATION = re.compile(
    r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centur(?:y|ies))\b", re.I
)
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
# A measured quantity is stated with its unit: "565 °C", "237 metres", "300 km/h", "40 tonnes".
_MEASURED = (
    r"(?:\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|half\s+an?|an?"
    r"|a\s+few|several|hundreds?|thousands?))\s*-?\s*"
)
MEASURE_UNITS = {
    "temperature": re.compile(
        r"\d\s*(?:°|º|degrees?\b)|\b(?:celsius|fahrenheit|kelvin)\b|\d\s*°?\s*[CF]\b", re.I
    ),
    "length": re.compile(
        _MEASURED + r"(?:km|kilomet(?:er|re)s?|m|met(?:er|re)s?|cm|centimet(?:er|re)s?|mm|ft|feet"
        r"|foot|yards?|miles?|mi|nautical\s+miles?|inches|inch)\b",
        re.I,
    ),
    "speed": re.compile(
        _MEASURED
        + r"(?:km/h|kph|km\s+per\s+hour|mph|knots?|m/s|(?:miles|kilomet(?:er|re)s|met(?:er|re)s)"
        r"\s+(?:per|an|a)\s+(?:hour|second))",
        re.I,
    ),
    "mass": re.compile(
        _MEASURED + r"(?:kg|kilograms?|g|grams?|tonnes?|tons?|pounds?|lbs?|ounces?|oz)\b", re.I
    ),
    # An age: "61 years old", "aged 61", "the 61-year-old", "born in 1961"; of a thing, when it
    # was made or how many years it has stood ("built in 1920", "for 300 years").
    "age": re.compile(
        r"\b\d+(?:\s+|-)(?:years?|yrs?)(?:\s+|-)old\b|\b(?:aged?|at\s+the\s+age\s+of)\s+\d+"
        r"|\b\d+\s+years\b|\b(?:born|founded|established|built|formed|dates?\s+(?:back|from))\b"
        r"|\b(?:1\d{3}|20\d{2})s?\b|\bcentur(?:y|ies)\b",
        re.I,
    ),
    # A population: a figure, and the people it counts ("1.7 million residents").
    "population": re.compile(
        r"(?=.*(?:\d|\b(?:hundreds?|thousands?|millions?|billions?)\b))"
        r".*\b(?:population|inhabitants|residents|people|citizens)\b",
        re.I | re.S,
    ),
}
MONEY = re.compile(r"[$€£]\s?\d|\b(?:dollars?|euros?|pounds|rubles?|roubles?|usd)\b", re.I)
PERCENT = re.compile(
    r"\d\s?(?:%|percent|per cent)|\b(?:half|quarter|third|fraction|share|majority|minority)\b"
    r"|\b\d[\d,]*\s+of\s+(?:whom|them|these|those)\b",  # "40,000 of whom": a part of a whole
    re.I,
)


def figures(text: str) -> list[str]:
    """Every number in the text, digits and quantity words, as written."""
    found = [m.group(0) for m in FIGURE.finditer(text)]
    found += [m.group(0) for m in _NUMBER_WORD.finditer(text)]
    return found


# A length of time stated as a figure: "six months", "six-month", "10-month", "a year".
DURATION_FIGURE = re.compile(
    r"(?:\b\d[\d,.]*|\b(?:a|an|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r"))"
    r"[\s-]+(?:[^\W\d_]+[\s-]+)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?"
    r"|centur(?:y|ies))\b",
    re.I,
)
# Common irregular verb forms, so "paid" meets "pay" and "fought" meets "fight".
_IRREGULAR_FORMS = """pay:paid make:made give:gave,given take:took,taken go:went,gone send:sent
    sell:sold buy:bought bring:brought begin:began,begun win:won lose:lost leave:left lead:led
    hold:held build:built fight:fought think:thought tell:told find:found meet:met run:ran
    become:became come:came fall:fell,fallen keep:kept spend:spent write:wrote,written see:saw,seen
    know:knew,known grow:grew,grown choose:chose,chosen rise:rose,risen strike:struck stand:stood
    die:died flee:fled seek:sought teach:taught catch:caught break:broke,broken speak:spoke,spoken
    steal:stole,stolen drive:drove,driven ride:rode,ridden shoot:shot hide:hid,hidden"""
IRREGULAR = {
    form: entry.split(":")[0]
    for entry in _IRREGULAR_FORMS.split()
    for form in entry.split(":")[1].split(",")
}
# Words for one kind of event: a figure of deaths answers "how many died", not "how many were
# wounded". Base forms after `verb_stem`.
SAME_EVENT = (
    frozenset(
        "kill die dead death fatal fatality lose loss perish slaughter massacre murder execut".split()
    ),
    frozenset("emigrat migrat flee escap".split()),
    frozenset("injur wound hurt".split()),
)


# Opposites: SQuAD 2.0's unanswerable questions were often written by swapping a word for its
# opposite ("the largest" for "the smallest"). General English, not any subject's words.
_OPPOSITES = (
    "largest:smallest biggest:smallest first:last before:after increase:decrease "
    "increased:decreased rise:fall most:least highest:lowest earliest:latest north:south "
    "east:west northern:southern eastern:western maximum:minimum more:less won:lost win:lose "
    "upper:lower major:minor early:late older:younger oldest:youngest longest:shortest "
    "positive:negative inner:outer began:ended high:low strong:weak private:public "
    "internal:external import:export imports:exports accept:reject accepted:rejected "
    "accepts:rejects"
)
OPPOSITE: dict[str, frozenset[str]] = {}
for _pair in _OPPOSITES.split():
    _a, _b = _pair.split(":")
    OPPOSITE[_a] = OPPOSITE.get(_a, frozenset()) | {_b}
    OPPOSITE[_b] = OPPOSITE.get(_b, frozenset()) | {_a}


def opposite_swapped(question: str, sentence: str) -> bool:
    """Does the question use a plain word whose opposite the sentence uses instead ("the
    smallest" against "the largest")? Names are not words here ("North America")."""
    said = {w.lower() for w in words(sentence)}
    for w in words(question):
        low = w.lower()
        if w[:1].islower() and low in OPPOSITE and low not in said and OPPOSITE[low] & said:
            return True
    return False


# Words that rank: a question about "the tallest" is answered by a sentence that ranks too.
SUPERLATIVE = re.compile(
    r"\b(?:most|least|best|worst|first|last|top|record|leading|largest|biggest|greatest"
    r"|smallest|tallest|highest|lowest|longest|shortest|oldest|youngest|newest|earliest|latest"
    r"|deepest|fastest|slowest|richest|poorest|heaviest|lightest|strongest|weakest|widest"
    r"|busiest|farthest|furthest|closest|nearest|hottest|coldest)\b",
    re.I,
)
_SUPERLATIVE_Q = re.compile(
    r"\b(?:largest|biggest|greatest|smallest|tallest|highest|lowest|longest|shortest|oldest"
    r"|youngest|newest|earliest|deepest|fastest|slowest|richest|poorest|heaviest|lightest"
    r"|strongest|weakest|widest|busiest|farthest|furthest|closest|nearest|hottest|coldest)\b",
    re.I,
)


def asks_superlative(text: str) -> bool:
    return bool(_SUPERLATIVE_Q.search(text))


def covers(term: str, vocabulary: Collection[str]) -> bool:
    """Is the (stemmed) term among the words: exactly, or by a shared stem of four letters or
    more ('russia' covers 'russian', 'ukrain' covers 'ukraine')?"""
    if term in vocabulary:
        return True
    if len(term) < 4:
        return False
    return any(len(v) >= 4 and (v.startswith(term) or term.startswith(v)) for v in vocabulary)


def verb_stem(word: str) -> str:
    """`stem`, after mapping an irregular past form to its base ("paid" -> "pay")."""
    low = word.lower()
    return IRREGULAR.get(low, stem(low))


def has_count(text: str) -> bool:
    """A count or amount that is not only a year: '5,000', 'thousands', 'half', '$100 million'."""
    for m in FIGURE.finditer(text):
        if not YEAR.fullmatch(m.group(0)):
            return True
    return bool(_NUMBER_WORD.search(text))


# Ways of writing the same time or number that a word-for-word match misses. A span of time is
# a term that starts with its digits and ends in "x": the 1700s and the 18th century are "17xx"
# (which 1764 and 1799 are in), the 1960s "196x". A small number is one term whether written as
# digits or as a word ("3 layers", "three layers"); "U.S." is "us".
_CENTURY = re.compile(  # every ordinal of "the 17th and 18th centuries"
    r"\b(\d{1,2})(?:st|nd|rd|th)"
    r"(?=(?:[\s,-]+(?:and|or|to|\d{1,2}(?:st|nd|rd|th)))*[\s-]+centur(?:y|ies)\b)",
    re.I,
)
_DECADES = re.compile(r"\b(\d{2,3}0)[’']?s\b")
YEAR_DIGITS = r"(?:1\d{3}|20\d{2})"  # any year from 1000 to 2099 ("1066", "2023")
_YEAR_ANY = re.compile(r"\b(" + YEAR_DIGITS + r")\b")
_DOTTED = re.compile(r"\b((?:[A-Z]\.){2,})")
SMALL_NUMBERS = {w: str(n) for n, w in enumerate(_TO_TWENTY)} | {"both": "2", "dozen": "12"}
_SMALL_WORDS = {str(n): w for n, w in enumerate(_TO_TWENTY)}  # "2": "two"
_SMALL_DIGITS = re.compile(r"(?<![\d.,])\b\d{1,2}\b(?![.,]\d)")  # "3 layers", not "17th", "3.5"


def _span_terms(text: str) -> list[tuple[str, str]]:
    """The question's spans of time, each with the figure it is written with ("16th century":
    ("15xx", "16"); "the 1960s": ("196x", "1960"))."""
    out = [(f"{int(m.group(1)) - 1}xx", m.group(1)) for m in _CENTURY.finditer(text)]
    for m in _DECADES.finditer(text):
        digits = m.group(1)
        out.append((digits[:-2] + "xx" if digits.endswith("00") else digits[:-1] + "x", digits))
    return out


def equivalent_terms(text: str) -> frozenset[str]:
    """What the text says in the terms above: every year's century and decade, its spans of
    time, small numbers in both spellings, dotted initials joined."""
    out = {term for term, _ in _span_terms(text)}
    for m in _YEAR_ANY.finditer(text):
        year = m.group(1)
        out |= {year[:2] + "xx", year[:3] + "x"}
    out |= {t[:2] + "xx" for t in list(out) if len(t) == 4 and t[2].isdigit() and t[3] == "x"}
    out |= {SMALL_NUMBERS[w.lower()] for w in words(text) if w.lower() in SMALL_NUMBERS}
    out |= {
        _SMALL_WORDS[m.group(0)] for m in _SMALL_DIGITS.finditer(text) if m.group(0) in _SMALL_WORDS
    }
    out |= {m.group(1).replace(".", "").lower() for m in _DOTTED.finditer(text)}
    return frozenset(out)


def is_span(term: str) -> bool:
    """Is the term a span of time ("17xx"), which no word of a text is written as?"""
    return term[:1].isdigit() and term.endswith("x")


def scope_terms(text: str) -> list[str]:
    """The question's names and figures (stemmed), with its spans of time as spans: "in the
    16th century" is scoped to "15xx", not to the number 16."""
    spans = _span_terms(text)
    written = {figure for _, figure in spans}
    out = [stem(t) for t in capitalised_terms(text) if t not in written]
    return out + [term for term, _ in spans]


def capitalised_terms(text: str) -> list[str]:
    """Names in running text: capitalised words that do not start the text, plus all figures."""
    out: list[str] = []
    raw = words(text)
    for i, w in enumerate(raw):
        if w[0].isdigit() or i > 0 and w[0].isupper() and w.lower() not in FUNCTION_WORDS:
            out.append(w)
    return out


# Something a name has: "the capital *of France*", "*Plato's* approach". A sentence that gives
# that thing only as another name's ("New France's capital", "Agassiz's approach") is about
# the other one; SQuAD 2.0 wrote unanswerable questions by such swaps.
_NAME = r"[A-Z][\w'’-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’-]*)*"
_OF_NAME = re.compile(
    r"\b(?:the|a|an)\s+(?:[a-z]+\s+){0,2}?([a-z]+)\s+of\s+(?:the\s+)?(" + _NAME + ")"
)
_NAMES_THING = re.compile(r"(" + _NAME + r")['’]s?((?:\s+[a-z][a-z-]*){1,3})")
_LINK_WORDS = frozenset({"the", "of", "de"})
_LOWER_WORD = re.compile(r"\b[a-z][\w'’-]*")
_TIED_BEFORE = re.compile(r"(" + _NAME + r")['’]s?\s+(?:[a-z-]+\s+){0,2}$")  # "Y's (adj) N"
_TIED_AFTER = re.compile(r"\s+of\s+(?:the\s+)?(" + _NAME + ")")  # "N of Y"
_AUX_OPENING = re.compile(
    r"\s*(?:did|does|do|is|are|was|were|has|have|had|can|could|will|would)\b", re.I
)
# Words that ask about a thing rather than name one: "the *name* of Wagner's founder".
_ASKING_NOUNS = frozenset(
    "name names type types kind kinds sort form part number amount example term word".split()
)


# Words that open a sentence with a capital without being part of the name after them.
_OPENERS = frozenset(
    "however meanwhile moreover instead yet still thus hence later earlier today yesterday "
    "although though despite last next".split()
)
_NOT_A_NAME = FUNCTION_WORDS | _OPENERS


def _name_words(name: str) -> list[str]:
    """A name's words, stemmed, without linking words or the question word, auxiliary or
    sentence opener that came before it with a capital ("*Does* Kirby's estimate ...")."""
    raw = [w for w in words(name) if w.lower() not in _LINK_WORDS]
    while raw and raw[0].lower() in _NOT_A_NAME:
        raw = raw[1:]
    return [stem(w) for w in raw]


def owned(question: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """What the question asks about as a name's own, and whose: (thing, name words)."""
    found = [(stem(m.group(1)), _name_words(m.group(2))) for m in _OF_NAME.finditer(question)]
    for m in _NAMES_THING.finditer(question):
        # The head of "Wagner's annual *budget*": the last word before one that ends the phrase
        # (a stopword, or a verb's "-ed": "Plato's *approach* considered").
        phrase: list[str] = []
        for w in m.group(2).split():
            if not phrase and w in STOPWORDS:
                continue  # "Harvard's *most* intense rival"
            if w in FUNCTION_WORDS or (len(w) > 4 and w.endswith("ed")):
                break
            phrase.append(w)
        # "Did Wagner's losses *grow*?": a question that opens with its auxiliary ends with
        # its verb.
        if (
            len(phrase) > 1
            and m.end() == len(question.rstrip(" ?"))
            and _AUX_OPENING.match(question)
        ):
            phrase.pop()
        if phrase:
            head = phrase[-1]
            found.append((stem(head), _name_words(m.group(1))))
    return tuple(
        dict.fromkeys(
            (thing, tuple(name)) for thing, name in found if name and thing not in _ASKING_NOUNS
        )
    )


def _same_name(said: list[str], asked: tuple[str, ...]) -> bool:
    """One name written two ways: the same words, one extended at its end ("European Union law"
    is the European Union's), or initials ("EU"). "New France" is not France."""
    n = min(len(said), len(asked))
    if said[:n] == list(asked[:n]):
        return True

    def initials(ws: list[str] | tuple[str, ...]) -> str:
        return "".join(w[0] for w in ws)

    return (len(asked) == 1 and initials(said) == asked[0]) or (
        len(said) == 1 and initials(asked) == said[0]
    )


def owned_elsewhere(asked: tuple[tuple[str, tuple[str, ...]], ...], sentence: str) -> bool:
    """Does the sentence give the thing asked about only as another name's ("New France's
    capital" for "the capital of France")? A thing it also names untied, or tied to the
    question's name, is not."""
    if not asked:
        return False
    for thing, name in asked:
        ties: list[list[str] | None] = []
        for m in _LOWER_WORD.finditer(sentence):
            if stem(m.group(0)) != thing:
                continue
            tie = _TIED_BEFORE.search(sentence[: m.start()])
            if tie is None:
                tie = _TIED_AFTER.match(sentence[m.end() :])
            ties.append(_name_words(tie.group(1)) if tie else None)
        if ties and all(t and not _same_name(t, name) for t in ties):
            return True
    return False
