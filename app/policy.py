"""Product policy: what Verbatim refuses whatever the corpus holds.

Requests to estimate, guess or invent (contract: `speculation_requested`; asking what a source
estimates is a normal question), and tasks that are not questions about the corpus (translation,
code, arithmetic: `out_of_scope`). These are the product's promises, not readings of the
evidence, so they stay rules: the reader decides only whether evidence answers.
"""

from __future__ import annotations

import re

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
        r"\b(?:just\s+)?(?:give|tell)\s+me\s+(?:a|any|some)\s+(?:number|figure|estimate)\b",
        r"\bround(?:ed)?\s+(?:it\s+|that\s+|the\s+\w+\s+)?(?:up|down|off)\b",
        r"\bhypothetically\b",
        # Asking for new text about the subject is asking to invent it.
        r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:write|compose|draft|generate|create)"
        r"\s+(?:me\s+)?(?:a|an|some|the)?\s*(?:\w+\s+){0,2}?(?:poem|essay|story|song|joke|letter"
        r"|e-?mail|tweet|speech|limerick|haiku|fictional|imaginary)\b",
        # "What would the losses probably be?", unless it asks what a source expects.
        r"\bwould\s+(?:[\w'’]+\s+){0,4}?(?:probably|likely)\s+be\b(?!.*\baccording\s+to\b)",
        r"\bfill\s+in\s+(?:the|a)\s+(?:number|figure|gap)\b",
    )
]
_TASK = re.compile(
    r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:translate\b|(?:write|generate|create)"
    r"\s+(?:me\s+)?(?:a|an|some|the)?\s*(?:code|program|function|script|regex|query)\b)",
    re.I,
)


def is_speculation(text: str) -> bool:
    return any(p.search(text) for p in _SPECULATION)


def is_task(text: str) -> bool:
    return bool(_TASK.search(text))
